r"""The noise stage: link, memory, idle and local-gate noise on a lowered program.

:func:`add_noise` turns a :class:`~welinq_core.lowering.DistributedProgram` into
the circuit an engine samples, in one of two renderings that describe the SAME
physics (same Bell-diagonal pairs, same local Pauli noise):

``explicit``
    Communication qubits, entanglement swapping, cat-entangler/disentangler with
    mid-circuit measurement and feed-forward, as hardware runs them. Each Bell
    pair is prepared as ``|Phi+>`` and then its Bell-diagonal channel is applied
    to its second qubit ("Pauli P on qubit B of Phi+", docs/physics.md 2.1).
    Local noise is applied to data AND communication qubits: one-qubit
    depolarizing after each one-qubit gate, two-qubit depolarizing after each
    two-qubit gate, a bit flip before each measurement (readout error). The
    preparation of a pair (reset, h, cx on the two communication qubits) stands
    for the link's generation and gets no gate noise (the pair state already says
    everything); classically-controlled Pauli corrections are tracked in the
    Pauli frame and are noiseless.

``effective``
    Data qubits only. Every noise source of the explicit protocol is mapped
    exactly onto the data qubits (docs/physics.md 2.7). The physics that makes
    this subtle: an X-type error on a packet's *copy* (pair X/Y, an X on the
    cat-entangler's ancilla, a readout flip, an X on the copy after one of its
    gates, or an X on the control *while* a copy exists) makes every LATER gate of
    the packet act with the control flipped, ``G -> X_c G X_c``. For a Clifford
    gate ``X_c G X_c = G E`` with a Pauli ``E`` (``cx``: ``X_t``, ``cz``: ``Z_t``,
    ``cy``: ``Y_t``); for ``cp``/``crz``/``rzz``... it is not a Pauli. A Z-type
    error on the copy is exactly ``Z_c`` anywhere in the packet's span (the
    control meets only gates diagonal on it there).

    Each noise *event* (one independent random draw of the explicit circuit) is
    rendered at the point where it physically happens, in the first of these
    forms that applies:

    1. ``plain``: it flips no copy -> a Pauli channel on data qubits, exact.
    2. ``clifford``: it flips copies, and every ``E`` (and, if needed, the event's
       own data Paulis) can be propagated through Clifford operations back to
       the event (or forward to just after the last gate it affects) -> ONE
       correlated multi-qubit Pauli channel, exact. This is the common case
       (``cx``/``cz`` packets) and keeps the circuit static (stabilizer-friendly).
    3. ``conditional`` (shared randomness), in one of two exact forms chosen per
       circuit (``randomness`` in the summary):

       * ``purified`` (static): one *randomness qubit* per packet that needs it,
         never measured. Each event applies a Pauli channel with ``X`` on the
         randomness qubits of the copies it flips, jointly with its data Paulis;
         the qubit thus holds the XOR of the flips so far (a classical mixture of
         ``|0>``/``|1>``), and every affected gate is conjugated by ``cx(r, c)``.
         Tracing ``r`` out gives exactly the explicit mixture, and the circuit stays
         static (one state serves all shots; density matrix possible).
       * ``measured`` (dynamic): the event is drawn on randomness qubits (one per
         copy it may flip, reset and reused), measured into scratch bits, and
         every affected gate is conjugated by classically-controlled ``x``.
         Fewer extra qubits, but mid-circuit measurement and feed-forward.

       ``effective_rendering="exact"`` picks ``purified`` unless it needs many
       more qubits than ``measured`` (:data:`PURIFY_MAX_EXTRA_QUBITS`);
       ``"purified"``/``"measured"`` force a form.
    4. ``approximate`` (only with ``effective_rendering="static"``): instead of
       3., the flips are dropped and the event's data Paulis kept. The summary
       then says ``effective_exact: False`` and counts the approximated events.

    With the default ``effective_rendering="exact"`` the effective circuit is
    exact for every program and noise setting this stage produces (tests in
    ``tests/noise`` check density matrices of both renderings to 1e-9).

Not modelled (documented gaps, same in both modes): decoherence of a packet's copy
on its communication qubit while the packet is open (the scheduler will supply
durations), and any timing of local gates (idle noise is added only for the
waits the stage knows about: by default each packet's control and first target
wait one route latency for the pair/first message, and the control waits one more
route latency at the disentangler; ``idle_durations`` overrides per packet).

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> from welinq_core.cluster import Cluster, Link
    >>> from welinq_core.lowering import lower
    >>> c = Circuit(num_qubits=2, operations=[Operation(name="h", qubits=(0,)),
    ...     Operation(name="cx", qubits=(0, 1))])
    >>> cl = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, link=Link(bell_pair_fidelity=0.97))
    >>> noisy = add_noise(lower(c, cl, ("qpu0", "qpu1")), mode="effective")
    >>> [op.name for op in noisy.circuit]
    ['h', 'cx', 'pauli_channel']
    >>> [(lab, round(p, 12)) for lab, p in noisy.circuit.operations[-1].pauli_terms]  # on (c, t)
    [('II', 0.97), ('IX', 0.01), ('ZI', 0.01), ('ZX', 0.01)]
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from welinq_core import gates
from welinq_core.circuit import Circuit, Condition, Operation
from welinq_core.cluster import QPU
from welinq_core.errors import OptionsError
from welinq_core.lowering import DistributedProgram
from welinq_core.physics import BellPair, age, convolve_pauli

__all__ = [
    "NoisyProgram",
    "add_noise",
    "NOISE_MODES",
    "EFFECTIVE_RENDERINGS",
    "default_pair_states",
    "idle_pauli_probabilities",
    "depolarizing_terms",
]

NOISE_MODES = ("explicit", "effective")
EFFECTIVE_RENDERINGS = ("exact", "static", "purified", "measured")
#: ``exact`` purifies shared randomness (static circuit) when it needs at most this many
#: more qubits than the measured form. Measured (Aer 0.18, 2 cores, 10,000 shots, state
#: vector with shot branching, engine deferring what it can of the measured form): QFT-like
#: 12 qubits, purified with 2 randomness qubits 10.2 s vs measured with 1 10.0 s; every
#: extra qubit costs ~2x since each shot branch holds a state vector.
PURIFY_MAX_EXTRA_QUBITS = 0

_PAULIS = "IXYZ"
_BITS = {"I": (0, 0), "X": (1, 0), "Y": (1, 1), "Z": (0, 1)}
_FROM_BITS = {v: k for k, v in _BITS.items()}


@dataclasses.dataclass(frozen=True, kw_only=True)
class NoisyProgram:
    """The circuit to sample, with the evidence of where the noise went.

    Attributes:
        circuit: The noisy IR circuit. Qubits ``0..num_data_qubits-1`` are the
            user's; classical bits ``0..num_user_clbits-1`` are the user's.
        num_user_clbits: Classical bits reported to the user.
        num_data_qubits: The user's qubits.
        mode: ``"explicit"`` or ``"effective"``.
        summary: Plain-data summary for the report (see :func:`add_noise`).
    """

    circuit: Circuit
    num_user_clbits: int
    num_data_qubits: int
    mode: str
    summary: dict[str, Any]


# ----------------------------------------------------------------------------- channels
def depolarizing_terms(p: float, num_qubits: int) -> tuple[tuple[str, float], ...]:
    """Terms of the n-qubit depolarizing channel: identity 1-p, each other Pauli p/(4^n-1).

    Examples:
        >>> depolarizing_terms(0.03, 1)
        (('I', 0.97), ('X', 0.01), ('Y', 0.01), ('Z', 0.01))
    """
    labels = ["".join(t) for t in itertools.product(_PAULIS, repeat=num_qubits)]
    q = p / (len(labels) - 1)
    return tuple((lab, 1.0 - p if k == 0 else q) for k, lab in enumerate(labels))


def idle_pauli_probabilities(qpu: QPU, duration_s: float) -> tuple[float, float, float, float]:
    """Pauli-twirled T1/T2 idling of a data qubit (Ghosh, Fowler, Geller PRA 86, 062318 (2012)).

    ``pX = pY = (1 - e^{-t/T1})/4``, ``pZ = (1 - e^{-t/T2})/2 - (1 - e^{-t/T1})/4``.
    Without ``t2_s`` the pure-relaxation limit ``T2 = 2 T1`` is used; without
    ``t1_s`` only dephasing acts.

    Examples:
        >>> q = QPU(name="a", num_data_qubits=1, t1_s=1.0, t2_s=1.0)
        >>> [round(x, 6) for x in idle_pauli_probabilities(q, 0.1)]
        [0.928628, 0.023791, 0.023791, 0.023791]
    """
    if duration_s <= 0 or (qpu.t1_s is None and qpu.t2_s is None):
        return (1.0, 0.0, 0.0, 0.0)
    a = -math.expm1(-duration_s / qpu.t1_s) if qpu.t1_s is not None else 0.0
    t2 = qpu.t2_s if qpu.t2_s is not None else 2 * qpu.t1_s  # type: ignore[operator]
    b = -math.expm1(-duration_s / t2)
    px = a / 4
    pz = max(b / 2 - a / 4, 0.0)
    return (1.0 - 2 * px - pz, px, px, pz)


def default_pair_states(program: DistributedProgram) -> tuple[tuple[float, float, float, float], ...]:
    """Bell-diagonal probabilities of every ledger pair when nothing better is known.

    A pair starts in its link's state (``Link.pauli_probabilities``) and, when the
    link has a memory, both halves age in it for the herald latency (one fibre
    latency, midpoint heralding, docs/physics.md 2.2-2.4).
    """
    out = []
    for use in program.bell_pairs:
        link = program.cluster.link(*use.link)
        probs = tuple(float(x) for x in link.pauli_probabilities)
        if link.memory is not None and link.latency_s > 0:
            aged = age(BellPair.from_probabilities(probs), link.latency_s, link.latency_s, link.memory, link.memory)
            probs = tuple(float(x) for x in aged.probabilities)
        out.append(probs)  # type: ignore[arg-type]
    return tuple(out)  # type: ignore[return-value]


def _check_states(states: Sequence[Sequence[float]], n: int) -> tuple[tuple[float, float, float, float], ...]:
    if len(states) != n:
        raise OptionsError(
            f"pair_states has {len(states)} entries but the program consumes {n} Bell pairs; "
            "give one (p_I, p_X, p_Y, p_Z) per ledger pair, in ledger order"
        )
    out = []
    for k, s in enumerate(states):
        p = tuple(float(x) for x in s)
        if len(p) != 4 or min(p) < -1e-12 or abs(sum(p) - 1) > 1e-9:
            raise OptionsError(
                f"pair_states[{k}]={p!r} must be 4 non-negative probabilities (p_I, p_X, p_Y, p_Z) "
                "summing to 1"
            )
        out.append(tuple(max(x, 0.0) for x in p))
    return tuple(out)  # type: ignore[return-value]


def _channel(qubits: Sequence[int], terms: Sequence[tuple[str, float]], condition: Condition | None = None) -> Operation | None:
    """A pauli_channel op with merged labels, or None when it is the identity."""
    merged: dict[str, float] = {}
    for lab, p in terms:
        if p > 0:
            merged[lab] = merged.get(lab, 0.0) + p
    if all(set(lab) <= {"I"} for lab in merged):
        return None
    total = sum(merged.values())
    items = sorted(merged.items(), key=lambda kv: (kv[0] != "I" * len(qubits), kv[0]))
    items = [(lab, p / total) for lab, p in items]
    return Operation(name="pauli_channel", qubits=tuple(qubits), pauli_terms=tuple(items), condition=condition)


# ----------------------------------------------------------------------------- Pauli propagation
@functools.lru_cache(maxsize=4096)
def _conjugate(name: str, params: tuple[float, ...], label: str, forward: bool) -> str | None:
    """``U P U^dag`` (forward) or ``U^dag P U`` (backward) as a Pauli label, or None."""
    u = gates.gate_matrix(name, params)
    p = gates.pauli_matrix(label)
    m = u @ p @ u.conj().T if forward else u.conj().T @ p @ u
    d = m.shape[0]
    for cand in itertools.product(_PAULIS, repeat=len(label)):
        q = gates.pauli_matrix("".join(cand))
        if _proportional(m, q, d):
            return "".join(cand)
    return None


def _proportional(m: np.ndarray, q: np.ndarray, d: int) -> bool:
    """Whether ``m`` is a phase times the Pauli ``q`` (entrywise to 1e-12: a trace test is
    only quadratic in small deviations, and took ``cp(5e-6)`` for a Clifford gate)."""
    c = np.trace(q.conj().T @ m) / d
    return abs(abs(c) - 1) < 1e-9 and float(np.abs(m - c * q).max()) < 1e-12


def _mul(a: dict[int, str], b: Mapping[int, str]) -> dict[int, str]:
    out = dict(a)
    for q, ch in b.items():
        x1, z1 = _BITS[out.get(q, "I")]
        x2, z2 = _BITS[ch]
        r = _FROM_BITS[(x1 ^ x2, z1 ^ z2)]
        if r == "I":
            out.pop(q, None)
        else:
            out[q] = r
    return out


def _propagate(ops: Sequence[Operation], pauli: Mapping[int, str], start: int, stop: int) -> dict[int, str] | None:
    """Move a Pauli inserted before ``ops[start]`` to before ``ops[stop]`` (either direction).

    Returns None when an operation in between is not Clifford on the Pauli's support
    (or measures/resets it, or is a classically-controlled non-Pauli gate).
    """
    cur = dict(pauli)
    if start == stop or not cur:
        return cur
    forward = stop > start
    idx = range(start, stop) if forward else range(start - 1, stop - 1, -1)
    for i in idx:
        op = ops[i]
        if op.name in ("barrier", "pauli_channel"):
            continue
        hit = [q for q in op.qubits if q in cur]
        if not hit:
            continue
        if op.name in ("measure", "reset"):
            return None
        if op.condition is not None and op.name not in ("x", "y", "z", "id"):
            return None
        label = "".join(cur.get(q, "I") for q in op.qubits)
        new = _conjugate(op.name, op.params, label, forward)
        if new is None:
            return None
        for q, ch in zip(op.qubits, new):
            if ch == "I":
                cur.pop(q, None)
            else:
                cur[q] = ch
    return cur


@functools.lru_cache(maxsize=1024)
def _flip_pauli(name: str, params: tuple[float, ...], control_pos: int) -> str | None:
    """``E = G^dag X_c G X_c`` as a Pauli label on the gate's qubits, or None."""
    u = gates.gate_matrix(name, params)
    xs = [gates.PAULI_MATRICES["I"], gates.PAULI_MATRICES["I"]]
    xs[control_pos] = gates.PAULI_MATRICES["X"]
    xc = np.kron(xs[0], xs[1])
    m = u.conj().T @ xc @ u @ xc
    for cand in itertools.product(_PAULIS, repeat=2):
        q = gates.pauli_matrix("".join(cand))
        if _proportional(m, q, 4):
            return "".join(cand)
    return None


