"""Entanglement-based quantum key distribution (BBM92) from a delivered Bell pair.

Both nodes measure their half of each delivered pair in the Z or the X basis (chosen at
random), keep the rounds where the bases agree (sifting) and distil a key from the Z
rounds, using the X rounds to bound the eavesdropper's information. For a Bell-diagonal
pair (Pauli P on qubit B of Phi+ with probability p_P) the error rates are exact:

    e_z = p_X + p_Y      (an X or Y flips the ZZ correlation),
    e_x = p_Z + p_Y      (a Z or Y flips the XX correlation).

The asymptotic secret fraction (Shor-Preskill; one-way error correction with efficiency
f >= 1 leaking f h(e_z) bits per key bit) is

    r = 1 - h(e_x) - f h(e_z),        h(e) = -e log2 e - (1 - e) log2(1 - e),

and the secret key rate is R_key = R_pair * s * max(r, 0) with s the sifting factor
(1/2 for the symmetric basis choice of BBM92; close to 1 with a biased basis choice,
Lo, Chau, Ardehali 2005). For a Werner pair e_z = e_x = 2 (1 - F) / 3 and the key
vanishes at h(e) = 1 / (1 + f): e = 11.0 % for f = 1, 9.8 % for f = 1.16.

Optional finite-size correction (Tomamichel, Lim, Gisin, Renner, Nat. Commun. 3, 634
(2012)): of the N s sifted pairs of a block, k = t N s are disclosed (X basis) to bound
the phase error of the n = N s - k key bits (Z basis) by e_x + mu with
mu = sqrt((n + k)/(n k) (k + 1)/k ln(2/eps_sec)), leaving

    l = n (1 - h(e_x + mu)) - n f h(e_z) - log2(2 / (eps_sec^2 eps_cor))

secret bits per block (0 if negative); t is chosen to maximise l. Formulas and references: docs/physics.md 2.9.

References:
    Bennett, Brassard, Mermin, PRL 68, 557 (1992). Shor and Preskill, PRL 85, 441 (2000).
    Lo, Chau, Ardehali, J. Cryptology 18, 133 (2005). Tomamichel et al., Nat. Commun. 3,
    634 (2012).

Examples:
    >>> est = bbm92_key_rate(BellPair.werner(0.97), pair_rate_hz=1000.0)
    >>> round(est.qber_z, 4), round(est.secret_fraction, 4), round(est.secret_key_rate_bps, 1)
    (0.02, 0.6945, 347.2)
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import _validation as _v
from welinq_core.physics.bell_pair import BellPair

__all__ = [
    "DEFAULT_ERROR_CORRECTION_EFFICIENCY",
    "KeyRateEstimate",
    "bbm92_key_rate",
    "bbm92_qber",
    "binary_entropy",
    "werner_qber_threshold",
]

#: Error-correction efficiency f (leaked bits / Shannon limit) of practical LDPC codes.
DEFAULT_ERROR_CORRECTION_EFFICIENCY = 1.16


def binary_entropy(p: float) -> float:
    """h(p) = -p log2 p - (1 - p) log2(1 - p), with h(0) = h(1) = 0.

    Examples:
        >>> binary_entropy(0.5), binary_entropy(0.0)
        (1.0, 0.0)
    """
    p = _v.probability("p", p, "an error rate in [0, 1]")
    if p in (0.0, 1.0):
        return 0.0
    return -p * math.log2(p) - (1.0 - p) * math.log2(1.0 - p)


def bbm92_qber(pair: BellPair) -> tuple[float, float]:
    """Quantum bit error rates (e_z, e_x) of BBM92 measured on ``pair`` (exact).

    Examples:
        >>> [round(e, 12) for e in bbm92_qber(BellPair.werner(0.85))]
        [0.1, 0.1]
        >>> bbm92_qber(BellPair(p_i=0.9, p_x=0.0, p_y=0.0, p_z=0.1))
        (0.0, 0.1)
    """
    if not isinstance(pair, BellPair):
        raise PhysicsParameterError(f"pair={pair!r} is not a BellPair; give the delivered pair")
    return (pair.p_x + pair.p_y, pair.p_z + pair.p_y)


def werner_qber_threshold(error_correction_efficiency: float = DEFAULT_ERROR_CORRECTION_EFFICIENCY) -> float:
    """QBER e of a Werner pair at which the asymptotic BBM92 key vanishes: h(e) = 1/(1 + f).

    Examples:
        >>> round(werner_qber_threshold(1.0), 3)
        0.11
        >>> round(werner_qber_threshold(), 4)
        0.0981
    """
    f = _check_f(error_correction_efficiency)
    target = 1.0 / (1.0 + f)
    lo, hi = 0.0, 0.5
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if binary_entropy(mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@dataclasses.dataclass(frozen=True, kw_only=True)
class KeyRateEstimate:
    """BBM92 key-rate estimate for one link or route.

    Attributes:
        fidelity: Fidelity of the delivered pair.
        qber_z: Error rate in the Z (key) basis.
        qber_x: Error rate in the X (test) basis.
        secret_fraction: Secret bits per sifted key bit (negative: no key).
        sifting_factor: Fraction of pairs whose bases agree.
        error_correction_efficiency: f used.
        pair_rate_hz: Delivered pair rate (None if unlimited).
        secret_key_rate_bps: Secret bits per second (None if the pair rate is unlimited).
        block_size: Pairs per block for the finite-size correction (None: asymptotic).
        test_fraction: Fraction of sifted pairs disclosed to bound the phase error,
            chosen to maximise the key (None: asymptotic).
    """

    fidelity: float
    qber_z: float
    qber_x: float
    secret_fraction: float
    sifting_factor: float
    error_correction_efficiency: float
    pair_rate_hz: float | None
    secret_key_rate_bps: float | None
    block_size: int | None = None
    test_fraction: float | None = None

    @property
    def secret_bits_per_pair(self) -> float:
        """Secret bits per delivered pair: s * max(r, 0).

        Examples:
            >>> bbm92_key_rate(BellPair.perfect(), pair_rate_hz=None).secret_bits_per_pair
            0.5
        """
        return self.sifting_factor * max(self.secret_fraction, 0.0)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-serialisable).

        Examples:
            >>> sorted(bbm92_key_rate(BellPair.perfect(), pair_rate_hz=1.0).to_dict())[:3]
            ['block_size', 'error_correction_efficiency', 'fidelity']
        """
        return dataclasses.asdict(self)


