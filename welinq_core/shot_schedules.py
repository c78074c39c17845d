r"""Every shot its own schedule: pair-generation times, memory ages, stalls and idle waits.

When a link generates pairs at a finite rate (or distils them), the schedule of a
shot is random, and so are the states of the pairs it consumes (their storage ages)
and the idle waits of its data qubits. One schedule drawn at compile time and reused
for every shot would give every shot the noise of one lucky or unlucky shot: a result
that depends on the seed beyond shot noise. Here every shot draws its own schedule
(the event loop of :func:`~welinq_core.schedule.schedule`, run for all shots at once by
:func:`~welinq_core.schedule_batch.simulate_schedules`) and from it its own link and idle
errors.

**Exact sampling with few circuits.** Given its schedule :math:`S`, a shot's noise is a
set of independent Pauli channels :math:`c_k(S)`: one per consumed pair (its aged
Bell-diagonal state), one per idle wait of a data qubit and one per wait of a packet's
copy on its communication qubit. The shot's outcome distribution is
:math:`\mathbb{E}_S[P(\cdot \mid c(S))]`. Replacing each :math:`c_k(S)` by its average
would NOT be exact: the channels of one shot are correlated through :math:`S` (a long
stall ages every pair and idles every qubit of that shot), and the circuit's output is
multilinear in its channels, so the average of the product is not the product of the
averages. Instead every location :math:`k` gets a fixed *base* channel :math:`A_k` and
every shot splits its channel as the mixture

.. math:: c_k(S) = \lambda_k(S)\, A_k + (1 - \lambda_k(S))\, r_k(S),\qquad
          \lambda_k(S) = \min_{\sigma: A_{k,\sigma} > 0} c_{k,\sigma}(S) / A_{k,\sigma},

with :math:`r_k(S)` a probability vector. Per shot and location a uniform draw picks the
branch: with probability :math:`\lambda_k` the location keeps the channel :math:`A_k`
(the simulator samples it), otherwise a Pauli :math:`\sigma \sim r_k(S)` is drawn here
and applied as a fixed gate. Conditioned on :math:`S` the location's error is then
distributed exactly as :math:`c_k(S)`, independently of every other location, so the
shot samples exactly :math:`P(\cdot \mid c(S))`; and shots are independent because their
schedules are. The base channels are the least noisy states seen over the run's shots
(the freshest pair, the shortest wait at each place), which any fixed choice keeps exact
and this one makes :math:`\lambda_k` close to 1: with good memories most shots draw no
fixed error and share one circuit. Shots that drew the same fixed errors (the *key*)
share a circuit. :func:`welinq_core.shots.plan_shots` renders the program once, with
the base channels and every place a fixed error was drawn as a drawn event
(:mod:`welinq_core.noise.locations`), and each key picks that event's outcomes;
:meth:`ShotDraws.noise_inputs` gives the inputs of a key's own rendering
(:func:`~welinq_core.noise.add_noise` with one-hot pair states and Pauli-labelled idle
and copy-idle entries), which the explicit mode uses and the tests compare with.

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> from welinq_core.cluster import Cluster, Link
    >>> from welinq_core.physics import QuantumMemory
    >>> from welinq_core.pipeline import compile_program
    >>> link = Link(bell_pair_fidelity=0.95, bell_pair_rate_hz=1e3,
    ...             memory=QuantumMemory.depolarizing(time_s=0.01))
    >>> cl = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, link=link)
    >>> c = Circuit(num_qubits=2, num_clbits=2, operations=[Operation(name="h", qubits=(0,)),
    ...     Operation(name="cx", qubits=(0, 1))] + [Operation(name="measure", qubits=(q,), clbits=(q,))
    ...     for q in range(2)])
    >>> compiled = compile_program(c, cl, assignment=("qpu0", "qpu1"), draw_per_shot=True)
    >>> draws = draw_shot_schedules(compiled, 500, np.random.default_rng(1))
    >>> draws.statistics.shots, len(draws.keys)
    (500, 500)
    >>> draws.statistics.makespan_s[1] > 0  # the makespan varies from shot to shot
    True
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from welinq_core.noise.channels import idle_pauli_table
from welinq_core.pipeline import CompiledProgram

__all__ = ["ShotDraws", "ShotStatistics", "draw_shot_schedules", "mixture_split"]

#: Below this residual weight a shot keeps the base channel (float noise, not physics).
_EPS = 1e-12

Key = tuple[tuple[str, ...], tuple[tuple[int, int, str], ...], tuple[tuple[int, str], ...]]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ShotStatistics:
    """Mean and spread over the shots of what each shot draws.

    Every field but ``shots`` and ``keys`` is ``(mean, standard deviation, min, max)``.

    Attributes:
        shots: Shots drawn.
        makespan_s: Shot duration in seconds.
        stall_s: Total time the shot's packets waited for pairs, in seconds.
        pair_fidelity: Fidelity of the consumed pairs (aged, per hop), over all pairs of all shots.
        pair_age_s: Storage age of the consumed pairs, in seconds.
        idle_s: Total idle time of the data qubits per shot, in seconds.
        keys: Distinct draws of fixed link and idle errors (1 = every shot kept the base channels).
    """

    shots: int
    makespan_s: tuple[float, float, float, float]
    stall_s: tuple[float, float, float, float]
    pair_fidelity: tuple[float, float, float, float]
    pair_age_s: tuple[float, float, float, float]
    idle_s: tuple[float, float, float, float]
    keys: int

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable form (6 significant digits)."""
        def d(t: tuple[float, float, float, float]) -> dict[str, float]:
            return {k: float(f"{v:.6g}") for k, v in zip(("mean", "std", "min", "max"), t)}

        return {"shots": self.shots, "makespan_s": d(self.makespan_s), "stall_s": d(self.stall_s),
                "pair_fidelity": d(self.pair_fidelity), "pair_age_s": d(self.pair_age_s),
                "idle_s": d(self.idle_s), "keys": self.keys}


