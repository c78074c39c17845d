"""Partitioning: place each logical qubit on a QPU within its data-qubit capacity.

Two methods share one entry point, :func:`partition_circuit`:

* ``"hypergraph"`` (the default, ``method="auto"``): the entanglement-aware
  partitioner of :mod:`welinq_core.partitioning` (packet hypergraph, KaHyPar km1
  with per-QPU capacities when importable, hop/fidelity-aware FM refinement,
  candidates scored with the lowering's own planner; a candidate that already meets
  the lower bound on pairs, such as consecutive blocks of a chain, ends the search and
  is labelled ``"hypergraph-lower-bound"``; a circuit with at most 256 placements
  (QPUs ** qubits) tries every one and is labelled ``"exhaustive"``);
* ``"greedy-fm"``: the baseline, a capacity-respecting greedy placement along a
  breadth-first walk of the interaction graph, refined by Fiduccia-Mattheyses-style
  moves and swaps that lower the hop-weighted number of non-local two-qubit gates.

The Bell-pair cost reported is always the one the lowering consumes
(:func:`welinq_core.lowering.count_bell_pairs`).

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> from welinq_core.cluster import Cluster
    >>> ghz = Circuit(num_qubits=4, operations=[Operation(name="h", qubits=(0,))] +
    ...     [Operation(name="cx", qubits=(i, i + 1)) for i in range(3)])
    >>> p = partition_circuit(ghz, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2), seed=1)
    >>> p.assignment, p.bell_pairs
    (('qpu0', 'qpu0', 'qpu1', 'qpu1'), 1)
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import math
import time
from collections import defaultdict
from collections.abc import Callable

import networkx as nx
import numpy as np

from welinq_core.circuit import Circuit
from welinq_core.cluster import Cluster
from welinq_core.errors import ClusterSpecError, InsufficientQubitsError, OptionsError

__all__ = ["METHODS", "Partition", "partition_circuit", "partition_and_plan", "interaction_graph",
           "assignment_from_dict"]



@dataclasses.dataclass(frozen=True, kw_only=True)
class Partition:
    """Where each logical qubit lives, with the plan's cost.

    Attributes:
        assignment: QPU name of each logical qubit ``0..n-1``.
        bell_pairs: Bell pairs the lowering of this plan consumes.
        nonlocal_gates: Two-qubit gates whose qubits sit on different QPUs.
        method: Name of the algorithm that produced it.
        seconds: Wall-clock time spent partitioning.
        objective: What the partitioner minimised (``"ebits"`` or ``"fidelity"``).
        infidelity: Summed ``1 - bell_pair_fidelity`` of the consumed pairs (0 for
            ideal links), or None when not computed.
        protocols: Protocols to lower this plan with (``lower(..., protocols=...)``)
            so that it consumes exactly ``bell_pairs``.
        time_limited: Whether the time limit cut the search short (the plan is the best
            one found in time; lower it with the plan of :func:`partition_and_plan`).
    """

    assignment: tuple[str, ...]
    bell_pairs: int
    nonlocal_gates: int
    method: str = "manual"
    seconds: float = 0.0
    objective: str = "ebits"
    infidelity: float | None = None
    protocols: tuple[str, ...] = ("telegate",)
    time_limited: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "assignment", tuple(self.assignment))
        object.__setattr__(self, "protocols", tuple(self.protocols))

    def qubits_on(self, qpu: str) -> tuple[int, ...]:
        """Logical qubits placed on ``qpu``."""
        return tuple(i for i, q in enumerate(self.assignment) if q == qpu)

    def as_dict(self) -> dict[int, str]:
        """``{logical qubit: QPU name}``."""
        return dict(enumerate(self.assignment))


def interaction_graph(circuit: Circuit) -> nx.Graph:
    """Weighted graph of the circuit's qubits; edge weight = number of two-qubit gates.

    Examples:
        >>> from welinq_core.circuit import Operation
        >>> c = Circuit(num_qubits=3, operations=[Operation(name="cz", qubits=(0, 2))] * 2)
        >>> interaction_graph(c).edges[0, 2]["weight"]
        2
    """
    g = nx.Graph()
    g.add_nodes_from(range(circuit.num_qubits))
    for op in circuit.operations:
        if op.is_gate and len(op.qubits) == 2:
            a, b = op.qubits
            if g.has_edge(a, b):
                g.edges[a, b]["weight"] += 1
            else:
                g.add_edge(a, b, weight=1)
    return g


def _check_fits(circuit: Circuit, cluster: Cluster) -> None:
    need, have = len(circuit.active_qubits()), cluster.num_data_qubits
    if need > have:
        raise InsufficientQubitsError(
            f"circuit {circuit.name!r} needs {need} data qubits but cluster {cluster.name!r} has "
            f"{have} ({', '.join(f'{q.name}: {q.num_data_qubits}' for q in cluster.qpus)}); add QPUs, "
            "raise data_qubits_per_qpu, or reduce the circuit width",
            required=need,
            available=have,
        )


def assignment_from_dict(circuit: Circuit, cluster: Cluster, mapping: dict[int, str]) -> tuple[str, ...]:
    """Validate a user-given ``{qubit: qpu}`` mapping and complete it for idle qubits.

    Raises:
        ClusterSpecError: On an unknown QPU, a missing active qubit or an over-full QPU.
    """
    _check_fits(circuit, cluster)
    names = set(cluster.qpu_names)
    load: dict[str, int] = defaultdict(int)
    out: list[str | None] = [None] * circuit.num_qubits
    for q in circuit.active_qubits():
        if q not in mapping:
            raise ClusterSpecError(f"assignment has no QPU for active qubit {q}")
    for q, name in mapping.items():
        if name not in names:
            raise ClusterSpecError(f"assignment puts qubit {q} on unknown QPU {name!r}; QPUs are {sorted(names)}")
        if 0 <= q < circuit.num_qubits:
            out[q] = name
            load[name] += 1
    for qpu in cluster.qpus:
        if load[qpu.name] > qpu.num_data_qubits:
            raise ClusterSpecError(
                f"assignment puts {load[qpu.name]} qubits on {qpu.name!r}, which has "
                f"{qpu.num_data_qubits} data qubits"
            )
    for q in range(circuit.num_qubits):
        if out[q] is None:
            free = [p for p in cluster.qpus if load[p.name] < p.num_data_qubits]
            if not free:
                raise InsufficientQubitsError(
                    f"no room left for idle qubit {q}; drop idle qubits from the circuit",
                    required=circuit.num_qubits,
                    available=cluster.num_data_qubits,
                )
            out[q] = free[0].name
            load[free[0].name] += 1
    return tuple(out)  # type: ignore[arg-type]


_BASELINE_FM_MAX_QUBITS = 300

#: Partitioning methods accepted by :func:`partition_circuit`.
METHODS = ("auto", "hypergraph", "hypergraph-fm", "greedy-fm")


def partition_circuit(circuit: Circuit, cluster: Cluster, *, seed: int | np.random.Generator | None = None,
                      max_passes: int = 8, method: str = "auto", objective: str = "ebits",
                      protocols: tuple[str, ...] | list[str] | str = "auto",
                      time_limit_s: float | None = None,
                      progress: Callable[[str, int], None] | None = None) -> Partition:
    """Place the circuit's qubits on QPUs, minimising the Bell pairs the lowering consumes.

    Args:
        circuit: The circuit to distribute.
        cluster: The cluster to distribute it on.
        seed: Seed for every random choice; the same seed (and inputs) gives the
            same partition with this version.
        max_passes: Refinement passes at most (``greedy-fm``).
        method: ``"auto"`` (= ``"hypergraph"``): the entanglement-aware partitioner
            of :mod:`welinq_core.partitioning` (packet hypergraph, KaHyPar when
            importable, hop/fidelity-aware FM, true-cost selection);
            ``"hypergraph-fm"``: the same without KaHyPar (pure Python);
            ``"greedy-fm"``: the baseline (greedy fill + FM on hop-weighted
            non-local gates).
        objective: ``"ebits"`` (fewest Bell pairs, hop-weighted on multi-hop
            routes) or ``"fidelity"`` (least summed ``1 - bell_pair_fidelity``
            over consumed pairs, then fewest pairs).
        protocols: ``"auto"`` (default): every candidate is scored with TeleGate
            alone and with TeleGate plus TeleData (the lowering teleports a qubit
            when its next gates are mostly with another QPU) and the cheaper plan
            wins; ``("telegate",)`` or ``("telegate", "teledata")`` force one set.
            A comma-separated string is accepted. ``Partition.protocols`` says
            which set to lower with.
        time_limit_s: Wall-clock budget in seconds: once spent, no new candidate
            is started, plans still running are abandoned and the best plan so far is
            returned (``Partition.time_limited`` says so). One plan always comes back:
            if none is finished in time, the consecutive-blocks placement planned once
            with TeleGate alone. Lower a time-limited partition with the plan
            :func:`partition_and_plan` returns (planning it again without the limit may
            find fewer pairs). None (default): no limit.
        progress: Called as ``progress(stage, best_bell_pairs)`` when a stage starts
            and after each scored candidate, e.g. to print a status line.

    Returns:
        A :class:`Partition` whose ``bell_pairs`` equals what the lowering consumes.

    Raises:
        InsufficientQubitsError: If the circuit has more active qubits than the cluster.
        OptionsError: On an unknown ``method``, ``objective`` or protocol, or a
            ``time_limit_s`` that is not a positive number.

    Examples:
        >>> from welinq_core.circuit import Operation
        >>> c = Circuit(num_qubits=4, operations=[Operation(name="cz", qubits=(0, q)) for q in (1, 2, 3)])
        >>> p = partition_circuit(c, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2), seed=3)
        >>> p.bell_pairs, p.method.startswith("hypergraph")
        (1, True)
    """
    return partition_and_plan(circuit, cluster, seed=seed, max_passes=max_passes, method=method,
                              objective=objective, protocols=protocols, time_limit_s=time_limit_s,
                              progress=progress)[0]


def partition_and_plan(circuit: Circuit, cluster: Cluster, *, seed: int | np.random.Generator | None = None,
                       max_passes: int = 8, method: str = "auto", objective: str = "ebits",
                       protocols: tuple[str, ...] | list[str] | str = "auto",
                       time_limit_s: float | None = None,
                       progress: Callable[[str, int], None] | None = None) -> tuple[Partition, object]:
    """:func:`partition_circuit` and the lowering's plan of its result.

    The plan (a finished :class:`~welinq_core.lowering.planner.Planner`) is the one whose
    ledger gave ``Partition.bell_pairs``; ``lower(circuit, cluster, partition.assignment,
    protocols=partition.protocols, plan=plan)`` builds the program from it without planning
    again (the same program as without ``plan``). On wide circuits (where the search keeps
    no plan in memory) the plan is None and the lowering plans again.

    Examples:
        >>> from welinq_core.circuit import Operation
        >>> from welinq_core.lowering import lower
        >>> c = Circuit(num_qubits=4, operations=[Operation(name="cz", qubits=(0, q)) for q in (1, 2, 3)])
        >>> cl = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2)
        >>> p, plan = partition_and_plan(c, cl, seed=3)
        >>> lower(c, cl, p.assignment, protocols=p.protocols, plan=plan) == lower(c, cl, p.assignment,
        ...                                                                       protocols=p.protocols)
        True
    """
    with _frozen_heap():
        return _partition_and_plan(circuit, cluster, seed=seed, max_passes=max_passes, method=method,
                                   objective=objective, protocols=protocols, time_limit_s=time_limit_s,
                                   progress=progress)


@contextlib.contextmanager
def _frozen_heap():  # noqa: ANN202
    """Keep the objects that exist now (the circuit's operations) out of the garbage collector's scans.

    The search allocates millions of small objects; every full collection would walk the
    hundreds of thousands of operations of a large circuit again (a quarter of the planning
    time on a 470,000-operation file). Nothing is leaked: they are unfrozen afterwards
    (unless the caller had frozen the heap itself).
    """
    outer = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not outer:
            gc.unfreeze()


def _partition_and_plan(circuit: Circuit, cluster: Cluster, *, seed: int | np.random.Generator | None,
                        max_passes: int, method: str, objective: str,
                        protocols: tuple[str, ...] | list[str] | str, time_limit_s: float | None,
                        progress: Callable[[str, int], None] | None) -> tuple[Partition, object]:
    from welinq_core.lowering import check_protocols
    from welinq_core.partitioning.greedy import greedy_fm_assignment
    from welinq_core.partitioning.cost import check_objective, plan_cost  # imports the lowering
    from welinq_core.partitioning.partitioner import hypergraph_partition

    start = time.perf_counter()
    if method not in METHODS:
        raise OptionsError(f"method={method!r} is unknown; choose one of {METHODS}")
    check_objective(objective)
    protocols = check_protocols(protocols)
    if time_limit_s is not None and not (isinstance(time_limit_s, (int, float)) and time_limit_s > 0
                                           and math.isfinite(time_limit_s)):
        raise OptionsError(f"time_limit_s={time_limit_s!r} must be a positive number of seconds (or None)")
    _check_fits(circuit, cluster)
    deadline = None if time_limit_s is None else start + float(time_limit_s)
    from welinq_core.lowering import canonicalize
    from welinq_core.lowering.packets import packet_index

    if progress is not None:
        progress("preparing the circuit (canonical form, packet index)", -1)
    packet_index(canonicalize(circuit))  # (cached for every plan of the search) ...
    gc.freeze()  # ... and kept out of the collector's scans with the circuit
    rng = np.random.default_rng(seed)
    base_seed, strong_seed = (int(x) for x in rng.integers(2**31 - 1, size=2))
    # The baseline's swap search is quadratic in the qubits: as a mere starting candidate
    # for the strong method on wide circuits it keeps only its greedy fill.
    base_passes = max_passes if method == "greedy-fm" or circuit.num_qubits <= _BASELINE_FM_MAX_QUBITS else 0

    def baseline() -> tuple[str, ...]:
        return greedy_fm_assignment(circuit, cluster, np.random.default_rng(base_seed), base_passes)

    if method == "greedy-fm":
        assignment, label, time_limited = baseline(), "greedy-fm", False
        cost = plan_cost(circuit, cluster, assignment, protocols=protocols, objective=objective)
    else:  # (the baseline is made only when the consecutive blocks are not already optimal)
        assignment, cost, label, time_limited = hypergraph_partition(
            circuit, cluster, seed=strong_seed, objective=objective, baseline=baseline,
            use_kahypar=method != "hypergraph-fm", protocols=protocols, deadline=deadline,
            progress=progress,
        )
    return Partition(
        assignment=assignment,
        bell_pairs=cost.bell_pairs,
        nonlocal_gates=cost.nonlocal_gates,
        method=label,
        seconds=time.perf_counter() - start,
        objective=objective,
        infidelity=cost.infidelity,
        protocols=cost.protocols,
        time_limited=time_limited,
    ), cost.plan