def _check_f(f: object) -> float:
    value = _v.real("error_correction_efficiency", f)
    if value < 1.0:
        raise PhysicsParameterError(
            f"error_correction_efficiency={f!r} is below 1 (the Shannon limit); give f >= 1, "
            f"e.g. {DEFAULT_ERROR_CORRECTION_EFFICIENCY}")
    return value


def bbm92_key_rate(
    pair: BellPair,
    pair_rate_hz: float | None,
    *,
    error_correction_efficiency: float = DEFAULT_ERROR_CORRECTION_EFFICIENCY,
    sifting_factor: float = 0.5,
    block_size: int | None = None,
    epsilon_sec: float = 1e-10,
    epsilon_cor: float = 1e-15,
) -> KeyRateEstimate:
    """Secret key rate of BBM92 on pairs delivered at ``pair_rate_hz`` (module docstring).

    Args:
        pair: The delivered Bell-diagonal pair (as measured, after any storage).
        pair_rate_hz: Delivered pairs per second, or None for an unlimited rate.
        error_correction_efficiency: f >= 1. Defaults to 1.16.
        sifting_factor: Fraction of pairs kept after basis reconciliation, in (0, 1].
            Defaults to 0.5 (symmetric basis choice).
        block_size: Pairs per block for the finite-size correction, or None (asymptotic).
        epsilon_sec: Secrecy parameter of the finite-size bound. Defaults to 1e-10.
        epsilon_cor: Correctness parameter of the finite-size bound. Defaults to 1e-15.

    Raises:
        PhysicsParameterError: On out-of-range arguments.

    Examples:
        >>> w = BellPair.werner(1 - 1.5 * 0.11)  # QBER 11 %
        >>> abs(bbm92_key_rate(w, 1.0, error_correction_efficiency=1.0).secret_fraction) < 2e-3
        True
        >>> bbm92_key_rate(BellPair.werner(0.97), 1e3, block_size=10**6).secret_key_rate_bps < 347.2
        True
    """
    e_z, e_x = bbm92_qber(pair)
    f = _check_f(error_correction_efficiency)
    s = _v.real("sifting_factor", sifting_factor)
    if not 0.0 < s <= 1.0:
        raise PhysicsParameterError(
            f"sifting_factor={sifting_factor!r} is outside (0, 1]; give 0.5 for BBM92's symmetric "
            "basis choice, or up to 1 for a biased choice")
    rate = None if pair_rate_hz is None else _v.positive_or_inf(
        "pair_rate_hz", pair_rate_hz, "a pair rate in Hz > 0, or None for unlimited")
    test_fraction = None
    if block_size is None:
        r = 1.0 - binary_entropy(e_x) - f * binary_entropy(e_z)
    else:
        if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 4:
            raise PhysicsParameterError(
                f"block_size={block_size!r} is not an integer >= 4; give the number of delivered "
                "pairs per key block, e.g. 10**6, or None for the asymptotic rate")
        for name, eps in (("epsilon_sec", epsilon_sec), ("epsilon_cor", epsilon_cor)):
            e = _v.real(name, eps)
            if not 0.0 < e < 1.0:
                raise PhysicsParameterError(f"{name}={eps!r} is outside (0, 1); give e.g. 1e-10")
        r, test_fraction = _finite_size_fraction(
            e_z, e_x, f, block_size * s, epsilon_sec, epsilon_cor)
    key_rate = None if rate is None else rate * s * max(r, 0.0)
    return KeyRateEstimate(
        fidelity=pair.fidelity, qber_z=e_z, qber_x=e_x, secret_fraction=r, sifting_factor=s,
        error_correction_efficiency=f, pair_rate_hz=rate, secret_key_rate_bps=key_rate,
        block_size=block_size, test_fraction=test_fraction)


def _finite_size_fraction(e_z: float, e_x: float, f: float, sifted: float, eps_sec: float,
                          eps_cor: float) -> tuple[float, float]:
    """Best secret bits per sifted pair over the disclosed test fraction t (grid search)."""
    best = (-math.inf, 0.0)
    for t in np.geomspace(1e-8, 0.5, 600):
        k = sifted * t
        n = sifted - k
        if k < 1.0 or n < 1.0:
            continue
        mu = math.sqrt((n + k) / (n * k) * (k + 1.0) / k * math.log(2.0 / eps_sec))
        phase = min(e_x + mu, 0.5)
        bits = (n * (1.0 - binary_entropy(phase)) - n * f * binary_entropy(e_z)
                - math.log2(2.0 / (eps_sec ** 2 * eps_cor)))
        if bits / sifted > best[0]:
            best = (float(bits / sifted), float(t))
    if best[0] == -math.inf:
        raise PhysicsParameterError(
            f"a block of {sifted:.3g} sifted pairs leaves no test rounds; give a larger block_size")
    return best