@dataclasses.dataclass(frozen=True, kw_only=True)
class ShotDraws:
    """The drawn schedules of a run, as base channels and fixed errors per shot.

    Attributes:
        pair_base: The base state ``(p_I, p_X, p_Y, p_Z)`` of every ledger pair.
        idle_base: ``(step, qubit, seconds)`` of every idle wait kept as a channel in
            the base circuit (the shortest wait at that place over the shots).
        copy_base: ``{step: seconds}``: the same for the waits of packets' copies on their
            communication qubits (:meth:`~welinq_core.schedule.Schedule.copy_idle_durations`).
        keys: Per shot, ``(pair labels, idle errors, copy errors)``: for every pair ``""``
            (the base state) or the drawn Pauli; the drawn idle errors
            ``((step, qubit, Pauli), ...)`` and copy errors ``((step, Pauli), ...)`` (a place
            listed there replaces its base wait).
        statistics: Mean and spread of the drawn quantities.
    """

    pair_base: tuple[tuple[float, float, float, float], ...]
    idle_base: tuple[tuple[int, int, float], ...]
    copy_base: dict[int, float]
    keys: list[Key]
    statistics: ShotStatistics

    def noise_inputs(self, key: Key) -> dict[str, Any]:
        """``pair_states``, ``idle_durations`` and ``copy_idle_durations`` for
        :func:`~welinq_core.noise.add_noise` of the shots with ``key``."""
        labels, idles, copies = key
        copy: dict[int, Any] = {**self.copy_base, **dict(copies)}
        states = [self.pair_base[k] if lab == "" else _ONE_HOT[lab] for k, lab in enumerate(labels)]
        fixed = {(s, q): lab for s, q, lab in idles}
        idle: list[tuple[int, int, Any]] = [(s, q, t) for s, q, t in self.idle_base if (s, q) not in fixed]
        idle += [(s, q, lab) for (s, q), lab in fixed.items()]
        return {"pair_states": states, "idle_durations": sorted(idle, key=lambda e: (e[0], e[1])),
                "copy_idle_durations": copy}


_ONE_HOT = {"I": (1.0, 0.0, 0.0, 0.0), "X": (0.0, 1.0, 0.0, 0.0), "Y": (0.0, 0.0, 1.0, 0.0),
            "Z": (0.0, 0.0, 0.0, 1.0)}
_LABELS = np.array(["I", "X", "Y", "Z"])


