"""Entanglement distillation (purification) of Bell-diagonal pairs (docs/physics.md 2.6).

Both protocols consume two pairs, apply a bilateral CNOT (pair 1 controls, pair 2 is
the target), measure the target pair in Z on both sides and keep pair 1 when the
outcomes agree.

DEJMPS first applies Rx(+pi/2) on Alice's and Rx(-pi/2) on Bob's qubits. With
A = p_i, B = p_y, C = p_x, D = p_z (Deutsch labels Phi+, Psi-, Psi+, Phi-):

    N  = (A1 + B1)(A2 + B2) + (C1 + D1)(C2 + D2)
    A' = (A1 A2 + B1 B2) / N,   B' = (C1 D2 + D1 C2) / N,
    C' = (C1 C2 + D1 D2) / N,   D' = (A1 B2 + B1 A2) / N.

BBPSSW twirls both inputs to Werner pairs first (as in the original protocol), then
applies the plain bilateral CNOT, for which (labels I, X, Y, Z = p_i, p_x, p_y, p_z)

    N = (I1 + Z1)(I2 + Z2) + (X1 + Y1)(X2 + Y2),
    I' = (I1 I2 + Z1 Z2)/N, Z' = (I1 Z2 + Z1 I2)/N, X' = (X1 X2 + Y1 Y2)/N, Y' = (X1 Y2 + Y1 X2)/N.

For equal Werner inputs p = F^2 + 2F(1-F)/3 + 5((1-F)/3)^2
and F' = (F^2 + ((1-F)/3)^2) / p.

References:
    Bennett, Brassard, Popescu, Schumacher, Smolin, Wootters, PRL 76, 722 (1996).
    Deutsch, Ekert, Jozsa, Macchiavello, Popescu, Sanpera, PRL 77, 2818 (1996).
"""

from __future__ import annotations

import dataclasses

from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import _validation as _v
from welinq_core.physics.bell_pair import BellPair

__all__ = [
    "DISTILLATION_PROTOCOLS",
    "DistillationResult",
    "DistillationSchedule",
    "distill",
    "distill_until",
]

DISTILLATION_PROTOCOLS: tuple[str, ...] = ("dejmps", "bbpssw")


@dataclasses.dataclass(frozen=True, kw_only=True)
class DistillationResult:
    """Outcome of one 2-to-1 distillation step.

    Attributes:
        success_probability: Probability that the parity check passes.
        pair: The kept pair, conditioned on success.

    Examples:
        >>> r = distill(BellPair.werner(0.9), BellPair.werner(0.9), protocol="bbpssw")
        >>> round(r.success_probability, 4), round(r.pair.fidelity, 4)
        (0.8756, 0.9264)
    """

    success_probability: float
    pair: BellPair


@dataclasses.dataclass(frozen=True, kw_only=True)
class DistillationSchedule:
    """Result of recurrence distillation up to a target fidelity.

    Attributes:
        rounds: Number of recurrence rounds (0 if the input already meets the target).
        success_probabilities: Success probability of each round.
        expected_pairs_consumed: Expected elementary pairs consumed per output pair,
            E_n = 2 E_{n-1} / p_n with E_0 = 1.
        pair: Output pair after the last round.
        rate_factor: 1 / expected_pairs_consumed: multiply the elementary pair rate by this
            to get the distilled pair rate (ignoring classical latency).

    Examples:
        >>> s = distill_until(BellPair.werner(0.9), 0.95, protocol="dejmps")
        >>> s.rounds, s.pair.fidelity >= 0.95
        (2, True)
    """

    rounds: int
    success_probabilities: tuple[float, ...]
    expected_pairs_consumed: float
    pair: BellPair
    rate_factor: float


def _bilateral_cnot(a1: float, b1: float, c1: float, d1: float,
                    a2: float, b2: float, c2: float, d2: float) -> tuple[float, tuple[float, ...]]:
    n = (a1 + b1) * (a2 + b2) + (c1 + d1) * (c2 + d2)
    if n <= 0.0:
        return 0.0, (0.25, 0.25, 0.25, 0.25)
    return n, ((a1 * a2 + b1 * b2) / n, (c1 * d2 + d1 * c2) / n,
               (c1 * c2 + d1 * d2) / n, (a1 * b2 + b1 * a2) / n)