# ----------------------------------------------------------------------------- the stage
@dataclasses.dataclass
class _Event:
    """One independent random draw, at ``pos`` (before base op ``pos``).

    ``outcomes``: (probability, data Paulis at pos, packets whose copy it flips
    explicitly). X-parts of the data Paulis additionally flip every packet of that
    qubit open at ``pos`` (``open_at``).
    """

    pos: int
    outcomes: list[tuple[float, dict[int, str], frozenset[int]]]
    open_at: dict[int, tuple[int, ...]]
    kind: str
    condition: Condition | None = None


def add_noise(
    program: DistributedProgram,
    *,
    mode: str,
    pair_states: Sequence[Sequence[float]] | None = None,
    idle_durations: Mapping[int, tuple[float, float]] | Sequence[tuple[int, int, float]] | None = None,
    local_noise: bool = True,
    idle_noise: bool = True,
    effective_rendering: str = "exact",
) -> NoisyProgram:
    """Insert link, memory, idle and local-gate noise into a lowered program.

    Args:
        program: The lowered program.
        mode: ``"explicit"`` or ``"effective"`` (see the module docstring).
        pair_states: ``(p_I, p_X, p_Y, p_Z)`` of every ledger pair at consumption,
            indexed by ledger index (the scheduler supplies aged states). Defaults
            to :func:`default_pair_states`.
        idle_durations: Either the scheduler's ``((step, qubit, seconds), ...)``
            (:meth:`welinq_core.schedule.Schedule.idle_durations`: data qubit ``qubit``
            idles that long right before step ``step``; replaces every default wait),
            or ``{packet: (open_wait_s, close_wait_s)}``: how long the packet's control
            (and first target) wait before its first remote gate, and how long the
            control waits for the disentangler's bit. By default (and for packets not
            listed in the mapping) each wait is one route latency.
        local_noise: Apply the QPUs' gate and readout errors.
        idle_noise: Apply T1/T2 idling noise to waiting data qubits.
        effective_rendering: ``"exact"`` (default) or ``"static"`` (no
            randomness qubits; approximate where a non-Clifford gate would need
            them, reported as ``effective_exact: False``).

    Returns:
        A :class:`NoisyProgram`. Its ``summary`` holds ``mode``, ``pairs`` (per ledger
        pair: link, packet, hop, probabilities), ``packets`` (per packet: route,
        effective pair probabilities after swapping, process fidelity bound),
        counts of inserted channels by kind, ``renderings`` (effective mode: events per
        rendering form), ``randomness_qubits`` and ``effective_exact``.

    Raises:
        OptionsError: On an unknown mode/rendering or malformed ``pair_states``.
    """
    if mode not in NOISE_MODES:
        raise OptionsError(f"mode={mode!r} is unknown; choose one of {NOISE_MODES}")
    if effective_rendering not in EFFECTIVE_RENDERINGS:
        raise OptionsError(
            f"effective_rendering={effective_rendering!r} is unknown; choose one of {EFFECTIVE_RENDERINGS}"
        )
    states = (
        default_pair_states(program)
        if pair_states is None
        else _check_states(pair_states, program.num_bell_pairs)
    )
    builder = _Builder(program, states, idle_durations, local_noise, idle_noise, effective_rendering)
    if mode == "explicit":
        return builder.explicit()
    return builder.effective()


