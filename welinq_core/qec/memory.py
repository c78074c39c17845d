"""Surface-code memory experiments split across QPUs, as stim circuits.

:func:`surface_code_memory` builds a rotated surface-code memory experiment (prepare
``|0>_L`` or ``|+>_L``, ``rounds`` rounds of stabilizer measurement, read out) whose
lattice is cut into ``num_qpus`` strips (see :mod:`welinq_core.qec.layout`). CNOTs
inside a strip carry the bulk noise, CNOTs across a seam the interface noise (see
:mod:`welinq_core.qec.noise_models`). Detectors compare consecutive measurements of each
stabilizer; the observable is the logical operator along the first data row (``z``) or
column (``x``). This is the setting of Ramette, Sinclair, Breuckmann and Vuletić,
"Fault-tolerant connection of error-corrected qubits with noisy links",
npj Quantum Information 10, 58 (2024).

:func:`surface_code_memory_on_cluster` takes the noise from a welinq
:class:`~welinq_core.cluster.Cluster`: bulk noise from each QPU's gate and readout errors,
interface noise from the pair its link delivers (optionally distilled), and reports the
Bell pairs consumed per round.

Examples:
    >>> circuit = surface_code_memory(distance=3, rounds=3, bulk_error=0.001, interface_error=0.05)
    >>> circuit.num_qubits, circuit.num_detectors, circuit.num_observables
    (17, 24, 1)
    >>> _ = circuit.detector_error_model(decompose_errors=True)
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Mapping
from typing import Any

import stim

from welinq_core.cluster import Cluster
from welinq_core.errors import InsufficientQubitsError, NoRouteError, OptionsError
from welinq_core.physics.bell_pair import BellPair
from welinq_core.physics.distillation import distill
from welinq_core.qec.layout import SurfaceCodeLayout, surface_code_layout
from welinq_core.qec.noise_models import BulkNoise, InterfaceNoise, check_probability

__all__ = [
    "BASES",
    "INTERFACE_CHANNELS",
    "MemoryExperiment",
    "memory_circuit",
    "surface_code_memory",
    "surface_code_memory_on_cluster",
]

#: Memory bases: ``"z"`` keeps ``|0>_L``, ``"x"`` keeps ``|+>_L``.
BASES: tuple[str, ...] = ("z", "x")
#: Interface channels of :func:`surface_code_memory`.
INTERFACE_CHANNELS: tuple[str, ...] = ("depolarizing", "remote_cnot")


def _check_rounds(rounds: object) -> int:
    if isinstance(rounds, bool) or not isinstance(rounds, numbers.Integral) or rounds < 1:
        raise OptionsError(f"rounds={rounds!r} must be a positive integer (usually the distance)")
    return int(rounds)


def _check_basis(basis: object) -> str:
    if basis not in BASES:
        raise OptionsError(f"basis={basis!r} is not one of {BASES}; use 'z' or 'x'")
    return str(basis)


def _grouped(circuit: stim.Circuit, name: str, targets: list[int], probs: list[float]) -> None:
    """Append ``name(p)`` for each distinct non-zero ``p``, on the targets that have it."""
    by_p: dict[float, list[int]] = {}
    for t, p in zip(targets, probs):
        if p > 0:
            by_p.setdefault(p, []).append(t)
    for p, ts in by_p.items():
        circuit.append(name, ts, p)


def _append_channel(circuit: stim.Circuit, channel: InterfaceNoise, a: int, b: int) -> None:
    """Append a two-qubit Pauli channel on ``(a, b)`` in a form stim analyses exactly."""
    probs = channel.probabilities
    if max(probs) - min(probs) < 1e-15:
        circuit.append("DEPOLARIZE2", [a, b], channel.total)
        return
    parts = channel.independent_components()
    if parts is None:
        circuit.append("PAULI_CHANNEL_2", [a, b], list(probs))
        return
    make = {"X": stim.target_x, "Y": stim.target_y, "Z": stim.target_z}
    for label, r in parts.items():
        targets = [make[p](q) for p, q in zip(label, (a, b)) if p != "I"]
        circuit.append("CORRELATED_ERROR", targets, r)


def memory_circuit(
    layout: SurfaceCodeLayout,
    *,
    rounds: int,
    basis: str = "z",
    bulk: BulkNoise | Mapping[int, BulkNoise],
    interface: InterfaceNoise | Mapping[tuple[int, int], InterfaceNoise | None] | None,
    add_bulk_to_interface: bool = False,
) -> stim.Circuit:
    """The memory experiment on ``layout`` with explicit noise objects.

    Args:
        layout: Qubits, strips and CNOT schedule.
        rounds: Rounds of stabilizer measurement (>= 1).
        basis: ``"z"`` or ``"x"``.
        bulk: One :class:`BulkNoise` for all QPUs, or one per QPU index.
        interface: Channel of a cross-seam CNOT, one for all seams or one per ``(i, i + 1)``;
            None means noiseless seams.
        add_bulk_to_interface: Also apply the bulk two-qubit error of both QPUs to a
            cross-seam CNOT (the local CNOTs of the remote-gate protocol).

    Returns:
        A stim circuit with detectors (coordinates ``(x, y, t)`` as stim's generated
        surface codes) and one observable.
    """
    rounds = _check_rounds(rounds)
    basis = _check_basis(basis)
    qpu_bulk = {q: (bulk if isinstance(bulk, BulkNoise) else bulk[q]) for q in range(layout.num_qpus)}
    if interface is None or isinstance(interface, InterfaceNoise):
        seam_noise = {s: interface for s in layout.interface_gates_per_seam()}
    else:
        seam_noise = dict(interface)
    idx = layout.index
    data = [idx[c] for c in layout.data]
    anc_coords = layout.ancillas
    anc = [idx[c] for c in anc_coords]
    x_anc = [idx[c] for c in layout.x_ancillas]
    check_coords = layout.z_ancillas if basis == "z" else layout.x_ancillas
    check_set = set(check_coords)
    qpu = {idx[c]: layout.qpu_of[c] for c in layout.qubits}

    def noise(attr: str, qubits: list[int]) -> list[float]:
        return [getattr(qpu_bulk[qpu[q]], attr) for q in qubits]

    c = stim.Circuit()
    for coord, i in idx.items():
        c.append("QUBIT_COORDS", [i], list(coord))
    data_reset, flip = ("R", "X_ERROR") if basis == "z" else ("RX", "Z_ERROR")
    c.append(data_reset, data)
    _grouped(c, flip, data, noise("reset", data))
    c.append("R", anc)
    _grouped(c, "X_ERROR", anc, noise("reset", anc))

    def one_round() -> stim.Circuit:
        r = stim.Circuit()
        r.append("TICK")
        _grouped(r, "DEPOLARIZE1", data, noise("data_idle", data))
        r.append("H", x_anc)
        _grouped(r, "DEPOLARIZE1", x_anc, noise("single_qubit", x_anc))
        for layer in layout.cnot_layers:
            r.append("TICK")
            pairs = [(idx[a], idx[b]) for a, b in layer]
            r.append("CX", [q for p in pairs for q in p])
            local = [p for p in pairs if qpu[p[0]] == qpu[p[1]]]
            by_p: dict[float, list[int]] = {}
            for a, b in local:
                p2 = qpu_bulk[qpu[a]].two_qubit
                if p2 > 0:
                    by_p.setdefault(p2, []).extend((a, b))
            for a, b in pairs:
                if qpu[a] == qpu[b]:
                    continue
                seam = tuple(sorted((qpu[a], qpu[b])))
                channel = seam_noise.get(seam)
                if channel is not None and channel.total > 0:
                    _append_channel(r, channel, a, b)
                if add_bulk_to_interface:
                    for side in (qpu[a], qpu[b]):
                        p2 = qpu_bulk[side].two_qubit
                        if p2 > 0:
                            r.append("DEPOLARIZE2", [a, b], p2)
            for p2, ts in by_p.items():
                r.append("DEPOLARIZE2", ts, p2)
            busy = {q for p in pairs for q in p}
            idle = [q for q in data + anc if q not in busy]
            _grouped(r, "DEPOLARIZE1", idle, noise("idle", idle))
        r.append("TICK")
        r.append("H", x_anc)
        _grouped(r, "DEPOLARIZE1", x_anc, noise("single_qubit", x_anc))
        r.append("TICK")
        _grouped(r, "X_ERROR", anc, noise("measurement", anc))
        r.append("MR", anc)
        _grouped(r, "X_ERROR", anc, noise("reset", anc))
        return r

    n_a = len(anc)
    c += one_round()
    for i, coord in enumerate(anc_coords):
        if coord in check_set:
            c.append("DETECTOR", [stim.target_rec(i - n_a)], [coord[0], coord[1], 0])
    if rounds > 1:
        body = one_round()
        body.append("SHIFT_COORDS", [], [0, 0, 1])
        for i, coord in enumerate(anc_coords):
            body.append("DETECTOR", [stim.target_rec(i - n_a), stim.target_rec(i - 2 * n_a)],
                        [coord[0], coord[1], 0])
        c += body * (rounds - 1)
    n_d = len(data)
    measure = "M" if basis == "z" else "MX"
    _grouped(c, flip, data, noise("measurement", data))
    c.append(measure, data)
    data_pos = {coord: k for k, coord in enumerate(layout.data)}
    for i, coord in enumerate(anc_coords):
        if coord in check_set:
            recs = [stim.target_rec(data_pos[q] - n_d) for q in layout.neighbours(coord)]
            recs.append(stim.target_rec(i - n_a - n_d))
            c.append("DETECTOR", recs, [coord[0], coord[1], 1])
    if basis == "z":
        logical = [q for q in layout.data if q[1] == 1]
    else:
        logical = [q for q in layout.data if q[0] == 1]
    c.append("OBSERVABLE_INCLUDE", [stim.target_rec(data_pos[q] - n_d) for q in logical], 0)
    return c


def surface_code_memory(
    *,
    distance: int,
    rounds: int,
    bulk_error: float,
    interface_error: float,
    num_qpus: int = 2,
    basis: str = "z",
    seam: str = "vertical",
    noise_model: str = "uniform",
    interface_channel: str = "depolarizing",
) -> stim.Circuit:
    """A rotated surface-code memory experiment split over ``num_qpus`` QPUs.

    Args:
        distance: Odd code distance, at least 3.
        rounds: Rounds of stabilizer measurement (usually ``distance``).
        bulk_error: Strength ``p`` of the bulk noise model, in [0, 1].
        interface_error: Error probability of a CNOT across a seam, in [0, 1]; it replaces
            the bulk CNOT error on those gates.
        num_qpus: Number of QPUs (strips), 1 to ``distance``. Defaults to 2.
        basis: ``"z"`` (default) or ``"x"``.
        seam: ``"vertical"`` (default; strips of data columns) or ``"horizontal"``.
        noise_model: Bulk model, ``"uniform"`` (default) or ``"si1000"``
            (see :mod:`welinq_core.qec.noise_models`).
        interface_channel: ``"depolarizing"`` (default; two-qubit depolarizing of
            probability ``interface_error``) or ``"remote_cnot"`` (the exact channel of a
            remote CNOT with a Werner pair of fidelity ``1 - interface_error``).

    Returns:
        A :class:`stim.Circuit` with detectors and one logical observable.

    Raises:
        OptionsError: Even or too-small distance, bad rounds/basis/seam/model, or more
            QPUs than data columns.
        PhysicsParameterError: An error probability outside [0, 1].

    Examples:
        >>> c = surface_code_memory(distance=5, rounds=5, bulk_error=0.001, interface_error=0.1,
        ...                         num_qpus=3)
        >>> c.num_qubits
        49
        >>> surface_code_memory(distance=3, rounds=3, bulk_error=2, interface_error=0)
        Traceback (most recent call last):
        ...
        welinq_core.errors.PhysicsParameterError: bulk_error=2 is outside [0, 1]; give an error probability such as 0.001
    """
    layout = surface_code_layout(distance=distance, num_qpus=num_qpus, seam=seam)
    bulk = BulkNoise.named(noise_model, bulk_error)
    check_probability("interface_error", interface_error)
    if interface_channel == "depolarizing":
        interface = InterfaceNoise.depolarizing(interface_error)
    elif interface_channel == "remote_cnot":
        interface = InterfaceNoise.werner_remote_cnot(interface_error)
    else:
        raise OptionsError(f"interface_channel={interface_channel!r} is not one of {INTERFACE_CHANNELS}")
    return memory_circuit(layout, rounds=rounds, basis=basis, bulk=bulk, interface=interface)


@dataclasses.dataclass(frozen=True, kw_only=True)
class MemoryExperiment:
    """A memory experiment on a cluster and what it costs in Bell pairs.

    Attributes:
        circuit: The stim circuit.
        layout: Qubits and strips; strip ``i`` runs on ``qpu_names[i]``.
        rounds: Rounds of stabilizer measurement.
        qpu_names: The QPUs used, in strip order.
        bulk: Bulk noise of each QPU, by name.
        interface: Channel of a cross-seam CNOT for each neighbouring pair of QPUs.
        pair_fidelity: Fidelity of the pair each remote CNOT consumes, per seam
            (after distillation).
        bell_pairs_per_round: Expected elementary Bell pairs consumed per round, per seam
            (one per remote CNOT times the distillation overhead).
        distillation_rounds: Recurrence (DEJMPS) rounds applied to each pair.
    """

    circuit: stim.Circuit
    layout: SurfaceCodeLayout
    rounds: int
    qpu_names: tuple[str, ...]
    bulk: dict[str, BulkNoise]
    interface: dict[tuple[str, str], InterfaceNoise]
    pair_fidelity: dict[tuple[str, str], float]
    bell_pairs_per_round: dict[tuple[str, str], float]
    distillation_rounds: int = 0

    @property
    def total_bell_pairs_per_round(self) -> float:
        """Elementary Bell pairs consumed per round over all seams."""
        return sum(self.bell_pairs_per_round.values())

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (for reports and sinter metadata)."""
        return {
            "distance": self.layout.distance,
            "rounds": self.rounds,
            "qpus": list(self.qpu_names),
            "seam": self.layout.seam,
            "distillation_rounds": self.distillation_rounds,
            "bell_pairs_per_round": {f"{a}-{b}": n for (a, b), n in self.bell_pairs_per_round.items()},
            "pair_fidelity": {f"{a}-{b}": f for (a, b), f in self.pair_fidelity.items()},
            "interface_error": {f"{a}-{b}": ch.total for (a, b), ch in self.interface.items()},
        }


