"""The entanglement-aware partitioner: packet hypergraph + KaHyPar/FM + true-cost selection.

Pipeline (all seeded, deterministic for a seed):

1. build the packet hypergraph (:mod:`.hypergraph`);
2. initial partitions: KaHyPar km1 with per-QPU capacities (several seeds, when
   ``kahypar`` is importable) and the baseline greedy placement;
3. on non-complete networks, relabel blocks onto QPUs to minimise the
   hop-weighted (or infidelity-weighted) copy traffic;
4. refine each with hop-/fidelity-aware FM moves and swaps (:mod:`.refine`);
5. score every candidate with the lowering's own planner (:func:`.cost.plan_cost`,
   which includes communication-qubit evictions) and keep the best; optionally
   polish the winner with swaps scored on that true cost (small circuits).

Because the baseline assignment is always a candidate, the result is never worse
than :func:`welinq_core.partitioning.partition_circuit` with ``method="greedy-fm"``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from welinq_core.circuit import Circuit
from welinq_core.cluster import Cluster
from welinq_core.errors import CommunicationQubitError
from welinq_core.lowering import canonicalize, check_protocols
from welinq_core.lowering.planner import Planner
from welinq_core.partitioning import _kahypar
from welinq_core.partitioning.cost import PlanCost, distance_matrix, plan_cost
from welinq_core.partitioning.hypergraph import PacketHypergraph, build_packet_hypergraph
from welinq_core.partitioning.refine import Refiner

__all__ = ["hypergraph_partition", "component_pair_bound"]

_MAX_PERMUTE_QPUS = 7
_BIG_WORK = 300_000  # hyperedge pins x QPUs above which the refinement is kept cheap
_INFEASIBLE = PlanCost(bell_pairs=2**62, nonlocal_gates=0, infidelity=float("inf"))
_TELEDATA_FINAL_MAX_OPS = 20_000  # "auto" plans TeleData on circuits up to this size
_POLISH_BUDGET = 60_000  # operations replayed by the true-cost polish, at most
# KaHyPar weighs each qubit vertex as all gate vertices together (capacities count qubits
# only), so a hypergraph with thousands of gate vertices per qubit cannot be coarsened and
# its initial partitioning runs for minutes (bwt_n21: 21 qubits, 57,000 gate vertices);
# such circuits have few qubits, and the FM refinement of the other starts places them.
_KAHYPAR_MAX_GATES_PER_QUBIT = 1000


def _relabel(hg: PacketHypergraph, blocks: list[int], dist: list[list[float]],
             capacities: Sequence[int]) -> list[int]:
    """Permute block labels to minimise copy traffic x distance, keeping capacities."""
    k = len(capacities)
    if k > _MAX_PERMUTE_QPUS or all(dist[i][j] == dist[0][1] for i in range(k) for j in range(k) if i != j):
        return blocks
    traffic = np.zeros((k, k))
    for e in hg.edges:
        s = blocks[e[0]]
        for t in {blocks[v] for v in e}:
            if t != s:
                traffic[s, t] += 1
    loads = [0] * k
    for q in range(hg.num_qubits):
        loads[blocks[q]] += 1
    d = np.asarray(dist)
    best, best_perm = None, None
    for perm in itertools.permutations(range(k)):
        if any(loads[b] > capacities[perm[b]] for b in range(k)):
            continue
        p = np.asarray(perm)
        c = float((traffic * d[np.ix_(p, p)]).sum())
        if best is None or c < best - 1e-12:
            best, best_perm = c, perm
    if best_perm is None:
        return blocks
    return [best_perm[b] for b in blocks]


def _pair_lower_bound(circuit: Circuit, cluster: Cluster) -> int:
    """Bell pairs every assignment consumes, at least.

    A connected component of the two-qubit-gate interaction graph spread over ``m``
    QPUs needs packets joining those QPUs, hence at least ``m - 1`` pairs; ``m`` is
    at least the fewest QPUs whose capacities hold the component.
    """
    parent = list(range(circuit.num_qubits))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for op in circuit.operations:
        if op.is_gate and op.name != "pauli_channel" and len(op.qubits) >= 2:
            r = find(op.qubits[0])
            for q in op.qubits[1:]:
                parent[find(q)] = r
    sizes: dict[int, int] = {}
    for q in range(circuit.num_qubits):
        r = find(q)
        sizes[r] = sizes.get(r, 0) + 1
    return component_pair_bound(sizes.values(), [q.num_data_qubits for q in cluster.qpus])


def component_pair_bound(component_sizes: Iterable[int], capacities: Sequence[int]) -> int:
    """Pairs that joining each connected component of the interaction graph needs, at least.

    A component of ``s`` qubits spread over ``m`` QPUs needs ``m - 1`` pairs to join them,
    and ``m`` is at least the fewest QPUs whose data slots hold ``s`` qubits.

    Examples:
        >>> component_pair_bound([5, 2], [4, 4, 4])  # 5 qubits need 2 QPUs: 1 pair
        1
    """
    caps = sorted(capacities, reverse=True)
    bound = 0
    for size in component_sizes:
        m, held = 0, 0
        while held < size and m < len(caps):
            held += caps[m]
            m += 1
        bound += max(m - 1, 0)
    return bound


def _unbeatable(circuit: Circuit, cluster: Cluster) -> PlanCost | None:
    """The lower bound in both objectives: the fewest pairs, each on the best link (None: no links)."""
    if not cluster.links:
        return None
    lb = _pair_lower_bound(circuit, cluster)
    min_infid = min(1.0 - link.bell_pair_fidelity for _, link in cluster.links)
    return PlanCost(bell_pairs=lb, nonlocal_gates=0, infidelity=lb * min_infid)


def _is_optimal(circuit: Circuit, cluster: Cluster, cost: PlanCost, bound: PlanCost | None = None) -> bool:
    """Whether ``cost`` meets the lower bound in both objectives (no swap can improve it)."""
    bound = _unbeatable(circuit, cluster) if bound is None else bound
    if bound is None:
        return False
    return cost.bell_pairs == bound.bell_pairs and round(cost.infidelity, 12) <= round(bound.infidelity, 12)


def contiguous_assignment(circuit: Circuit, cluster: Cluster) -> tuple[str, ...] | None:
    """Qubits in index order, filling QPUs in turn along a walk of the network.

    Circuits written qubit by qubit along a line (GHZ chains, linear entanglers, most
    benchmark families) are often best cut into consecutive blocks on neighbouring QPUs.
    The walk is a depth-first order from a QPU of least degree (the line's or ring's own
    order). Returns None when the qubits do not fit.

    Examples:
        >>> from welinq_core.circuit import Circuit
        >>> cl = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=2, topology="line")
        >>> contiguous_assignment(Circuit(num_qubits=5, operations=[]), cl)
        ('qpu0', 'qpu0', 'qpu1', 'qpu1', 'qpu2')
    """
    import networkx as nx

    graph = cluster.network()
    cap = {q.name: q.num_data_qubits for q in cluster.qpus}
    rank = {name: i for i, name in enumerate(cluster.qpu_names)}
    order: list[str] = []
    for component in sorted(nx.connected_components(graph), key=lambda c: min(rank[x] for x in c)):
        sub = graph.subgraph(component)
        start = min(sub.nodes, key=lambda x: (sub.degree(x), rank[x]))
        order += list(nx.dfs_preorder_nodes(sub, start))
    out: list[str] = []
    for name in order:
        out += [name] * min(cap[name], circuit.num_qubits - len(out))
        if len(out) == circuit.num_qubits:
            return tuple(out)
    return None


def _polish(circuit: Circuit, cluster: Cluster, assignment: list[str], cost: PlanCost,
            objective: str, rng: np.random.Generator,
            score: Callable[[list[str]], PlanCost],
            stop: Callable[[], bool] = lambda: False) -> tuple[list[str], PlanCost]:
    """Pairwise swaps and moves scored on the true cost, within a replay budget."""
    n_ops = max(1, len(circuit.operations))
    budget = _POLISH_BUDGET // n_ops
    if budget < 4 or _is_optimal(circuit, cluster, cost):
        return assignment, cost
    names = list(cluster.qpu_names)
    cap = {q.name: q.num_data_qubits for q in cluster.qpus}
    active = list(circuit.active_qubits())
    evals = 0
    improved = True
    while improved and evals < budget:
        improved = False
        for q in (active[int(i)] for i in rng.permutation(len(active))):
            if evals >= budget:
                break
            load = {nm: 0 for nm in names}
            for a in assignment:
                load[a] += 1
            here = assignment[q]
            trials: list[list[str]] = []
            for there in names:
                if there == here:
                    continue
                if load[there] < cap[there]:
                    t = list(assignment)
                    t[q] = there
                    trials.append(t)
                for r in active:
                    if assignment[r] == there:
                        t = list(assignment)
                        t[q], t[r] = there, here
                        trials.append(t)
            for t in trials:
                if evals >= budget or stop():
                    evals = budget
                    break
                evals += 1
                c = score(t)
                if c.key(objective) < cost.key(objective):
                    assignment, cost, improved = t, c, True
                    break
    return assignment, cost


def _one_pass(circuit: Circuit, cluster: Cluster, assign: Sequence[str]) -> PlanCost:
    """The cheapest complete plan: one TeleGate planner pass, no alternative covers.

    What a search cut by its deadline before any candidate finished planning returns;
    its plan comes along (``lower(..., plan=cost.plan)`` consumes exactly these pairs).
    """
    planner = Planner(canonicalize(circuit), cluster, assign, ("telegate",))
    planner.plan()
    infid = {k: 1.0 - link.bell_pair_fidelity for k, link in cluster.links}
    return PlanCost(bell_pairs=len(planner.pairs),
                    nonlocal_gates=sum(len(p["gates"]) for p in planner.packet_info),
                    infidelity=float(sum(infid[p.link] for p in planner.pairs)), protocols=("telegate",),
                    plan=planner)


#: Circuits with at most this many placements (QPUs ** qubits) are placed by trying every one.
EXHAUSTIVE_MAX_PLACEMENTS = 256


def hypergraph_partition(
    circuit: Circuit,
    cluster: Cluster,
    *,
    seed: int | np.random.Generator | None,
    objective: str,
    baseline: Sequence[str] | Callable[[], Sequence[str]],
    use_kahypar: bool = True,
    restarts: int = 3,
    polish: bool = True,
    protocols: Sequence[str] | str = "auto",
    deadline: float | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> tuple[tuple[str, ...], PlanCost, str, bool]:
    """Best assignment found, its true cost, a short method label and whether the deadline cut the search.

    Args:
        circuit: The circuit (idle qubits are placed wherever there is room).
        cluster: The cluster.
        seed: Seed for every random choice.
        objective: ``"ebits"`` or ``"fidelity"``.
        baseline: A valid complete assignment (the greedy one) used as a candidate, or a
            function making it (called only when the search gets past the consecutive blocks).
        use_kahypar: Use KaHyPar when importable.
        restarts: KaHyPar seeds tried.
        polish: Run the true-cost swap polish on small circuits.
        protocols: Protocols the lowering may use (see :func:`.cost.plan_cost`).
        deadline: ``time.perf_counter()`` value after which no new candidate is
            started, plans still running are abandoned, and the best one so far is
            returned (None: no limit). When it passes before the first candidate has a
            plan, that candidate (consecutive blocks) is planned once with TeleGate
            alone (one planner pass, no alternative covers) so that a plan comes back.
        progress: Called as ``progress(stage, best_bell_pairs)`` when a stage starts and
            after each scored candidate (for status lines; -1: no plan yet).
    """
    rng = np.random.default_rng(seed)

    def stop() -> bool:
        return deadline is not None and time.perf_counter() > deadline

    def report(stage: str) -> None:
        if progress is not None:
            good = [c for c, _ in candidates if c is not _INFEASIBLE]
            progress(stage, min(c.bell_pairs for c in good) if good else -1)

    cut = False  # whether the deadline left work undone

    names = list(cluster.qpu_names)
    index = {nm: i for i, nm in enumerate(names)}
    caps = [q.num_data_qubits for q in cluster.qpus]
    dist = distance_matrix(cluster, objective)
    hg = build_packet_hypergraph(canonicalize(circuit))
    n = hg.num_qubits

    infeasible: list[CommunicationQubitError] = []
    pins = sum(len(e) for e in hg.edges)
    big = pins * len(names) > _BIG_WORK  # wide circuits: one KaHyPar run, one cheap FM pass
    # On wide circuits with protocols="auto", candidates are compared with TeleGate alone
    # and only the winner is also planned with TeleData (the TeleData planner is slower),
    # and not at all past _TELEDATA_FINAL_MAX_OPS operations.
    search_protocols = ("telegate",) if big and check_protocols(protocols) == ("auto",) else protocols

    optimum = _unbeatable(circuit, cluster)

    def score(assign: Sequence[str]) -> PlanCost | None:
        """The candidate's true cost; None when the deadline cut its planning (and a plan exists)."""
        nonlocal cut
        try:
            cost = plan_cost(circuit, cluster, assign, protocols=search_protocols, objective=objective,
                             unbeatable=optimum, deadline=deadline)
            if cost is None:
                cut = True
                if any(c is not _INFEASIBLE for c, _ in candidates):
                    return None
                cost = _one_pass(circuit, cluster, assign)
            return cost
        except CommunicationQubitError as err:  # a route needs more comm qubits than a QPU has
            infeasible.append(err)
            return _INFEASIBLE

    def add(cost: PlanCost | None, assign: tuple[str, ...]) -> None:
        """Keep a scored candidate; only the best so far keeps its plan (memory), and on wide
        circuits none does (a plan of 50,000 gates holds tens of MB through the whole search,
        and planning it again in the lowering costs little next to the search) unless a
        deadline may cut the search (then the lowering must use the very plan found)."""
        if cost is None:  # cut by the deadline
            return
        candidates.append((cost if not big or deadline is not None else cost.without_plan(), assign))
        best_i = min(range(len(candidates)), key=lambda i: candidates[i][0].key(objective))
        for i, (c, a) in enumerate(candidates):
            if i != best_i and c.plan is not None:
                candidates[i] = (c.without_plan(), a)

    if big:
        restarts = 1

    def greedy() -> tuple[str, ...]:
        nonlocal baseline
        if callable(baseline):
            baseline = baseline()
        return tuple(baseline)

    kahypar_used = False
    candidates: list[tuple[PlanCost, tuple[str, ...]]] = []
    for stage, make in (("consecutive blocks", lambda: contiguous_assignment(circuit, cluster)),
                        ("greedy", greedy)):
        if candidates and stop():
            cut = True
            break
        report(f"planning the {stage} placement")
        start = make()
        if start is None or any(start == c[1] for c in candidates):
            continue
        cost = score(start)
        # A candidate that meets the lower bound on pairs (and on infidelity) cannot be
        # beaten, by any protocol: the search ends there.
        if cost is not None and cost is not _INFEASIBLE and _is_optimal(circuit, cluster, cost, optimum):
            return start, cost, "hypergraph-lower-bound", False
        add(cost, start)
    report("baseline")
    if stop():
        candidates.sort(key=lambda c: c[0].key(objective))
        if candidates[0][0] is _INFEASIBLE:
            raise infeasible[0]
        return candidates[0][1], candidates[0][0], "hypergraph-time-limit", True
    base_blocks = [index[a] for a in greedy()]
    starts: list[tuple[str, list[int]]] = [("greedy", base_blocks)]
    # Small enough to try every placement: the best plan there is, for the lowering's cost.
    if len(names) ** n <= EXHAUSTIVE_MAX_PLACEMENTS and n == circuit.num_qubits:
        for blocks in itertools.product(range(len(names)), repeat=n):
            if stop():
                cut = True
                break
            if any(blocks.count(b) > caps[b] for b in set(blocks)):
                continue
            assign = tuple(names[b] for b in blocks)
            if any(assign == c[1] for c in candidates):
                continue
            add(score(assign), assign)
        candidates.sort(key=lambda c: c[0].key(objective))
        if candidates[0][0] is _INFEASIBLE:
            raise infeasible[0]
        return candidates[0][1], candidates[0][0], "exhaustive", cut
    if use_kahypar and _kahypar.available() and len(names) > 1 \
            and hg.num_gate_vertices <= _KAHYPAR_MAX_GATES_PER_QUBIT * max(1, n):
        for _ in range(max(1, restarts)):
            if stop():
                cut = True
                break
            report("KaHyPar")
            b = _kahypar.kahypar_partition(hg, caps, seed=int(rng.integers(2**31 - 1)),
                                           timeout_s=None if deadline is None else deadline - time.perf_counter())
            if b is not None:
                kahypar_used = True
                starts.append(("kahypar", _relabel(hg, b, dist, caps)))
    seen: set[tuple[int, ...]] = set()
    seen.add(tuple(base_blocks))
    for _label, blocks in starts:
        if stop():
            cut = True
            break
        report(f"refining the {_label} placement")
        r = Refiner(hg, dist, capacities=caps, blocks=blocks)
        r.refine(seed=int(rng.integers(2**31 - 1)), max_passes=1 if big else 10, swaps=not big)
        qb = tuple(r.blocks[:n])
        for cand in (tuple(blocks[:n]), qb):
            if cand in seen:
                continue
            seen.add(cand)
            if stop():
                cut = True
                break
            report(f"planning the {_label} placement")
            assign = tuple(names[b] for b in cand)
            add(score(assign), assign)
            report(_label)
    candidates.sort(key=lambda c: c[0].key(objective))
    best_cost, best = candidates[0]
    if best_cost is _INFEASIBLE:
        raise infeasible[0]
    if polish and not stop():
        report("polishing the best placement")
        polished, best_cost = _polish(circuit, cluster, list(best), best_cost, objective, rng,
                                      lambda t: score(t) or _INFEASIBLE, stop)
        best = tuple(polished)
    if search_protocols != protocols and len(circuit.operations) <= _TELEDATA_FINAL_MAX_OPS:
        final = plan_cost(circuit, cluster, best, protocols=protocols, objective=objective, deadline=deadline)
        if final is None:
            cut = True
        elif final.key(objective) <= best_cost.key(objective):
            best_cost = final
    cut = cut or stop()
    label = "hypergraph-kahypar" if kahypar_used else "hypergraph-fm"
    return best, best_cost, label, cut
