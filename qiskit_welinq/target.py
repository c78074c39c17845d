"""The Qiskit Target of a cluster: its data qubits, gates, durations, errors and coupling.

:func:`target_from_cluster` describes a :class:`~welinq_core.cluster.Cluster` to
Qiskit's transpiler:

* every data qubit, numbered QPU by QPU (``qpu0``'s qubits first), with its QPU's
  ``T1``/``T2`` as :class:`~qiskit.transpiler.QubitProperties`;
* the QPU's ``native_gates`` (or :data:`DEFAULT_GATES`), with its durations and errors (Qiskit's
  convention: ``error`` is the average gate infidelity, so a depolarizing
  probability ``p`` on ``n`` qubits gives ``p * 2**n / (2**n + 1)``; a measurement's
  error is its readout flip probability);
* two-qubit gates on every pair of a QPU's coupling graph (all pairs when the QPU
  has no ``coupling``) and on every pair of qubits on *different* QPUs (gates native on
  both). A remote
  edge carries the cost of that gate as the backend executes it
  (:func:`remote_gate_cost`): the cat-entangler protocol with the link's delivered
  Bell-diagonal pair (swapped along the route between QPUs that share no link),
  the local gate, readout and idle noise of the protocol, all as the pipeline
  compiles them. So a layout stage that minimises error keeps gates local.

Remote edges join every pair of QPUs (not only linked ones): the backend reaches
any QPU by entanglement swapping, and edges only between linked QPUs would make
the router insert SWAP gates that the backend would then have to execute as extra
remote gates.

Size: an all-to-all Target is quadratic in qubits. Above
:data:`MAX_EXPLICIT_QUBIT_PAIRS` ordered qubit pairs, two-qubit gates are added
without per-pair properties (available on every pair, no coupling map, no error
data); the backend places qubits with its own partitioner either way.

The backend re-partitions every circuit it runs (its partitioner minimises Bell
pairs much better than a generic layout pass), so the physical qubit indices of a
transpiled circuit are slots, not a fixed placement; the report of each run says
where each qubit went.

Examples:
    >>> from welinq_core import Cluster, Link
    >>> cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2,
    ...                               link=Link(bell_pair_fidelity=0.95))
    >>> target = target_from_cluster(cluster)
    >>> target.num_qubits, target["cx"][(0, 1)].error, round(target["cx"][(0, 2)].error, 6)
    (4, 0.0, 0.04)
    >>> sorted(target.build_coupling_map().get_edges())[:3]
    [(0, 1), (0, 2), (0, 3)]
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections.abc import Sequence

import networkx as nx
import numpy as np
from qiskit.circuit import (
    Delay,
    ForLoopOp,
    Parameter,
    IfElseOp,
    Measure,
    Reset,
    SwitchCaseOp,
)
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.quantum_info import Kraus
from qiskit.quantum_info.operators.channel.quantum_channel import QuantumChannel
from qiskit.transpiler import InstructionProperties, QubitProperties, Target

from welinq_core import gates
from welinq_core.circuit import Circuit, Operation
from welinq_core.cluster import QPU, Cluster
from welinq_core.delivered import delivered_rate_hz
from welinq_core.errors import ClusterSpecError, SimulationTooLargeError
from welinq_core.lowering import route
from welinq_core.pipeline import compile_program
from welinq_core.reference import simulate

__all__ = [
    "DEFAULT_GATES",
    "MAX_EXPLICIT_QUBIT_PAIRS",
    "RemoteGateCost",
    "remote_gate_cost",
    "target_from_cluster",
    "qubit_qpus",
]

#: Above this many ordered qubit pairs (48 qubits), two-qubit gates get no per-pair
#: properties. Measured (qiskit 2.x, 2 cores): transpiling an 8-qubit QFT at
#: optimization_level=2 takes 0.3-0.6 s on explicit Targets of 16-48 qubits and 2.2 s
#: on 64 (0.15 s without coupling); at level 3 Qiskit's VF2 layout passes may spend
#: 10-100 s on dense Targets (their documented budget is ~60 s).
MAX_EXPLICIT_QUBIT_PAIRS = 48 * 47


#: Gates a QPU without ``native_gates`` advertises: every gate of the core (a QPU with
#: ``native_gates=None`` executes them all). Each Target entry costs time in Qiskit's
#: layout passes and in ``AerSimulator.from_backend`` (10-20 ms per entry there; its
#: equal entries are built once by :func:`qiskit_welinq.aer_noise.aer_noise_model`);
#: give QPUs ``native_gates`` for a smaller Target.
DEFAULT_GATES = gates.supported_gates()


@dataclasses.dataclass(frozen=True, kw_only=True)
class RemoteGateCost:
    """What one two-qubit gate between two QPUs costs when the backend executes it.

    Attributes:
        gate: Gate name (first qubit on ``source``).
        source: QPU of the gate's first qubit.
        target: QPU of the gate's second qubit.
        route: QPUs the Bell pairs cross (swapped at the inner ones).
        bell_pairs: Pairs consumed (one per hop and packet).
        process_fidelity: Fidelity of the gate's exact channel (all the pipeline's
            noise) to the ideal gate, ``<Phi|Choi|Phi>``.
        error: Average gate infidelity, ``(1 - process_fidelity) * d / (d + 1)``, d = 4.
        duration_s: The protocol's duration with pairs on hand (local gates and
            classical latency) plus the mean wait for a fresh pair on every hop from
            empty on-demand sources (the expected maximum of exponential waits).
        effective_pair: Bell-diagonal ``(p_I, p_X, p_Y, p_Z)`` of the consumed pair
            after swapping, as the run report gives it (None on ideal clusters).
    """

    gate: str
    source: str
    target: str
    route: tuple[str, ...]
    bell_pairs: int
    process_fidelity: float
    error: float
    duration_s: float
    effective_pair: tuple[float, float, float, float] | None


def qubit_qpus(cluster: Cluster) -> tuple[str, ...]:
    """The QPU of every Target qubit: QPU by QPU, in the cluster's order.

    Examples:
        >>> qubit_qpus(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2))
        ('qpu0', 'qpu0', 'qpu1', 'qpu1')
    """
    return tuple(q.name for q in cluster.qpus for _ in range(q.num_data_qubits))


def _bell_state_choi(n: int) -> np.ndarray:
    """|Phi+> on (0, n) and (1, n+1), |0> elsewhere; n+2 qubits, big-endian."""
    psi = np.zeros((2,) * (n + 2), dtype=complex)
    for a, b in itertools.product((0, 1), repeat=2):
        idx = [0] * (n + 2)
        idx[0], idx[n], idx[1], idx[n + 1] = a, a, b, b
        psi[tuple(idx)] = 0.5
    return psi.reshape(-1)


def _choi_state(gate: str, params: tuple[float, ...]) -> np.ndarray:
    """(G x I)|Phi+>|Phi+> on qubits (0, 1, ref0, ref1), big-endian."""
    u = np.kron(gates.gate_matrix(gate, params), np.eye(4))
    return u @ _bell_state_choi(2)


def _choi_density_matrix(circuit: Circuit) -> np.ndarray:
    """Choi state of a static circuit (gates and Pauli channels) on qubits 0 and 1, with
    qubits 2.. starting in |0> and traced out; rows/columns ordered (0, 1, ref0, ref1)."""
    n = circuit.num_qubits
    m = n + 2
    psi = _bell_state_choi(n)
    rho = np.outer(psi, psi.conj()).reshape((2,) * (2 * m))

    def apply(r: np.ndarray, u: np.ndarray, qubits: tuple[int, ...]) -> np.ndarray:
        k = len(qubits)
        t = u.reshape((2,) * (2 * k))
        r = np.moveaxis(np.tensordot(t, r, axes=(list(range(k, 2 * k)), list(qubits))), list(range(k)), list(qubits))
        cols = [m + q for q in qubits]
        r = np.moveaxis(np.tensordot(r, t.conj(), axes=(cols, list(range(k, 2 * k)))),
                        list(range(2 * m - k, 2 * m)), cols)
        return r

    for op in circuit.operations:
        if op.name == "barrier":
            continue
        if op.name == "pauli_channel":
            acc = np.zeros_like(rho)
            for label, p in op.pauli_terms:
                if p > 0:
                    acc += p * apply(rho, gates.pauli_matrix(label), op.qubits)
            rho = acc
        else:
            rho = apply(rho, gates.gate_matrix(op.name, op.params), op.qubits)
    keep = [0, 1, n, n + 1]
    rest = [q for q in range(m) if q not in keep]
    rho = np.transpose(rho, keep + rest + [m + q for q in keep] + [m + q for q in rest])
    d, e = 16, 2 ** len(rest)
    return np.einsum("aibi->ab", rho.reshape(d, e, d, e))


def _expected_max_wait_s(rates: Sequence[float]) -> float:
    """E[max of independent exponential waits] with the given rates (inclusion-exclusion)."""
    total = 0.0
    for k in range(1, len(rates) + 1):
        for subset in itertools.combinations(rates, k):
            total += (-1) ** (k + 1) / sum(subset)
    return total


def remote_gate_cost(cluster: Cluster, gate: str, source: str, target: str, *, seed: int = 0) -> RemoteGateCost:
    """Compile one ``gate`` from a qubit on ``source`` to one on ``target`` and measure its channel.

    The gate runs through the backend's own pipeline (lowering, schedule with
    ``seed``, noise in the effective rendering), and the exact channel of the
    resulting circuit is evaluated on the maximally entangled state with the
    reference simulator, so every noise source the backend samples is included.

    Args:
        cluster: The cluster.
        gate: A two-qubit gate name of the core. A parameterised gate is evaluated at
            angles pi/2 and pi, and the costlier one is returned (the cost depends on
            the angle; the Target quotes the worse).
        source: QPU of the first qubit.
        target: QPU of the second qubit (different from ``source``).
        seed: Seed of the schedule (pair-generation times, which age pairs in memory).
            Defaults to 0, the backend's default ``seed_partition``.

    Examples:
        >>> from welinq_core import Cluster, Link
        >>> cl = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=1, topology="line",
        ...                          link=Link(bell_pair_fidelity=0.9))
        >>> cost = remote_gate_cost(cl, "cx", "qpu0", "qpu2")
        >>> cost.route, cost.bell_pairs, round(cost.effective_pair[0], 4), round(cost.error, 4)
        (('qpu0', 'qpu1', 'qpu2'), 2, 0.8133, 0.1493)
    """
    spec = gates.spec(gate)
    if spec.num_qubits != 2 or source == target:
        raise ValueError(f"remote_gate_cost needs a two-qubit gate between two QPUs, got {gate!r} {source}->{target}")
    if spec.num_params:
        costs = [_remote_gate_cost(cluster, gate, source, target, (a,) * spec.num_params, seed)
                 for a in (math.pi / 2, math.pi)]
        return max(costs, key=lambda c: c.error)
    return _remote_gate_cost(cluster, gate, source, target, (), seed)


def _remote_gate_cost(cluster: Cluster, gate: str, source: str, target: str,
                      params: tuple[float, ...], seed: int) -> RemoteGateCost:
    circuit = Circuit(num_qubits=2, operations=[Operation(name=gate, qubits=(0, 1), params=params)])
    compiled = compile_program(circuit, cluster, mode="effective", seed=seed, assignment=(source, target))
    sim = compiled.circuit
    n = sim.num_qubits
    ideal = _choi_state(gate, params)
    if all(op.condition is None and op.name not in ("measure", "reset") for op in sim.operations):
        choi = _choi_density_matrix(sim)
    else:  # feed-forward (non-Clifford packets): the reference simulator's exact branches
        extended = Circuit(num_qubits=n + 2, num_clbits=sim.num_clbits, operations=sim.operations)
        choi = simulate(extended, initial_state=_bell_state_choi(n)).density_matrix([0, 1, n, n + 1])
    fidelity = float(np.real(ideal.conj() @ choi @ ideal))
    fidelity = min(1.0, max(0.0, fidelity))
    packets = compiled.program.packets
    path = packets[0].route if packets else route(cluster, source, target)
    rates = [delivered_rate_hz(cluster.link(a, b), qpus=(cluster.qpu(a), cluster.qpu(b)))  # distilling links: slower
             for a, b in zip(path, path[1:])]
    wait = _expected_max_wait_s([r for r in rates if r is not None])
    summary = compiled.report.noise["packets"] if compiled.report.noise else []
    eff = tuple(summary[0]["effective_pair"]) if len(summary) == 1 else None
    return RemoteGateCost(
        gate=gate,
        source=source,
        target=target,
        route=tuple(path),
        bell_pairs=compiled.report.total_bell_pairs,
        process_fidelity=fidelity,
        error=(1.0 - fidelity) * 4 / 5,
        duration_s=float(compiled.schedule.latency_makespan_s) + wait if compiled.schedule else wait,
        effective_pair=eff,  # type: ignore[arg-type]
    )


def _depolarizing_error(p: float, num_qubits: int) -> float:
    d = 2**num_qubits
    return p * d / (d + 1)


def _signature(cluster: Cluster, path: Sequence[str]) -> tuple:
    """What a remote gate's cost depends on: the QPU models along the route and its links."""
    strip = lambda q: dataclasses.replace(q, name="_")  # noqa: E731
    return (
        tuple(strip(cluster.qpu(x)) for x in path),
        tuple(cluster.link(x, y) for x, y in zip(path, path[1:])),
    )