def surface_code_memory_on_cluster(
    cluster: Cluster,
    *,
    distance: int,
    rounds: int,
    basis: str = "z",
    seam: str = "vertical",
    qpus: tuple[str, ...] | None = None,
    distillation_rounds: int = 0,
    check_capacity: bool = True,
) -> MemoryExperiment:
    """A memory experiment whose noise comes from a cluster's QPUs and links.

    Strip ``i`` of the lattice runs on ``qpus[i]`` (default: all QPUs of the cluster in
    order); neighbouring strips must share a link. Bulk noise of a QPU: its
    ``two_qubit_gate_error`` after each CNOT, ``single_qubit_gate_error`` after each
    Hadamard, ``readout_error`` before each measurement (resets and idling noiseless).
    A CNOT across a seam gets the exact remote-CNOT channel of the pair the link
    delivers (:attr:`Link.pauli_probabilities`, after ``distillation_rounds`` rounds of
    DEJMPS recurrence), followed by the two QPUs' local two-qubit errors.

    Args:
        cluster: The cluster.
        distance: Odd code distance, at least 3.
        rounds: Rounds of stabilizer measurement.
        basis: ``"z"`` or ``"x"``.
        seam: ``"vertical"`` or ``"horizontal"``.
        qpus: Names of the QPUs to use, in strip order; default all, in cluster order.
        distillation_rounds: DEJMPS recurrence rounds on every pair (each doubles the pairs
            consumed, divided by the success probability). Defaults to 0.
        check_capacity: Refuse QPUs with fewer data qubits than their strip needs.

    Raises:
        NoRouteError: Two neighbouring strips' QPUs have no direct link.
        InsufficientQubitsError: A QPU is smaller than its strip.
        OptionsError: Bad distance, rounds, basis, seam, or too many QPUs.

    Examples:
        >>> from welinq_core import QPU, Cluster, Link
        >>> qpu = QPU(name="q", num_data_qubits=20, two_qubit_gate_error=0.001)
        >>> cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=20, qpu=qpu,
        ...                               link=Link(bell_pair_fidelity=0.9))
        >>> exp = surface_code_memory_on_cluster(cluster, distance=3, rounds=3)
        >>> exp.total_bell_pairs_per_round, exp.pair_fidelity
        (5.0, {('qpu0', 'qpu1'): 0.9})
    """
    names = tuple(qpus) if qpus is not None else cluster.qpu_names
    for n in names:
        cluster.qpu(n)
    if isinstance(distillation_rounds, bool) or not isinstance(distillation_rounds, numbers.Integral) \
            or distillation_rounds < 0:
        raise OptionsError(f"distillation_rounds={distillation_rounds!r} must be a non-negative integer")
    layout = surface_code_layout(distance=distance, num_qpus=len(names), seam=seam)
    bulk_by_name: dict[str, BulkNoise] = {}
    for name, size in zip(names, layout.qpu_sizes):
        q = cluster.qpu(name)
        if check_capacity and q.num_data_qubits < size:
            raise InsufficientQubitsError(
                f"QPU {name!r} has {q.num_data_qubits} data qubits but its strip of the distance-"
                f"{layout.distance} code needs {size}; use bigger QPUs, more QPUs or a smaller distance",
                required=size, available=q.num_data_qubits)
        bulk_by_name[name] = BulkNoise(two_qubit=q.two_qubit_gate_error, single_qubit=q.single_qubit_gate_error,
                                       measurement=q.readout_error)
    interface: dict[tuple[str, str], InterfaceNoise] = {}
    by_index: dict[tuple[int, int], InterfaceNoise] = {}
    fidelity: dict[tuple[str, str], float] = {}
    pairs: dict[tuple[str, str], float] = {}
    for (i, j), count in layout.interface_gates_per_seam().items():
        a, b = names[i], names[j]
        if not cluster.has_link(a, b):
            raise NoRouteError(
                f"QPUs {a!r} and {b!r} hold neighbouring strips of the code but share no link; "
                "order `qpus` so that neighbours are linked", qpu_a=a, qpu_b=b)
        pair = BellPair(**dict(zip(("p_i", "p_x", "p_y", "p_z"), cluster.link(a, b).pauli_probabilities)))
        cost = 1.0
        for _ in range(int(distillation_rounds)):
            step = distill(pair, pair, protocol="dejmps")
            cost = 2 * cost / step.success_probability
            pair = step.pair
        channel = InterfaceNoise.remote_cnot((pair.p_i, pair.p_x, pair.p_y, pair.p_z))
        interface[(a, b)] = channel
        by_index[(i, j)] = channel
        fidelity[(a, b)] = pair.p_i
        pairs[(a, b)] = count * cost
    bulk_by_index = {i: bulk_by_name[n] for i, n in enumerate(names)}
    circuit = memory_circuit(layout, rounds=rounds, basis=basis, bulk=bulk_by_index, interface=by_index,
                             add_bulk_to_interface=True)
    return MemoryExperiment(circuit=circuit, layout=layout, rounds=int(rounds), qpu_names=names,
                            bulk=bulk_by_name, interface=interface, pair_fidelity=fidelity,
                            bell_pairs_per_round=pairs, distillation_rounds=int(distillation_rounds))