def distill(pair_1: BellPair, pair_2: BellPair, *, protocol: str = "dejmps") -> DistillationResult:
    """Distil two pairs into one (2-to-1 recurrence step).

    Inputs may differ. The classical exchange (one one-way latency) is not included:
    age both pairs for it with :func:`welinq_core.physics.memory.age` beforehand.

    Args:
        pair_1: The kept (source) pair.
        pair_2: The sacrificed (target) pair.
        protocol: ``"dejmps"`` (Deutsch et al. 1996) or ``"bbpssw"`` (Bennett et al. 1996,
            with Werner twirl of the inputs). Defaults to ``"dejmps"``.

    Returns:
        Success probability and the kept pair conditioned on success (the BBPSSW output
        is not re-twirled).

    Raises:
        PhysicsParameterError: On an unknown protocol or non-BellPair inputs.

    Examples:
        >>> a = BellPair(p_i=0.85, p_x=0.05, p_y=0.04, p_z=0.06)
        >>> b = BellPair(p_i=0.75, p_x=0.10, p_y=0.05, p_z=0.10)
        >>> r = distill(a, b)
        >>> round(r.success_probability, 3), round(r.pair.fidelity, 4)
        (0.734, 0.8713)
    """
    _v.choice("protocol", protocol, DISTILLATION_PROTOCOLS)
    for name, value in (("pair_1", pair_1), ("pair_2", pair_2)):
        if not isinstance(value, BellPair):
            raise PhysicsParameterError(f"{name}={value!r} is not a BellPair; give a BellPair")
    if protocol == "dejmps":
        n, (a, b, c, d) = _bilateral_cnot(pair_1.p_i, pair_1.p_y, pair_1.p_x, pair_1.p_z,
                                          pair_2.p_i, pair_2.p_y, pair_2.p_x, pair_2.p_z)
        out = BellPair(p_i=a, p_x=c, p_y=b, p_z=d)
    else:
        w1, w2 = pair_1.twirled(), pair_2.twirled()
        n, (a, b, c, d) = _bilateral_cnot(w1.p_i, w1.p_z, w1.p_x, w1.p_y,
                                          w2.p_i, w2.p_z, w2.p_x, w2.p_y)
        out = BellPair(p_i=a, p_x=c, p_y=b, p_z=d)
    return DistillationResult(success_probability=n, pair=out)


def distill_until(
    pair: BellPair,
    target_fidelity: float,
    *,
    protocol: str = "dejmps",
    max_rounds: int = 20,
) -> DistillationSchedule:
    """Recurrence distillation (symmetric doubling) until ``target_fidelity`` is met.

    Each round distils two copies of the previous round's output.

    Args:
        pair: Elementary pair (all inputs identical).
        target_fidelity: Required fidelity, in (0.25, 1].
        protocol: ``"dejmps"`` or ``"bbpssw"``. Defaults to ``"dejmps"``.
        max_rounds: Give up after this many rounds. Defaults to 20.

    Returns:
        A :class:`DistillationSchedule`.

    Raises:
        PhysicsParameterError: If the target is unreachable: F <= 1/2, the fidelity stops
            improving (fixed point) below the target, or max_rounds is exceeded.

    Examples:
        >>> s = distill_until(BellPair.werner(0.9), 0.92, protocol="bbpssw")
        >>> s.rounds, round(s.expected_pairs_consumed, 3)
        (1, 2.284)
    """
    target = _v.real("target_fidelity", target_fidelity)
    if not 0.25 < target <= 1.0:
        raise PhysicsParameterError(
            f"target_fidelity={target_fidelity!r} is outside (0.25, 1]; give a fidelity target")
    max_r = _v.positive_int("max_rounds", max_rounds)
    _v.choice("protocol", protocol, DISTILLATION_PROTOCOLS)
    current = pair
    probs: list[float] = []
    consumed = 1.0
    while current.fidelity < target:
        if current.fidelity <= 0.5:
            raise PhysicsParameterError(
                f"fidelity {current.fidelity!r} <= 1/2 cannot be raised by {protocol} to "
                f"target_fidelity={target_fidelity!r}; start from pairs with F > 1/2")
        if len(probs) >= max_r:
            raise PhysicsParameterError(
                f"target_fidelity={target_fidelity!r} not reached after max_rounds={max_r} "
                f"(fidelity {current.fidelity:.6f}); raise max_rounds or lower the target")
        result = distill(current, current, protocol=protocol)
        if result.pair.fidelity <= current.fidelity + 1e-12:
            raise PhysicsParameterError(
                f"{protocol} reached a fixed point at fidelity {current.fidelity:.6f} below "
                f"target_fidelity={target_fidelity!r}; lower the target or improve the pairs")
        probs.append(result.success_probability)
        consumed = 2.0 * consumed / result.success_probability
        current = result.pair
    return DistillationSchedule(rounds=len(probs), success_probabilities=tuple(probs),
                                expected_pairs_consumed=consumed, pair=current,
                                rate_factor=1.0 / consumed)