#: The largest cluster (in data qubits) whose Target is built; every qubit is listed.
MAX_TARGET_QUBITS = 100_000
_TARGET_BYTES_PER_QUBIT = 4096


def target_from_cluster(cluster: Cluster, *, control_flow: bool = True) -> Target:
    """The Target of a cluster (see the module documentation).

    Args:
        cluster: The cluster.
        control_flow: Advertise ``if_else``, ``for_loop`` and ``switch_case`` (the
            backend flattens them; ``while_loop`` cannot be distributed and is not
            advertised). Defaults to True.

    Examples:
        >>> t = target_from_cluster(Cluster.preset("ideal"))
        >>> t.num_qubits, t.qubit_properties[0].t1
        (16, None)

    Raises:
        SimulationTooLargeError: For clusters of more than :data:`MAX_TARGET_QUBITS`
            data qubits (a Target lists every qubit; run circuits without it).
    """
    if cluster.num_data_qubits > MAX_TARGET_QUBITS:
        raise SimulationTooLargeError(
            f"the Qiskit Target of a cluster of {cluster.num_data_qubits} data qubits would list every qubit "
            f"(limit {MAX_TARGET_QUBITS}); describe fewer data qubits per QPU, or run circuits without the "
            "Target (ClusterBackend.run does not need it)",
            required_bytes=cluster.num_data_qubits * _TARGET_BYTES_PER_QUBIT,
            available_bytes=MAX_TARGET_QUBITS * _TARGET_BYTES_PER_QUBIT,
        )
    qpus = qubit_qpus(cluster)
    n = len(qpus)
    by_name: dict[str, QPU] = {q.name: q for q in cluster.qpus}
    target = Target(
        description=f"welinq cluster {cluster.name!r}: "
        + ", ".join(f"{q.name} x{q.num_data_qubits}" for q in cluster.qpus),
        num_qubits=n,
        qubit_properties=[QubitProperties(t1=by_name[q].t1_s, t2=by_name[q].t2_s) for q in qpus],
    )
    mapping = get_standard_gate_name_mapping()
    native = {q.name: set(q.native_gates if q.native_gates is not None else DEFAULT_GATES) for q in cluster.qpus}
    order = {g: k for k, g in enumerate(gates.supported_gates())}
    used = sorted(set().union(*native.values()), key=lambda g: (gates.spec(g).num_qubits, order[g]))
    one = [g for g in used if gates.spec(g).num_qubits == 1]
    two = [g for g in used if gates.spec(g).num_qubits == 2]
    for name in one:
        props = {}
        for i, qn in enumerate(qpus):
            q = by_name[qn]
            if name in native[qn]:
                props[(i,)] = InstructionProperties(
                    duration=q.single_qubit_gate_duration_s,
                    error=_depolarizing_error(q.single_qubit_gate_error, 1),
                )
        target.add_instruction(mapping[name], props, name=name)
    uniform = all(v == native[cluster.qpus[0].name] for v in native.values())
    explicit = n * (n - 1) <= MAX_EXPLICIT_QUBIT_PAIRS
    if explicit:
        starts = {}
        k = 0
        for q in cluster.qpus:
            starts[q.name] = k
            k += q.num_data_qubits
        local: list[tuple[int, int]] = []
        for q in cluster.qpus:
            s = starts[q.name]
            if q.coupling is None:
                pairs = itertools.permutations(range(q.num_data_qubits), 2)
            else:
                pairs = {e for a, b in q.coupling for e in ((a, b), (b, a))}
            local.extend((s + a, s + b) for a, b in sorted(pairs))
        costs = _remote_costs(cluster, two, native)
        for name in two:
            props = {}
            for i, j in local:
                q = by_name[qpus[i]]
                if name in native[q.name]:
                    props[(i, j)] = InstructionProperties(
                        duration=q.two_qubit_gate_duration_s,
                        error=_depolarizing_error(q.two_qubit_gate_error, 2),
                    )
            for i, j in itertools.permutations(range(n), 2):
                if qpus[i] != qpus[j] and (name, qpus[i], qpus[j]) in costs:
                    c = costs[(name, qpus[i], qpus[j])]
                    props[(i, j)] = InstructionProperties(duration=c.duration_s, error=c.error)
            if props:
                target.add_instruction(mapping[name], props, name=name)
    elif uniform:
        for name in two:
            target.add_instruction(mapping[name], name=name)
    else:
        raise ClusterSpecError(
            f"cluster {cluster.name!r} has {n} data qubits and QPUs with different native_gates; a "
            f"Target over more than {MAX_EXPLICIT_QUBIT_PAIRS} qubit pairs lists two-qubit gates on "
            "every pair, which needs one gate set for all QPUs; give every QPU the same native_gates"
        )
    meas, reset = {}, {}
    for i, qn in enumerate(qpus):
        q = by_name[qn]
        meas[(i,)] = InstructionProperties(duration=q.measurement_duration_s, error=q.readout_error)
        reset[(i,)] = InstructionProperties(duration=q.measurement_duration_s, error=q.readout_error)
    target.add_instruction(Measure(), meas)
    target.add_instruction(Reset(), reset)
    # Delays on every qubit, as on AerSimulator's Target, so that transpile(qc, backend) keeps
    # a circuit's delays instead of failing on them; the run ignores them (no idle time).
    target.add_instruction(Delay(Parameter("t")), {(i,): None for i in range(len(qpus))})
    # Channels (quantum_info Kraus/SuperOp/Choi... and Aer QuantumError instructions) on any
    # qubits, as on AerSimulator's Target, so that transpile(qc, backend) keeps them.
    target.add_instruction(Kraus, name="kraus")
    target.add_instruction(QuantumChannel, name="quantum_channel")
    if control_flow:
        target.add_instruction(IfElseOp, name="if_else")
        target.add_instruction(ForLoopOp, name="for_loop")
        target.add_instruction(SwitchCaseOp, name="switch_case")
    return target


