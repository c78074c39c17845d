"""Quantum memories: idle decoherence, storage-and-retrieval efficiency, cutoffs.

A :class:`QuantumMemory` describes how one qubit of a Bell pair (or a data qubit)
decays while it waits. The Pauli models (ideal, depolarizing, dephasing) keep a
Bell-diagonal pair Bell-diagonal, so :func:`age` is a closed-form convolution. The
``"t1t2"`` model (amplitude damping) is not a Pauli channel: :func:`age` then ages the
pair's 4x4 density matrix exactly and projects the result onto Bell-diagonal form,
which keeps the exact fidelity (docs/physics.md 2.4).

Models (time t, single qubit):

* ``"ideal"``: no decay.
* ``"depolarizing"`` (time constant tau): rho -> e^{-t/tau} rho + (1 - e^{-t/tau}) I/2,
  so for Werner pairs F(t) = 1/4 + (F0 - 1/4) exp(-t_A/tau_A - t_B/tau_B).
* ``"dephasing"`` (T2): rho -> (1 - p) rho + p Z rho Z with p = (1 - e^{-t/T2}) / 2.
* ``"t1t2"``: amplitude damping (T1) and dephasing (coherence e^{-t/T2}), needs
  T2 <= 2 T1. For a pair, exact Kraus evolution of both halves then a projection onto
  Bell-diagonal form (:func:`age`). For one qubit alone,
  :meth:`QuantumMemory.pauli_probabilities` gives its Pauli twirl (Ghosh, Fowler,
  Geller, PRA 86, 062318 (2012)): pX = pY = (1 - e^{-t/T1})/4,
  pZ = (1 - e^{-t/T2})/2 - (1 - e^{-t/T1})/4.

Conventions of other simulators differ: SeQUeNCe's ``coherence_time`` T equals
tau = 3 T / 4 here (:func:`depolarizing_time_from_sequence_coherence_time`), and a
NetSquid-style depolarizing rate r (p = 1 - exp(-r t)) is tau = 1 / r
(:func:`depolarizing_time_from_rate`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import _validation as _v
from welinq_core.physics.bell_pair import BellPair, convolve_pauli

__all__ = [
    "QuantumMemory",
    "MEMORY_MODELS",
    "age",
    "cutoff_time_s",
    "depolarizing_time_from_rate",
    "depolarizing_time_from_sequence_coherence_time",
]

#: Names accepted by :attr:`QuantumMemory.model`.
MEMORY_MODELS: tuple[str, ...] = ("ideal", "depolarizing", "dephasing", "t1t2")
_SHAPES = ("exponential", "gaussian")
_FIELDS = ("model", "depolarizing_time_s", "t1_s", "t2_s", "efficiency", "efficiency_time_s",
           "efficiency_shape", "cutoff_s", "min_fidelity", "capacity")


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuantumMemory:
    """A quantum memory holding one qubit of a pair (or a data qubit).

    Use the named factories rather than the raw constructor.

    Attributes:
        model: One of ``"ideal"``, ``"depolarizing"``, ``"dephasing"``, ``"t1t2"``.
        depolarizing_time_s: Single-qubit depolarizing time constant tau in seconds
            (``"depolarizing"`` only, else None).
        t1_s: Energy relaxation time in seconds (``"t1t2"`` only, else None).
        t2_s: Dephasing time in seconds (``"dephasing"`` and ``"t1t2"``, else None).
        efficiency: Storage-and-retrieval efficiency eta0 at zero storage time, in [0, 1].
            Defaults to 1.0 (no loss).
        efficiency_time_s: Decay time of the efficiency in seconds. Defaults to None
            (efficiency does not decay).
        efficiency_shape: ``"exponential"`` (eta0 e^{-t/tau_e}) or ``"gaussian"``
            (eta0 e^{-(t/tau_e)^2}, typical of spin-wave dephasing in cold ensembles).
        cutoff_s: Discard a stored pair older than this, in seconds. Defaults to None
            (no time cutoff).
        min_fidelity: Discard a stored pair whose fidelity falls below this. Defaults to
            None (no fidelity cutoff).
        capacity: Number of storage slots. Defaults to None (unbounded).

    Examples:
        >>> mem = QuantumMemory.depolarizing(time_s=0.1)
        >>> [round(p, 6) for p in mem.pauli_probabilities(0.1)]
        [0.52591, 0.15803, 0.15803, 0.15803]
        >>> QuantumMemory.ideal().pauli_probabilities(10.0)
        (1.0, 0.0, 0.0, 0.0)
    """

    model: str = "ideal"
    depolarizing_time_s: float | None = None
    t1_s: float | None = None
    t2_s: float | None = None
    efficiency: float = 1.0
    efficiency_time_s: float | None = None
    efficiency_shape: str = "exponential"
    cutoff_s: float | None = None
    min_fidelity: float | None = None
    capacity: int | None = None

    def __post_init__(self) -> None:
        _v.choice("model", self.model, MEMORY_MODELS)
        needs = {
            "ideal": (),
            "depolarizing": ("depolarizing_time_s",),
            "dephasing": ("t2_s",),
            "t1t2": ("t1_s", "t2_s"),
        }[self.model]
        for name in ("depolarizing_time_s", "t1_s", "t2_s"):
            value = getattr(self, name)
            if name in needs:
                if value is None:
                    raise PhysicsParameterError(
                        f"{name}=None but model={self.model!r} needs it; give a time in seconds > 0")
                object.__setattr__(self, name, _v.positive(name, value, "a time in seconds > 0"))
            elif value is not None:
                raise PhysicsParameterError(
                    f"{name}={value!r} is not used by model={self.model!r}; leave it None or "
                    "choose a model that uses it")
        if self.model == "t1t2" and self.t2_s > 2.0 * self.t1_s * (1 + 1e-12):  # type: ignore[operator]
            raise PhysicsParameterError(
                f"t2_s={self.t2_s!r} exceeds 2 * t1_s = {2 * self.t1_s!r}; physical qubits have "  # type: ignore[operator]
                "T2 <= 2 T1, lower t2_s or raise t1_s")
        object.__setattr__(self, "efficiency", _v.probability(
            "efficiency", self.efficiency, "a storage-and-retrieval efficiency in [0, 1]"))
        if self.efficiency_time_s is not None:
            object.__setattr__(self, "efficiency_time_s", _v.positive(
                "efficiency_time_s", self.efficiency_time_s, "a time in seconds > 0 or None"))
        _v.choice("efficiency_shape", self.efficiency_shape, _SHAPES)
        if self.cutoff_s is not None:
            object.__setattr__(self, "cutoff_s", _v.positive(
                "cutoff_s", self.cutoff_s, "a cutoff time in seconds > 0 or None"))
        if self.min_fidelity is not None:
            f = _v.real("min_fidelity", self.min_fidelity)
            if not 0.25 < f <= 1.0:
                raise PhysicsParameterError(
                    f"min_fidelity={self.min_fidelity!r} is outside (0.25, 1]; give a fidelity "
                    "threshold above the maximally mixed value 0.25, or None")
            object.__setattr__(self, "min_fidelity", f)
        if self.capacity is not None:
            _v.positive_int("capacity", self.capacity)

    # ----------------------------------------------------------------- factories
    @classmethod
    def ideal(cls, **kwargs: Any) -> QuantumMemory:
        """A memory without decoherence (extra keyword fields such as ``capacity`` allowed).

        Examples:
            >>> QuantumMemory.ideal(capacity=4).capacity
            4
        """
        return cls(model="ideal", **kwargs)

    @classmethod
    def depolarizing(cls, *, time_s: float, **kwargs: Any) -> QuantumMemory:
        """A depolarizing memory with time constant ``time_s`` (tau).

        Examples:
            >>> QuantumMemory.depolarizing(time_s=1.0).depolarizing_time_s
            1.0
        """
        return cls(model="depolarizing", depolarizing_time_s=time_s, **kwargs)

    @classmethod
    def dephasing(cls, *, t2_s: float, **kwargs: Any) -> QuantumMemory:
        """A pure-dephasing memory with coherence time ``t2_s``.

        Examples:
            >>> QuantumMemory.dephasing(t2_s=0.5).model
            'dephasing'
        """
        return cls(model="dephasing", t2_s=t2_s, **kwargs)

    @classmethod
    def t1t2(cls, *, t1_s: float, t2_s: float, **kwargs: Any) -> QuantumMemory:
        """A T1/T2 memory (amplitude damping and dephasing); requires t2_s <= 2 t1_s.

        Examples:
            >>> QuantumMemory.t1t2(t1_s=5e-3, t2_s=3e-3).model
            't1t2'
        """
        return cls(model="t1t2", t1_s=t1_s, t2_s=t2_s, **kwargs)

    # ------------------------------------------------------------------- physics
    def pauli_probabilities(self, duration_s: float) -> tuple[float, float, float, float]:
        """Single-qubit Pauli channel (pI, pX, pY, pZ) for idling ``duration_s`` seconds.

        Exact for the Pauli models; for ``"t1t2"`` it is the Pauli twirl of amplitude
        damping and dephasing (use :func:`age` for pairs, which is exact there).

        Raises:
            PhysicsParameterError: If duration_s is negative.

        Examples:
            >>> [round(p, 6) for p in QuantumMemory.dephasing(t2_s=1.0).pauli_probabilities(1.0)]
            [0.68394, 0.0, 0.0, 0.31606]
        """
        t = _v.non_negative("duration_s", duration_s, "an idle time in seconds >= 0")
        if self.model == "ideal" or t == 0.0:
            return (1.0, 0.0, 0.0, 0.0)
        if self.model == "depolarizing":
            q = -math.expm1(-t / self.depolarizing_time_s) / 4.0  # type: ignore[operator]
            return (1.0 - 3.0 * q, q, q, q)
        if self.model == "dephasing":
            pz = -math.expm1(-t / self.t2_s) / 2.0  # type: ignore[operator]
            return (1.0 - pz, 0.0, 0.0, pz)
        a = -math.expm1(-t / self.t1_s)  # type: ignore[operator]
        b = -math.expm1(-t / self.t2_s)  # type: ignore[operator]
        px = a / 4.0
        pz = max(b / 2.0 - a / 4.0, 0.0)
        return (1.0 - 2.0 * px - pz, px, px, pz)

    def kraus_operators(self, duration_s: float) -> tuple[np.ndarray, ...]:
        """Exact single-qubit channel for idling ``duration_s`` seconds, as Kraus operators.

        ``"t1t2"``: amplitude damping towards |0> with gamma = 1 - e^{-t/T1}, followed
        by pure dephasing so that the coherence decays as e^{-t/T2} overall (the two
        commute). Pauli models return sqrt(p_P) P.

        Examples:
            >>> ks = QuantumMemory.t1t2(t1_s=1.0, t2_s=1.0).kraus_operators(1.0)
            >>> rho = np.array([[0.5, 0.5], [0.5, 0.5]])
            >>> out = sum(k @ rho @ k.conj().T for k in ks)
            >>> round(float(out[1, 1].real), 6), round(float(out[0, 1].real), 6)  # e^-1 / 2 each
            (0.18394, 0.18394)
        """
        t = _v.non_negative("duration_s", duration_s, "an idle time in seconds >= 0")
        if self.model != "t1t2":
            paulis = (np.eye(2), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]),
                      np.diag([1.0, -1.0]))
            return tuple(math.sqrt(p) * m.astype(complex)
                         for p, m in zip(self.pauli_probabilities(t), paulis) if p > 0)
        gamma = -math.expm1(-t / self.t1_s)  # type: ignore[operator]
        keep = math.exp(-t / (2.0 * self.t1_s))  # type: ignore[operator]
        # extra coherence factor from pure dephasing: e^{-t/T2} / e^{-t/(2 T1)} <= 1
        lam = min(math.exp(-t / self.t2_s + t / (2.0 * self.t1_s)), 1.0)  # type: ignore[operator]
        damp = (np.array([[1.0, 0.0], [0.0, keep]], dtype=complex),
                np.array([[0.0, math.sqrt(gamma)], [0.0, 0.0]], dtype=complex))
        phase = (math.sqrt((1.0 + lam) / 2.0) * np.eye(2, dtype=complex),
                 math.sqrt((1.0 - lam) / 2.0) * np.diag([1.0, -1.0]).astype(complex))
        return tuple(p @ d for p in phase for d in damp)

    def retrieval_efficiency(self, duration_s: float) -> float:
        """Probability of retrieving the stored qubit after ``duration_s`` seconds.

        Examples:
            >>> mem = QuantumMemory.ideal(efficiency=0.95, efficiency_time_s=1e-3,
            ...                           efficiency_shape="gaussian")
            >>> round(mem.retrieval_efficiency(1e-3), 4)
            0.3495
        """
        t = _v.non_negative("duration_s", duration_s, "a storage time in seconds >= 0")
        if self.efficiency_time_s is None:
            return self.efficiency
        x = t / self.efficiency_time_s
        return self.efficiency * math.exp(-x if self.efficiency_shape == "exponential" else -x * x)

    def to_json_dict(self) -> dict[str, Any]:
        """Plain-data form (all fields, ``None`` kept).

        Examples:
            >>> QuantumMemory.dephasing(t2_s=1.0).to_json_dict()["t2_s"]
            1.0
        """
        d: dict[str, Any] = {"type": "QuantumMemory"}
        d.update({name: getattr(self, name) for name in _FIELDS})
        return d

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> QuantumMemory:
        """Inverse of :meth:`to_json_dict`; missing optional keys take their defaults.

        Raises:
            PhysicsParameterError: On unknown keys or a wrong ``type`` tag.

        Examples:
            >>> m = QuantumMemory.t1t2(t1_s=1.0, t2_s=0.5, capacity=2)
            >>> QuantumMemory.from_json_dict(m.to_json_dict()) == m
            True
        """
        unknown = set(data) - set(_FIELDS) - {"type"}
        if unknown or data.get("type", "QuantumMemory") != "QuantumMemory":
            raise PhysicsParameterError(
                f"QuantumMemory JSON has unexpected keys {sorted(unknown)} or type "
                f"{data.get('type')!r}; allowed keys are {list(_FIELDS)} and type='QuantumMemory'")
        return cls(**{k: v for k, v in data.items() if k != "type"})


def _memory_or_ideal(memory: QuantumMemory | None) -> QuantumMemory:
    return QuantumMemory.ideal() if memory is None else memory


def age(
    pair: BellPair,
    duration_a_s: float,
    duration_b_s: float,
    memory_a: QuantumMemory | None,
    memory_b: QuantumMemory | None,
) -> BellPair:
    """Age a Bell-diagonal pair whose qubits idle in two memories.

    Pauli memories (ideal, depolarizing, dephasing): each side applies its single-qubit
    Pauli channel; a Pauli on qubit A of a BDS acts like the same Pauli on qubit B, so
    the result is the group convolution of the pair with both channels (exact).

    T1/T2 memories (amplitude damping is not a Pauli channel): the two-qubit density
    matrix is aged exactly, with the Kraus operators of amplitude damping and dephasing
    on each half (:meth:`QuantumMemory.kraus_operators`), and the result is projected
    onto Bell-diagonal form (the diagonal in the Bell basis, which is what a Pauli
    twirl of the pair leaves). The returned fidelity is the exact fidelity of the aged
    state; only the off-diagonal Bell-basis terms are dropped. Twirling each half's
    channel separately would instead drop cross terms and underestimate the fidelity
    (0.3515 instead of 0.4514 for a perfect pair, T1 = T2 = 1 s, 1 s on each half).
    See docs/physics.md 2.4.

    Args:
        pair: The pair at the start of the wait.
        duration_a_s: Idle time of qubit A in seconds.
        duration_b_s: Idle time of qubit B in seconds.
        memory_a: Memory holding qubit A (None means ideal).
        memory_b: Memory holding qubit B (None means ideal).

    Returns:
        The aged pair (Bell-diagonal).

    Examples:
        >>> mem = QuantumMemory.depolarizing(time_s=1.0)
        >>> aged = age(BellPair.werner(0.95), 0.1, 0.2, mem, mem)
        >>> round(aged.fidelity, 9) == round(0.25 + 0.7 * math.exp(-0.3), 9)
        True
        >>> t1t2 = QuantumMemory.t1t2(t1_s=1.0, t2_s=1.0)
        >>> round(age(BellPair.perfect(), 1.0, 1.0, t1t2, t1t2).fidelity, 4)
        0.4514
    """
    mem_a, mem_b = _memory_or_ideal(memory_a), _memory_or_ideal(memory_b)
    if mem_a.model != "t1t2" and mem_b.model != "t1t2":
        probs = convolve_pauli(pair.probabilities, mem_a.pauli_probabilities(duration_a_s))
        probs = convolve_pauli(probs, mem_b.pauli_probabilities(duration_b_s))
        return BellPair.from_probabilities(probs)
    rho = pair.density_matrix()
    ka = mem_a.kraus_operators(duration_a_s)
    kb = mem_b.kraus_operators(duration_b_s)
    out = np.zeros((4, 4), dtype=complex)
    for a in ka:
        for b in kb:
            k = np.kron(a, b)
            out += k @ rho @ k.conj().T
    out = 0.5 * (out + out.conj().T)
    return BellPair.from_density_matrix(out)


def cutoff_time_s(
    pair_fidelity: float | BellPair,
    min_fidelity: float,
    memory_a: QuantumMemory | None,
    memory_b: QuantumMemory | None,
) -> float:
    """Storage time after which a Werner pair falls below ``min_fidelity``.

    For depolarizing (or ideal) memories this is the closed form
    t_cut = tau_pair ln((F0 - 1/4) / (F_min - 1/4)), 1/tau_pair = 1/tau_A + 1/tau_B.
    For dephasing and T1/T2 memories it is found by bisection on :func:`age` (both
    sides store for the same time).

    Args:
        pair_fidelity: Fidelity F0 of the pair when stored (treated as a Werner pair), or
            the :class:`BellPair` itself (used as is by the bisection).
        min_fidelity: Threshold F_min in (0.25, 1].
        memory_a: Memory of side A (None means ideal).
        memory_b: Memory of side B (None means ideal).

    Returns:
        The cutoff in seconds; 0.0 if F0 < F_min already, ``math.inf`` if the pair never
        drops below F_min.

    Raises:
        PhysicsParameterError: If a fidelity is out of range.

    Examples:
        >>> mem = QuantumMemory.depolarizing(time_s=0.06)
        >>> round(cutoff_time_s(0.95, 0.8, mem, mem), 6)
        0.007235
    """
    start = pair_fidelity if isinstance(pair_fidelity, BellPair) else None
    f0 = start.fidelity if start is not None else _v.real("pair_fidelity", pair_fidelity)
    fmin = _v.real("min_fidelity", min_fidelity)
    if not 0.25 <= f0 <= 1.0:
        raise PhysicsParameterError(
            f"pair_fidelity={pair_fidelity!r} is outside [0.25, 1]; give a Werner fidelity")
    if not 0.25 < fmin <= 1.0:
        raise PhysicsParameterError(
            f"min_fidelity={min_fidelity!r} is outside (0.25, 1]; give a threshold above 0.25")
    if f0 < fmin:
        return 0.0
    mems = (_memory_or_ideal(memory_a), _memory_or_ideal(memory_b))
    if all(m.model in ("ideal", "depolarizing") for m in mems):
        rate = sum(1.0 / m.depolarizing_time_s for m in mems if m.model == "depolarizing")  # type: ignore[operator]
        if rate == 0.0 or f0 == fmin:
            return math.inf if rate == 0.0 else 0.0
        return math.log((f0 - 0.25) / (fmin - 0.25)) / rate
    pair = start if start is not None else BellPair.werner(f0)

    def fid(t: float) -> float:
        return age(pair, t, t, mems[0], mems[1]).fidelity

    hi = 1e-9
    while fid(hi) >= fmin:
        hi *= 2.0
        if hi > 1e12:
            return math.inf
    lo = 0.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if fid(mid) >= fmin:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * hi:
            break
    return lo


def depolarizing_time_from_sequence_coherence_time(coherence_time_s: float) -> float:
    """Convert SeQUeNCe's memory ``coherence_time`` T to our depolarizing tau = 3 T / 4.

    SeQUeNCe applies X, Y, Z each at rate 1/(3T); the Bloch vector shrinks as e^{-4t/(3T)}.

    Examples:
        >>> depolarizing_time_from_sequence_coherence_time(1.0)
        0.75
    """
    return 0.75 * _v.positive("coherence_time_s", coherence_time_s, "a time in seconds > 0")


def depolarizing_time_from_rate(rate_hz: float) -> float:
    """Convert a NetSquid-style depolarizing rate r (p = 1 - e^{-r t}) to tau = 1 / r.

    Examples:
        >>> depolarizing_time_from_rate(4.0)
        0.25
    """
    return 1.0 / _v.positive("rate_hz", rate_hz, "a rate in hertz > 0")