class _Builder:
    def __init__(
        self,
        program: DistributedProgram,
        states: tuple[tuple[float, float, float, float], ...],
        idle: Mapping[int, tuple[float, float]] | Sequence[tuple[int, int, float]] | None,
        local: bool,
        idle_on: bool,
        rendering: str,
    ) -> None:
        self.p = program
        self.states = states
        self.idle = idle
        self.local = local
        self.idle_on = idle_on
        self.rendering = rendering
        self.cluster = program.cluster
        self.counts: dict[str, int] = {}
        self.where = list(program.assignment)  # current QPU of each qubit (teleports move them)

    # -- helpers ---------------------------------------------------------------
    def qpu_of(self, q: int) -> QPU:
        return self.cluster.qpu(self.where[q])

    def count(self, kind: str, n: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n

    def step_idles(self) -> dict[int, list[tuple[int, float]]]:
        """``{step: [(qubit, seconds), ...]}``: idling right before each step."""
        out: dict[int, list[tuple[int, float]]] = {}
        if self.idle is not None and not isinstance(self.idle, Mapping):
            for entry in self.idle:
                step, qubit, t = entry
                if not 0 <= int(step) < len(self.p.steps) or not 0 <= int(qubit) < self.p.circuit.num_qubits:
                    raise OptionsError(
                        f"idle_durations entry {tuple(entry)!r} names step {step} / qubit {qubit} outside "
                        f"the program ({len(self.p.steps)} steps, {self.p.circuit.num_qubits} qubits)"
                    )
                if float(t) > 0:
                    out.setdefault(int(step), []).append((int(qubit), float(t)))
            return out
        per_packet = self.idle or {}
        for s, step in enumerate(self.p.steps):
            if step.kind not in ("open", "close"):
                continue
            pk = self.p.packets[step.packet]  # type: ignore[index]
            if pk.index in per_packet:
                t_open, t_close = (float(x) for x in per_packet[pk.index])
            else:
                t_open = t_close = sum(self.cluster.link(u, v).latency_s for u, v in zip(pk.route, pk.route[1:]))
            if step.kind == "open":
                first_target = [q for q in self.p.circuit.operations[pk.gates[0]].qubits if q != pk.control][0]
                out[s] = [(pk.control, t_open), (first_target, t_open)]
            else:
                out[s] = [(pk.control, t_close)]
        return out

    def gate_terms(self, qpu: QPU, nq: int) -> tuple[tuple[str, float], ...] | None:
        p = qpu.single_qubit_gate_error if nq == 1 else qpu.two_qubit_gate_error
        if not self.local or p <= 0:
            return None
        return depolarizing_terms(p, nq)

    def readout_terms(self, qpu: QPU) -> tuple[tuple[str, float], ...] | None:
        r = qpu.readout_error
        if not self.local or r <= 0:
            return None
        return (("I", 1.0 - r), ("X", r))

    def idle_terms(self, qpu: QPU, t: float) -> tuple[tuple[str, float], ...] | None:
        if not self.idle_on:
            return None
        p = idle_pauli_probabilities(qpu, t)
        if p[0] >= 1.0:
            return None
        return tuple(zip(_PAULIS, p))

    def swap_noise(self, qpu: QPU) -> tuple[float, float, float, float]:
        """Pauli error a noisy Bell measurement at ``qpu`` adds to the swapped pair."""
        out = (1.0, 0.0, 0.0, 0.0)
        if not self.local:
            return out
        p2 = qpu.two_qubit_gate_error
        if p2 > 0:  # (z-part on B1 -> Z, x-part on A2 -> X): 4 of the 15 Paulis each
            q = 4 * p2 / 15
            out = convolve_pauli(out, (1 - 3 * q, q, q, q))
        p1 = qpu.single_qubit_gate_error
        if p1 > 0:  # after h on B1: X or Y flips the Z-correction bit
            out = convolve_pauli(out, (1 - 2 * p1 / 3, 0.0, 0.0, 2 * p1 / 3))
        r = qpu.readout_error
        if r > 0:
            out = convolve_pauli(out, (1 - r, 0.0, 0.0, r))
            out = convolve_pauli(out, (1 - r, r, 0.0, 0.0))
        return out

    def teleport_channel(self, tp: Any) -> tuple[float, float, float, float]:
        """Pauli channel on a teleported qubit (physics.md 2.7): its pair after swapping,
        then the source's noisy Bell measurement (z-part on q -> Z, x-part on the pair half -> X)."""
        probs = self.effective_pair(tp)
        return convolve_pauli(probs, self.swap_noise(self.cluster.qpu(tp.source)))

    def _explicit_teleport(self, tp: Any, take: Any, emit: Any, out: list[Operation], idle: Any) -> None:
        """Pairs, swapping, then the Bell measurement of q at the source (noisy like a swap);
        corrections and the closing relabel ``swap`` are noiseless."""
        for pair in tp.bell_pairs:
            for name in ("reset", "reset", "h", "cx"):
                out.append(take(name))
            emit((out[-1].qubits[1],), tuple(zip(_PAULIS, self.states[pair])), "pair")
        for k in range(1, len(tp.bell_pairs)):
            self._noisy_bell_measurement(self.cluster.qpu(tp.route[k]), take, emit, out, "swap")
            out.append(take("x"))
            out.append(take("z"))
        idle()
        self._noisy_bell_measurement(self.cluster.qpu(tp.source), take, emit, out, "protocol")
        for name in ("x", "z", "swap"):
            out.append(take(name))
        self.where[tp.qubit] = tp.target

    def _noisy_bell_measurement(self, qpu: QPU, take: Any, emit: Any, out: list[Operation], where: str) -> None:
        """The next ``cx, h, measure, measure`` of the rendering, each with ``qpu``'s gate or readout noise."""
        for name, nq in (("cx", 2), ("h", 1)):
            out.append(take(name))
            emit(out[-1].qubits, self.gate_terms(qpu, nq), where)
        for _ in range(2):
            op = take("measure")
            emit(op.qubits, self.readout_terms(qpu), where)
            out.append(op)

    def effective_pair(self, pk_index: Any) -> tuple[float, float, float, float]:
        pk = self.p.packets[pk_index] if isinstance(pk_index, int) else pk_index  # a packet or a teleport
        probs = self.states[pk.bell_pairs[0]]
        for hop, pair in enumerate(pk.bell_pairs[1:], start=1):
            probs = convolve_pauli(probs, self.states[pair])
            probs = convolve_pauli(probs, self.swap_noise(self.cluster.qpu(pk.route[hop])))
        return probs

    def summary(self, mode: str, extra: dict[str, Any]) -> dict[str, Any]:
        pairs = [
            {"index": u.index, "link": f"{u.link[0]}-{u.link[1]}", "packet": u.packet, "hop": u.hop,
             "probabilities": [round(x, 12) for x in self.states[u.index]]}
            for u in self.p.bell_pairs
        ]
        packets = []
        for pk in self.p.packets:
            eff = self.effective_pair(pk.index)
            packets.append({
                "index": pk.index, "control": pk.control, "route": list(pk.route), "gates": len(pk.gates),
                "effective_pair": [round(x, 12) for x in eff],
                "effective_pair_fidelity": round(eff[0], 12),
            })
        fids = [p["effective_pair_fidelity"] for p in packets]
        d: dict[str, Any] = {
            "mode": mode,
            "local_noise": self.local,
            "idle_noise": self.idle_on,
            "channels": dict(sorted(self.counts.items())),
            "num_noise_ops": sum(self.counts.values()),
            "mean_pair_fidelity": (sum(fids) / len(fids)) if fids else 1.0,
            "min_pair_fidelity": min(fids) if fids else 1.0,
            "pairs": pairs,
            "packets": packets,
        }
        d.update(extra)
        return d

    # -- explicit --------------------------------------------------------------
    def explicit(self) -> NoisyProgram:
        prog = self.p
        ex = prog.explicit_circuit()
        src = ex.circuit.operations
        cursor = 0
        out: list[Operation] = []

        def take(name: str) -> Operation:
            nonlocal cursor
            op = src[cursor]
            if op.name != name:  # the lowering's rendering changed shape: fail loudly
                raise AssertionError(
                    f"noise stage expected {name!r} at explicit op {cursor}, found {op.name!r}; "
                    "welinq_core.noise must follow DistributedProgram.explicit_circuit"
                )
            cursor += 1
            return op

        def emit(qs: Sequence[int], terms: Sequence[tuple[str, float]] | None, kind: str,
                 cond: Condition | None = None) -> None:
            if terms is None:
                return
            ch = _channel(qs, terms, cond)
            if ch is not None:
                out.append(ch)
                self.count(kind)

        idles = self.step_idles()

        def idle_before(s: int) -> None:
            for q, t in idles.get(s, ()):
                emit((q,), self.idle_terms(self.qpu_of(q), t), "idle")

        for s, step in enumerate(prog.steps):
            if step.kind == "local":
                op = src[cursor]
                cursor += 1
                idle_before(s)
                self._local(op, emit, out)
            elif step.kind == "remote":
                op = src[cursor]
                cursor += 1
                pk = prog.packets[step.packet]  # type: ignore[index]
                idle_before(s)
                out.append(op)
                emit(op.qubits, self.gate_terms(self.cluster.qpu(pk.target), 2), "gate", op.condition)
            elif step.kind == "open":
                pk = prog.packets[step.packet]  # type: ignore[index]
                ends = []
                for k, pair in enumerate(pk.bell_pairs):
                    for name in ("reset", "reset", "h", "cx"):
                        out.append(take(name))
                    qa, qb = out[-1].qubits
                    ends.append((qa, qb))
                    pr = self.states[pair]
                    emit((qb,), tuple(zip(_PAULIS, pr)), "pair")
                for k in range(1, len(pk.bell_pairs)):
                    inner = self.cluster.qpu(pk.route[k])
                    op = take("cx")
                    out.append(op)
                    emit(op.qubits, self.gate_terms(inner, 2), "swap")
                    op = take("h")
                    out.append(op)
                    emit(op.qubits, self.gate_terms(inner, 1), "swap")
                    for _ in range(2):
                        op = take("measure")
                        emit(op.qubits, self.readout_terms(inner), "swap")
                        out.append(op)
                    out.append(take("x"))
                    out.append(take("z"))
                source = self.cluster.qpu(pk.source)
                idle_before(s)
                op = take("cx")
                out.append(op)
                emit(op.qubits, self.gate_terms(source, 2), "protocol")
                op = take("measure")
                emit(op.qubits, self.readout_terms(source), "protocol")
                out.append(op)
                op = take("x")
                out.append(op)
            elif step.kind == "close":
                pk = prog.packets[step.packet]  # type: ignore[index]
                target = self.cluster.qpu(pk.target)
                op = take("h")
                out.append(op)
                emit(op.qubits, self.gate_terms(target, 1), "protocol")
                op = take("measure")
                emit(op.qubits, self.readout_terms(target), "protocol")
                out.append(op)
                idle_before(s)
                out.append(take("z"))
            elif step.kind == "teleport":
                self._explicit_teleport(prog.teleports[step.teleport], take, emit, out,  # type: ignore[index]
                                        lambda s=s: idle_before(s))
        if cursor != len(src):
            raise AssertionError("noise stage did not consume the whole explicit circuit; please report this bug")
        circuit = ex.circuit.with_operations(out)
        return NoisyProgram(
            circuit=circuit,
            num_user_clbits=ex.num_user_clbits,
            num_data_qubits=ex.num_data_qubits,
            mode="explicit",
            summary=self.summary("explicit", {"effective_exact": True, "randomness_qubits": 0}),
        )

    def _local(self, op: Operation, emit: Any, out: list[Operation]) -> None:
        """A data-qubit op with its local noise (explicit mode)."""
        if op.name == "measure":
            for q in op.qubits:
                emit((q,), self.readout_terms(self.qpu_of(q)), "readout", op.condition)
            out.append(op)
            return
        out.append(op)
        if op.is_gate and op.name != "pauli_channel":
            emit(op.qubits, self.gate_terms(self.qpu_of(op.qubits[0]), len(op.qubits)), "gate", op.condition)

    # -- effective -------------------------------------------------------------
    def effective(self) -> NoisyProgram:
        prog = self.p
        n = prog.circuit.num_qubits
        base: list[Operation] = []
        step_pos: list[int] = []
        for step in prog.steps:
            step_pos.append(len(base))
            if step.kind in ("local", "remote"):
                base.append(prog.circuit.operations[step.op])  # type: ignore[index]
        gate_pos: dict[int, list[int]] = {pk.index: [] for pk in prog.packets}
        for step, pos in zip(prog.steps, step_pos):
            if step.kind == "remote":
                gate_pos[step.packet].append(pos)  # type: ignore[index]
        plain: list[tuple[int, Operation]] = []  # (position, op) noise with no flips
        events: list[_Event] = []
        open_of: dict[int, list[int]] = {}

        def snapshot() -> dict[int, tuple[int, ...]]:
            return {q: tuple(v) for q, v in open_of.items() if v}

        def add(pos: int, qs: Sequence[int], terms: Sequence[tuple[str, float]] | None, kind: str,
                cond: Condition | None = None) -> None:
            if terms is None:
                return
            outcomes = []
            for lab, p in terms:
                if p <= 0:
                    continue
                outcomes.append((p, {q: ch for q, ch in zip(qs, lab) if ch != "I"}, frozenset()))
            events.append(_Event(pos=pos, outcomes=outcomes, open_at=snapshot(), kind=kind, condition=cond))

        idles = self.step_idles()

        def idle_before(s: int, pos: int) -> None:
            for q, t in idles.get(s, ()):
                add(pos, (q,), self.idle_terms(self.qpu_of(q), t), "idle")

        for s, (step, pos) in enumerate(zip(prog.steps, step_pos)):
            if step.kind == "local":
                op = prog.circuit.operations[step.op]  # type: ignore[index]
                idle_before(s, pos)
                if op.name == "measure":
                    for q in op.qubits:
                        add(pos, (q,), self.readout_terms(self.qpu_of(q)), "readout", op.condition)
                elif op.is_gate and op.name != "pauli_channel":
                    add(pos + 1, op.qubits, self.gate_terms(self.qpu_of(op.qubits[0]), len(op.qubits)), "gate",
                        op.condition)
            elif step.kind == "open":
                pk = prog.packets[step.packet]  # type: ignore[index]
                source = self.cluster.qpu(pk.source)
                c = pk.control
                idle_before(s, pos)
                open_of.setdefault(c, []).append(pk.index)
                me = frozenset({pk.index})
                # The pair (after swapping): X -> flip, Z -> Z_c, Y -> both.
                pI, pX, pY, pZ = self.effective_pair(pk.index)
                events.append(_Event(pos=pos, kind="pair", open_at=snapshot(), outcomes=[
                    (pI, {}, frozenset()), (pX, {}, me), (pY, {c: "Z"}, me), (pZ, {c: "Z"}, frozenset())]))
                g2 = self.gate_terms(source, 2)
                if g2 is not None:  # cat-entangler cx(c, a): X-part on a flips the copy
                    outs = []
                    for lab, p in g2:
                        pc, pa = lab
                        d = {c: pc} if pc != "I" else {}
                        outs.append((p, d, me if _BITS[pa][0] else frozenset()))
                    events.append(_Event(pos=pos, kind="protocol", open_at=snapshot(), outcomes=outs))
                ro = self.readout_terms(source)
                if ro is not None:
                    events.append(_Event(pos=pos, kind="protocol", open_at=snapshot(), outcomes=[
                        (ro[0][1], {}, frozenset()), (ro[1][1], {}, me)]))
            elif step.kind == "remote":
                pk = prog.packets[step.packet]  # type: ignore[index]
                op = prog.circuit.operations[step.op]  # type: ignore[index]
                idle_before(s, pos)
                g2 = self.gate_terms(self.cluster.qpu(pk.target), 2)
                if g2 is not None:  # on (copy, t): copy Z -> Z_c, copy X -> flip later gates
                    cpos = op.qubits.index(pk.control)
                    t = op.qubits[1 - cpos]
                    outs = []
                    for lab, p in g2:
                        pb, pt = lab[cpos], lab[1 - cpos]
                        d = {}
                        if _BITS[pb][1]:
                            d[pk.control] = "Z"
                        if pt != "I":
                            d[t] = pt
                        outs.append((p, d, frozenset({pk.index}) if _BITS[pb][0] else frozenset()))
                    events.append(_Event(pos=pos + 1, kind="gate", open_at=snapshot(), outcomes=outs,
                                         condition=op.condition))
            elif step.kind == "close":
                pk = prog.packets[step.packet]  # type: ignore[index]
                c = pk.control
                open_of[c].remove(pk.index)
                target = self.cluster.qpu(pk.target)
                pz = 0.0
                if self.local:
                    p1 = target.single_qubit_gate_error
                    r = target.readout_error
                    a = 2 * p1 / 3
                    pz = a * (1 - r) + r * (1 - a)
                add(pos, (c,), ((("I", 1 - pz), ("Z", pz)) if pz > 0 else None), "protocol")
                idle_before(s, pos)
            elif step.kind == "teleport":  # identity on the data qubits + the pair's Pauli channel on q
                tp = prog.teleports[step.teleport]  # type: ignore[index]
                idle_before(s, pos)
                add(pos, (tp.qubit,), tuple(zip(_PAULIS, self.teleport_channel(tp))), "pair")
                self.where[tp.qubit] = tp.target

        renderer = _EffectiveRenderer(prog, base, gate_pos, n, self.rendering)
        for ev in events:
            renderer.render(ev)
            self.count(ev.kind)
        circuit, extra = renderer.finish()
        return NoisyProgram(
            circuit=circuit,
            num_user_clbits=prog.circuit.num_clbits,
            num_data_qubits=n,
            mode="effective",
            summary=self.summary("effective", extra),
        )


class _EffectiveRenderer:
    """Places events into the data-qubit circuit (see the module docstring)."""

    def __init__(self, prog: DistributedProgram, base: list[Operation], gate_pos: dict[int, list[int]],
                 n: int, rendering: str) -> None:
        self.prog = prog
        self.base = base
        self.gate_pos = gate_pos
        self.n = n
        self.rendering = rendering
        self.inserts: list[tuple[int, int, int, Operation]] = []  # (pos, priority, seq, op)
        self.seq = 0
        self.rand_qubits = 0
        self.scratch = 0
        self.forms: dict[str, int] = {"plain": 0, "clifford": 0, "conditional": 0, "approximate": 0}
        self.flip_cache: dict[tuple[int, int], dict[int, str] | None] = {}
        self.shared: list[tuple[_Event, list]] = []  # conditional events, placed in finish()
        self.randomness: str | None = None

    def put(self, pos: int, prio: int, op: Operation) -> None:
        self.inserts.append((pos, prio, self.seq, op))
        self.seq += 1

    def flips(self, ev: _Event, data: Mapping[int, str], explicit: frozenset[int]) -> set[int]:
        out = set(explicit) ^ set()
        for q, ch in data.items():
            if _BITS[ch][0]:
                for pk in ev.open_at.get(q, ()):
                    out ^= {pk}
        return out

    def flip_e(self, pk_index: int, gpos: int) -> dict[int, str] | None:
        key = (pk_index, gpos)
        if key not in self.flip_cache:
            op = self.base[gpos]
            c = self.prog.packets[pk_index].control
            lab = _flip_pauli(op.name, op.params, op.qubits.index(c))
            self.flip_cache[key] = None if lab is None else {q: ch for q, ch in zip(op.qubits, lab) if ch != "I"}
        return self.flip_cache[key]

    def render(self, ev: _Event) -> None:
        resolved = []  # (prob, data, [(packet, gate position)])
        for p, data, explicit in ev.outcomes:
            if p <= 0:
                continue
            fl = self.flips(ev, data, explicit)
            affected = [(pk, g) for pk in sorted(fl) for g in self.gate_pos[pk] if g >= ev.pos]
            resolved.append((p, data, affected))
        if not any(a for _, _, a in resolved):
            self.emit_channel(ev.pos, [(p, d) for p, d, _ in resolved], ev.condition)
            self.forms["plain"] += 1
            return
        for target in self.targets(ev, resolved):
            combined = []
            ok = True
            for p, data, affected in resolved:
                tot = _propagate(self.base, data, ev.pos, target)
                if tot is None:
                    ok = False
                    break
                for pk, g in affected:
                    e = self.flip_e(pk, g)
                    moved = None if e is None else _propagate(self.base, e, g, target)
                    if moved is None:
                        ok = False
                        break
                    tot = _mul(tot, moved)
                if not ok:
                    break
                combined.append((p, tot))
            if ok:
                self.emit_channel(target, combined, ev.condition)
                self.forms["clifford"] += 1
                return
        if self.rendering == "static":
            self.emit_channel(ev.pos, [(p, d) for p, d, _ in resolved], ev.condition)
            self.forms["approximate"] += 1
            return
        self.shared.append((ev, resolved))
        self.forms["conditional"] += 1

    def targets(self, ev: _Event, resolved: list) -> list[int]:
        last = max(g for _, _, a in resolved for _, g in a) + 1
        return [ev.pos] if last == ev.pos else [last, ev.pos]

    def emit_channel(self, pos: int, outcomes: Sequence[tuple[float, Mapping[int, str]]],
                     cond: Condition | None) -> None:
        support = sorted({q for _, d in outcomes for q in d})
        if not support:
            return
        terms = [("".join(d.get(q, "I") for q in support), p) for p, d in outcomes]
        ch = _channel(support, terms, cond)
        if ch is not None:
            self.put(pos, 0, ch)

    def place_shared(self) -> None:
        """Render the shared-randomness events, purified or measured (module docstring)."""
        if not self.shared:
            return
        per_event = [sorted({pk for _, _, a in resolved for pk, _ in a}) for _, resolved in self.shared]
        k_measured = max(len(pks) for pks in per_event)
        placed = [self.moved(ev, resolved) for ev, resolved in self.shared]
        # Live range of each packet's randomness: first event .. last gate of the packet.
        start: dict[int, int] = {}
        for (pos, _), packets in zip(placed, per_event):
            for pk in packets:
                start[pk] = min(start.get(pk, pos), pos)
        live = sorted((s, max(self.gate_pos[pk]) + 1, pk) for pk, s in start.items())
        acc: dict[int, int] = {}  # packet -> its randomness qubit
        free_at: list[int] = []  # per randomness qubit: position from which it may be reused
        resets: list[tuple[int, int]] = []
        for s, e, pk in live:
            reuse = [i for i, f in enumerate(free_at) if f <= s]
            if reuse:
                i = reuse[0]
                resets.append((s, self.n + i))
                free_at[i] = e
            else:
                i = len(free_at)
                free_at.append(e)
            acc[pk] = self.n + i
        form = self.rendering
        if form not in ("purified", "measured"):
            form = "purified" if len(free_at) <= k_measured + PURIFY_MAX_EXTRA_QUBITS else "measured"
        self.randomness = form
        if form == "measured":
            for ev, resolved in self.shared:
                self.conditional(ev, resolved)
            return
        for pos, r in resets:  # the previous packet's value is dead; before this packet's events
            self.put(pos, -1, Operation(name="reset", qubits=(r,)))
        for (ev, _), (pos, resolved), packets in zip(self.shared, placed, per_event):
            data_support = sorted({q for _, d, _ in resolved for q in d})
            terms = []
            for p, data, affected in resolved:
                hit = {pk for pk, _ in affected}
                lab = "".join("X" if pk in hit else "I" for pk in packets)
                terms.append((lab + "".join(data.get(q, "I") for q in data_support), p))
            ch = _channel([acc[pk] for pk in packets] + data_support, terms, ev.condition)
            if ch is not None:
                self.put(pos, -1, ch)
        for pk, r in acc.items():
            flip = Operation(name="cx", qubits=(r, self.prog.packets[pk].control))
            for g in self.gate_pos[pk]:
                if g >= start[pk]:
                    self.put(g, 1, flip)
                    self.put(g + 1, -2, flip)
        self.rand_qubits = len(free_at)

    def moved(self, ev: _Event, resolved: list) -> tuple[int, list]:
        """The event moved forward to its first affected gate when its data Paulis propagate
        there through Clifford operations (shortens the randomness qubit's live range)."""
        first = min(g for _, _, a in resolved for _, g in a)
        if ev.condition is not None or first <= ev.pos:
            return ev.pos, resolved
        out = []
        for p, data, affected in resolved:
            d = _propagate(self.base, data, ev.pos, first)
            if d is None:
                return ev.pos, resolved
            out.append((p, d, affected))
        return first, out

    def conditional(self, ev: _Event, resolved: list) -> None:
        packets = sorted({pk for _, _, a in resolved for pk, _ in a})
        k = len(packets)
        self.rand_qubits = max(self.rand_qubits, k)
        rq = [self.n + i for i in range(k)]
        data_support = sorted({q for _, d, _ in resolved for q in d})
        qubits = rq + data_support
        terms = []
        for p, data, affected in resolved:
            hit = {pk for pk, _ in affected}
            lab = "".join("X" if pk in hit else "I" for pk in packets)
            lab += "".join(data.get(q, "I") for q in data_support)
            terms.append((lab, p))
        for r in rq:
            self.put(ev.pos, -1, Operation(name="reset", qubits=(r,)))
        ch = _channel(qubits, terms, ev.condition)
        if ch is not None:
            self.put(ev.pos, -1, ch)
        bits = []
        for r in rq:
            bit = self.scratch
            self.scratch += 1
            bits.append(bit)
            self.put(ev.pos, -1, Operation(name="measure", qubits=(r,), clbits=(-1 - bit,)))
        for pk, bit in zip(packets, bits):
            c = self.prog.packets[pk].control
            for g in self.gate_pos[pk]:
                if g < ev.pos:
                    continue
                cond = Condition(clbits=(_PLACEHOLDER_BASE + bit,), value=1)
                self.put(g, 1, Operation(name="x", qubits=(c,), condition=cond))
                self.put(g + 1, -2, Operation(name="x", qubits=(c,), condition=cond))

    def finish(self) -> tuple[Circuit, dict[str, Any]]:
        self.place_shared()
        m = self.prog.circuit.num_clbits
        nq = self.n + self.rand_qubits
        nc = m + self.scratch

        def fix(op: Operation) -> Operation:
            if op.name == "measure" and op.clbits and op.clbits[0] < 0:
                return dataclasses.replace(op, clbits=(m + (-1 - op.clbits[0]),))
            if op.condition is not None and op.condition.clbits[0] >= _PLACEHOLDER_BASE:
                return dataclasses.replace(
                    op, condition=Condition(clbits=(m + op.condition.clbits[0] - _PLACEHOLDER_BASE,), value=1)
                )
            return op

        ins = sorted(self.inserts, key=lambda t: (t[0], t[1], t[2]))
        out: list[Operation] = []
        k = 0
        for i in range(len(self.base) + 1):
            while k < len(ins) and ins[k][0] == i:
                out.append(fix(ins[k][3]))
                k += 1
            if i < len(self.base):
                out.append(self.base[i])
        if self.randomness == "purified":  # cx(r, c) cx(r, c) between consecutive gates of a packet
            kept: list[Operation] = []
            for op in out:
                if (kept and op.name == "cx" and op.qubits[0] >= self.n and op.condition is None
                        and kept[-1] == op):
                    kept.pop()
                else:
                    kept.append(op)
            out = kept
        circuit = Circuit(num_qubits=nq, num_clbits=nc, operations=(), name=f"{self.prog.circuit.name}-effective")
        circuit = _unchecked(circuit, out)
        exact = self.forms["approximate"] == 0
        return circuit, {
            "renderings": dict(self.forms),
            "randomness_qubits": self.rand_qubits,
            "randomness": self.randomness,
            "effective_exact": exact,
        }


_PLACEHOLDER_BASE = 1 << 40


def _unchecked(circuit: Circuit, ops: list[Operation]) -> Circuit:
    return Circuit(num_qubits=circuit.num_qubits, num_clbits=circuit.num_clbits, operations=ops, name=circuit.name)