def _remote_costs(cluster: Cluster, two: Sequence[str],
                  native: dict[str, set[str]]) -> dict[tuple[str, str, str], RemoteGateCost]:
    """Cost of every two-qubit gate between every ordered pair of QPUs, computed once per
    distinct signature (homogeneous clusters need one per route length)."""
    out: dict[tuple[str, str, str], RemoteGateCost] = {}
    seen: dict[tuple, dict[str, RemoteGateCost]] = {}
    paths = dict(nx.all_pairs_shortest_path(cluster.network()))  # the lowering's routes
    hosts = [q.name for q in cluster.qpus if q.num_data_qubits > 0]  # QPUs that only swap host no gate
    for a, b in itertools.permutations(hosts, 2):
        path = tuple(paths[a][b])
        sig = _signature(cluster, path)
        common = [g for g in two if g in native[a] and g in native[b]]
        if sig not in seen:
            seen[sig] = {g: remote_gate_cost(cluster, g, a, b) for g in common}
        for g in common:
            out[(g, a, b)] = dataclasses.replace(seen[sig][g], source=a, target=b, route=path)
    return out


@functools.lru_cache(maxsize=16)
def _cached_target(cluster: Cluster) -> Target:
    return target_from_cluster(cluster)


def cached_target(cluster: Cluster) -> Target:
    """:func:`target_from_cluster`, cached per (frozen, hashable) cluster."""
    try:
        hash(cluster)
    except TypeError:  # a field that cannot be hashed: build it afresh
        return target_from_cluster(cluster)
    return _cached_target(cluster)