def mixture_split(c: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Split states ``c`` (shape ``(..., 4)``) as ``lam * base + (1 - lam) * r``.

    Returns ``(lam, r)``: the largest weight :math:`\lambda` of ``base`` (in [0, 1]) and
    the residual probability vectors ``r`` (rows of zeros where ``lam == 1``).

    Examples:
        >>> lam, r = mixture_split(np.array([[0.9, 0.05, 0.0, 0.05]]), np.array([0.95, 0.0, 0.0, 0.05]))
        >>> round(float(lam[0]), 6), [round(float(x), 6) for x in r[0]]
        (0.947368, [0.0, 0.95, 0.0, 0.05])
    """
    c = np.asarray(c, dtype=float)
    base = np.asarray(base, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(base > 0, c / np.where(base > 0, base, 1.0), np.inf)
    lam = np.clip(ratio.min(axis=-1), 0.0, 1.0)
    rest = np.clip(c - lam[..., None] * base, 0.0, None)
    total = rest.sum(axis=-1, keepdims=True)
    r = np.where(total > 0, rest / np.where(total > 0, total, 1.0), 0.0)
    lam = np.where(1.0 - lam < _EPS, 1.0, lam)
    return lam, r


def _draw_labels(lam: np.ndarray, r: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per entry ``""`` (base kept, probability ``lam``) or a Pauli drawn from ``r``."""
    u = rng.random(lam.shape)
    v = rng.random(lam.shape)
    idx = np.minimum((v[..., None] > np.cumsum(r, axis=-1)).sum(axis=-1), 3)
    out = np.where(u < lam, "", _LABELS[idx])
    return out


def _spread(x: Any) -> tuple[float, float, float, float]:
    a = np.asarray(x, dtype=float).reshape(-1)
    if a.size == 0:
        a = np.zeros(1)
    return (float(a.mean()), float(a.std()), float(a.min()), float(a.max()))


def _qubit_qpus(program: Any) -> list[list[str]]:
    """The QPU of every data qubit right before every step (TeleData moves qubits)."""
    where = list(program.assignment)
    out = []
    for step in program.steps:
        out.append(list(where))
        if step.kind == "teleport":
            tp = program.teleports[step.teleport]
            where[tp.qubit] = tp.target
    return out


def draw_shot_schedules(compiled: CompiledProgram, shots: int, rng: np.random.Generator) -> ShotDraws:
    """Draw ``shots`` independent schedules of ``compiled`` and each shot's fixed errors.

    The schedules use the settings of the compiled one (entanglement banks, distillation);
    see the module docstring for the exact split into base channels and fixed errors.
    """
    from welinq_core.schedule_batch import ShotStreams, simulate_schedules

    program = compiled.program
    qpus = {q.name: q for q in program.cluster.qpus}
    where = _qubit_qpus(program)
    n_pairs = len(program.bell_pairs)
    batch = simulate_schedules(program, ShotStreams.draw(program, shots, rng), **compiled.schedule_settings)
    states, ages = batch.pair_probabilities, batch.pair_age_s
    makespans, stalls = batch.makespan_s, batch.stall_s
    waits, copy_waits = batch.idle_waits_s, batch.copy_waits_s
    idle_tot = sum(waits.values(), np.zeros(shots))
    # Base channels: the least noisy state seen at each place.
    pair_base = states[np.argmax(states[:, :, 0], axis=0), np.arange(n_pairs)] if shots else states[0]
    lam, r = mixture_split(states, pair_base[None, :, :])
    pair_labels = _draw_labels(lam, r, rng)
    places = sorted(waits)
    idle_base: list[tuple[int, int, float]] = []
    idle_labels = np.full((shots, len(places)), "", dtype="<U1")
    for j, (s, q) in enumerate(places):
        qpu = qpus[where[s][q]]
        d = waits[(s, q)]
        d_min = float(d.min())
        if d_min > 0:
            idle_base.append((s, q, d_min))
        table = idle_pauli_table(qpu, d)
        lam_i, r_i = mixture_split(table, idle_pauli_table(qpu, np.array([d_min]))[0])
        idle_labels[:, j] = _draw_labels(lam_i, r_i, rng)
    copy_steps: list[int] = []
    copy_base: dict[int, float] = {}
    copy_labels: list[np.ndarray] = []
    for step, d in sorted(copy_waits.items()):
        route = program.packets[program.steps[step].packet].route
        memory = program.cluster.link(route[-2], route[-1]).memory
        if memory is None:
            continue  # an ideal memory: the copy does not decohere
        d_min = float(d.min())
        table = np.array([memory.pauli_probabilities(float(t)) for t in d])
        lam_c, r_c = mixture_split(table, np.array(memory.pauli_probabilities(d_min)))
        copy_steps.append(step)
        copy_labels.append(_draw_labels(lam_c, r_c, rng))
        if d_min > 0:
            copy_base[step] = d_min
    keys: list[Key] = []
    for i in range(shots):
        idles = tuple((s, q, str(lab)) for (s, q), lab in zip(places, idle_labels[i]) if lab)
        copies = tuple((s, str(col[i])) for s, col in zip(copy_steps, copy_labels) if col[i])
        keys.append((tuple(str(x) for x in pair_labels[i]), idles, copies))
    stats = ShotStatistics(shots=shots, makespan_s=_spread(makespans), stall_s=_spread(stalls),
                           pair_fidelity=_spread(states[:, :, 0]), pair_age_s=_spread(ages),
                           idle_s=_spread(idle_tot), keys=len(set(keys)))
    return ShotDraws(pair_base=tuple(tuple(float(x) for x in row) for row in pair_base),  # type: ignore[misc]
                     idle_base=tuple(idle_base), copy_base=copy_base, keys=keys, statistics=stats)
