"""The baseline placement: greedy breadth-first fill, then Fiduccia-Mattheyses moves and swaps.

It minimises the hop-weighted number of non-local two-qubit gates (not Bell
pairs); the entanglement-aware partitioner uses it as one starting candidate.

Examples:
    >>> import numpy as np
    >>> from welinq_core.circuit import Circuit, Operation
    >>> from welinq_core.cluster import Cluster
    >>> c = Circuit(num_qubits=4, operations=[Operation(name="cz", qubits=(0, 1)),
    ...     Operation(name="cz", qubits=(2, 3))])
    >>> a = greedy_fm_assignment(c, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2),
    ...     np.random.default_rng(0), max_passes=4)
    >>> a[0] == a[1], a[2] == a[3]
    (True, True)
"""

from __future__ import annotations

from collections import defaultdict, deque

import networkx as nx
import numpy as np

from welinq_core.circuit import Circuit
from welinq_core.cluster import Cluster
from welinq_core.partitioning.placement import assignment_from_dict, interaction_graph

__all__ = ["greedy_fm_assignment"]


def greedy_fm_assignment(circuit: Circuit, cluster: Cluster, rng: np.random.Generator,
                          max_passes: int) -> tuple[str, ...]:
    """The baseline: greedy breadth-first fill, then FM moves/swaps on hop-weighted cut gates."""
    g = interaction_graph(circuit)
    active = list(circuit.active_qubits())
    hops = dict(nx.all_pairs_shortest_path_length(cluster.network()))
    names = list(cluster.qpu_names)
    cap = {q.name: q.num_data_qubits for q in cluster.qpus}

    # Greedy fill: walk the interaction graph breadth-first from heavy qubits, fill the
    # largest QPU first, then its network neighbours.
    order: list[int] = []
    seen: set[int] = set()
    weight = {q: g.degree(q, weight="weight") for q in active}
    roots = sorted(active, key=lambda q: (-weight[q], rng.random()))
    for r in roots:
        if r in seen:
            continue
        queue = deque([r])
        seen.add(r)
        while queue:
            u = queue.popleft()
            order.append(u)
            nbrs = sorted((v for v in g.neighbors(u) if v not in seen), key=lambda v: -g.edges[u, v]["weight"])
            for v in nbrs:
                seen.add(v)
                queue.append(v)
    start_qpu = max(names, key=lambda n: (cap[n], -names.index(n)))
    qpu_order = [start_qpu] + [n for n in nx.bfs_tree(cluster.network(), start_qpu) if n != start_qpu]
    place: dict[int, str] = {}
    load: dict[str, int] = defaultdict(int)
    it = iter(qpu_order)
    cur = next(it)
    for q in order:
        while load[cur] >= cap[cur]:
            cur = next(it)
        place[q] = cur
        load[cur] += 1

    def qubit_cost(q: int, where: str, placed: dict[int, str]) -> int:
        return sum(d["weight"] * hops[where][placed[v]] for v, d in g[q].items())

    for _ in range(max_passes):
        improved = False
        for q in sorted(active, key=lambda _q: rng.random()):
            here = place[q]
            base = qubit_cost(q, here, place)
            best_gain, best = 0, None
            for there in names:
                if there == here:
                    continue
                if load[there] < cap[there]:
                    gain = base - qubit_cost(q, there, place)
                    if gain > best_gain:
                        best_gain, best = gain, ("move", there, None)
                for v in [v for v in active if place[v] == there]:
                    trial = dict(place)
                    trial[q], trial[v] = there, here
                    gain = (base + qubit_cost(v, there, place)) - (
                        qubit_cost(q, there, trial) + qubit_cost(v, here, trial)
                    )
                    if gain > best_gain:
                        best_gain, best = gain, ("swap", there, v)
            if best is not None:
                kind, there, v = best
                place[q] = there
                if kind == "move":
                    load[here] -= 1
                    load[there] += 1
                else:
                    place[v] = here
                improved = True
        if not improved:
            break
    return assignment_from_dict(circuit, cluster, place)

