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
       more qubits than ``measured`` (``welinq_core.noise.effective.PURIFY_MAX_EXTRA_QUBITS``);
       ``"purified"``/``"measured"`` force a form.
       * ``drawn`` (``effective_rendering="drawn"``, what the engines use): each
         such event is drawn per shot and applied as fixed gates; shots that drew
         the same outcomes share a circuit (:mod:`welinq_core.noise.drawn`).
         Exact, no extra qubits, no feed-forward.
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

The package: :mod:`~welinq_core.noise.pauli` (Pauli algebra and propagation),
:mod:`~welinq_core.noise.channels` (channels as Pauli terms), :mod:`~welinq_core.noise.sources`
(the noise of each step), :mod:`~welinq_core.noise.events` (noise events),
:mod:`~welinq_core.noise.explicit` and :mod:`~welinq_core.noise.effective` (the two renderings).

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

from collections.abc import Mapping, Sequence

from welinq_core.errors import OptionsError
from welinq_core.lowering import DistributedProgram
from welinq_core.noise.channels import (
    check_pair_states,
    default_pair_states,
    depolarizing_terms,
    idle_pauli_probabilities,
    pauli_channel_op,
)
from welinq_core.noise.effective import PURIFY_MAX_EXTRA_QUBITS, render_effective
from welinq_core.noise.explicit import render_explicit
from welinq_core.noise.locations import DrawnLocations
from welinq_core.noise.program import NoisyProgram
from welinq_core.noise.sources import NoiseSources

__all__ = [
    "NoisyProgram",
    "DrawnLocations",
    "add_noise",
    "NOISE_MODES",
    "EFFECTIVE_RENDERINGS",
    "PURIFY_MAX_EXTRA_QUBITS",
    "default_pair_states",
    "idle_pauli_probabilities",
    "depolarizing_terms",
    "pauli_channel_op",
]

NOISE_MODES = ("explicit", "effective")
EFFECTIVE_RENDERINGS = ("exact", "static", "purified", "measured", "drawn")


def add_noise(
    program: DistributedProgram,
    *,
    mode: str,
    pair_states: Sequence[Sequence[float]] | None = None,
    idle_durations: Mapping[int, tuple[float, float]] | Sequence[tuple[int, int, float]] | None = None,
    local_noise: bool = True,
    idle_noise: bool = True,
    effective_rendering: str = "exact",
    copy_idle_durations: Mapping[int, float | str] | None = None,
    drawn_locations: DrawnLocations | None = None,
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
            idles that long right before step ``step``; replaces every default wait;
            instead of seconds an entry may carry a Pauli label ``"X"``, ``"Y"``, ``"Z"``
            or ``"I"``: that idle error, drawn for one shot, as a fixed gate),
            or ``{packet: (open_wait_s, close_wait_s)}``: how long the packet's control
            (and first target) wait before its first remote gate, and how long the
            control waits for the disentangler's bit. By default (and for packets not
            listed in the mapping) each wait is one route latency.
        local_noise: Apply the QPUs' gate and readout errors.
        idle_noise: Apply T1/T2 idling noise to waiting data qubits.
        effective_rendering: ``"exact"`` (default) or ``"static"`` (no
            randomness qubits; approximate where a non-Clifford gate would need
            them, reported as ``effective_exact: False``).
        copy_idle_durations: ``{step: seconds}``: how long a packet's copy idles on its
            communication qubit right before each of its remote gates and its close
            (:meth:`welinq_core.schedule.Schedule.copy_idle_durations`); the copy then
            decoheres in the last hop's link memory (its Pauli channel; the Pauli twirl
            for T1/T2 memories), in both renderings. A value may instead be a Pauli
            label (``"I"``, ``"X"``, ``"Y"``, ``"Z"``): one shot's drawn error. Defaults
            to None (no copy idling).
        drawn_locations: Pairs, idle waits and copy waits to render as drawn events with
            one outcome per Pauli (:mod:`~welinq_core.noise.locations`; effective mode with
            ``effective_rendering="drawn"`` only): one rendering then serves shots that
            draw different fixed errors there.

    Returns:
        A :class:`NoisyProgram`. Its ``summary`` holds ``mode``, ``pairs`` (per ledger
        pair: link, packet, hop, probabilities), ``packets`` (per packet: route,
        effective pair probabilities after swapping, process fidelity bound),
        counts of inserted channels by kind, ``renderings`` (effective mode: events per
        rendering form), ``randomness_qubits`` and ``effective_exact``.

    Raises:
        OptionsError: On an unknown mode/rendering, malformed ``pair_states``, or a
            ``copy_idle_durations`` entry that is not a remote gate or close step.
    """
    if mode not in NOISE_MODES:
        raise OptionsError(f"mode={mode!r} is unknown; choose one of {NOISE_MODES}")
    if effective_rendering not in EFFECTIVE_RENDERINGS:
        raise OptionsError(
            f"effective_rendering={effective_rendering!r} is unknown; choose one of {EFFECTIVE_RENDERINGS}"
        )
    if drawn_locations is not None:
        if mode != "effective" or effective_rendering != "drawn":
            raise OptionsError(
                f"drawn_locations needs mode='effective' and effective_rendering='drawn', not mode={mode!r} "
                f"and effective_rendering={effective_rendering!r}"
            )
        bad = [k for k in drawn_locations.pairs if k >= program.num_bell_pairs]
        bad += [s for s, _ in drawn_locations.idles if s >= len(program.steps)]
        bad += [s for s in drawn_locations.copies if s >= len(program.steps)
                or program.steps[s].kind not in ("remote", "close")]
        if bad:
            raise OptionsError(f"drawn_locations names {bad[:5]}, outside the program's pairs or steps")
    states = (
        default_pair_states(program)
        if pair_states is None
        else check_pair_states(pair_states, program.num_bell_pairs)
    )
    sources = NoiseSources(program, states, idle_durations, local_noise, idle_noise, effective_rendering,
                           copy_idle=copy_idle_durations, locations=drawn_locations)
    if mode == "explicit":
        return render_explicit(sources)
    return render_effective(sources)


