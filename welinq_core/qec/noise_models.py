"""Noise of a surface-code memory: bulk (inside a QPU) and interface (across a seam).

Bulk noise is one :class:`BulkNoise` per QPU, a set of per-operation error probabilities
placed in the circuit as stim does for its generated circuits:

* ``two_qubit``: ``DEPOLARIZE2`` after every local CNOT;
* ``single_qubit``: ``DEPOLARIZE1`` after every Hadamard;
* ``measurement``: a flip before every measurement; ``reset``: a flip after every reset;
* ``data_idle``: ``DEPOLARIZE1`` on every data qubit at the start of each round (the idle
  time while ancillas are measured and reset);
* ``idle``: ``DEPOLARIZE1`` on every qubit left idle by a CNOT layer.

Two named models:

* ``uniform`` (standard circuit-level depolarizing noise, "SD6"-like): all of the above
  equal to ``p`` except ``idle = 0``. This is exactly stim's
  ``Circuit.generated(..., after_clifford_depolarization=p, before_round_data_depolarization=p,
  before_measure_flip_probability=p, after_reset_flip_probability=p)``.
* ``si1000`` (superconducting-inspired, Gidney, Newman and McEwen, Quantum 6, 813 (2022);
  here with CNOTs instead of CZs): ``two_qubit = p``, ``single_qubit = idle = p / 10``,
  ``measurement = 5 p``, ``reset = 2 p``, ``data_idle = 2 p``.

Interface noise is a two-qubit Pauli channel applied after a CNOT that crosses a seam,
in place of the bulk CNOT error, on ``(control, target)``:

* :meth:`InterfaceNoise.depolarizing`: ``DEPOLARIZE2(p)`` (each of the 15 non-identity
  Paulis with probability ``p / 15``);
* :meth:`InterfaceNoise.remote_cnot`: the exact channel of a remote CNOT done with the
  cat-entangler/disentangler protocol and a Bell-diagonal pair ``(p_I, p_X, p_Y, p_Z)``
  and perfect local operations: ``I_c X_t`` with ``p_X``, ``Z_c X_t`` with ``p_Y``,
  ``Z_c I_t`` with ``p_Z`` (Eisert et al., PRA 62, 052317 (2000); the process fidelity
  equals the pair fidelity).

Examples:
    >>> BulkNoise.si1000(0.001).measurement
    0.005
    >>> channel = InterfaceNoise.remote_cnot((0.97, 0.01, 0.01, 0.01))
    >>> round(channel.total, 12), channel.nonzero()
    (0.03, {'IX': 0.01, 'ZI': 0.01, 'ZX': 0.01})
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import numbers
from collections.abc import Sequence

import numpy as np

from welinq_core.errors import OptionsError, PhysicsParameterError

__all__ = ["BULK_MODELS", "PAULI_PAIRS", "BulkNoise", "InterfaceNoise", "check_probability"]

#: Named bulk noise models.
BULK_MODELS: tuple[str, ...] = ("uniform", "si1000")

#: The 15 non-identity two-qubit Paulis in the argument order of stim's PAULI_CHANNEL_2.
PAULI_PAIRS: tuple[str, ...] = tuple(a + b for a, b in itertools.product("IXYZ", repeat=2))[1:]

_BITS = {"I": (0, 0), "X": (1, 0), "Y": (1, 1), "Z": (0, 1)}
_FROM_BITS = {v: k for k, v in _BITS.items()}


def _pair_bits(label: str) -> int:
    """Pack a two-qubit Pauli label into 4 symplectic bits."""
    (x1, z1), (x2, z2) = _BITS[label[0]], _BITS[label[1]]
    return x1 | z1 << 1 | x2 << 2 | z2 << 3


def check_probability(name: str, value: object) -> float:
    """Return ``value`` as a float, or raise :class:`PhysicsParameterError` unless it is in [0, 1].

    Examples:
        >>> check_probability("bulk_error", 1.5)
        Traceback (most recent call last):
        ...
        welinq_core.errors.PhysicsParameterError: bulk_error=1.5 is outside [0, 1]; give an error probability such as 0.001
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or not 0.0 <= value <= 1.0:
        raise PhysicsParameterError(
            f"{name}={value!r} is outside [0, 1]; give an error probability such as 0.001")
    return float(value)


@dataclasses.dataclass(frozen=True, kw_only=True)
class BulkNoise:
    """Error probabilities of the operations inside one QPU (see the module docstring).

    Attributes:
        two_qubit: Depolarizing probability after each local CNOT.
        single_qubit: Depolarizing probability after each Hadamard.
        measurement: Flip probability before each measurement.
        reset: Flip probability after each reset.
        data_idle: Depolarizing probability on each data qubit at the start of a round.
        idle: Depolarizing probability on each qubit idle during a CNOT layer.
    """

    two_qubit: float = 0.0
    single_qubit: float = 0.0
    measurement: float = 0.0
    reset: float = 0.0
    data_idle: float = 0.0
    idle: float = 0.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, check_probability(f.name, getattr(self, f.name)))

    @classmethod
    def uniform(cls, p: float) -> BulkNoise:
        """Standard circuit-level depolarizing noise of strength ``p`` (no per-layer idling)."""
        p = check_probability("bulk_error", p)
        return cls(two_qubit=p, single_qubit=p, measurement=p, reset=p, data_idle=p, idle=0.0)

    @classmethod
    def si1000(cls, p: float) -> BulkNoise:
        """SI1000-style noise of strength ``p`` (CNOTs in place of CZs); every entry capped at 1."""
        p = check_probability("bulk_error", p)
        return cls(two_qubit=p, single_qubit=p / 10, measurement=min(1.0, 5 * p), reset=min(1.0, 2 * p),
                   data_idle=min(1.0, 2 * p), idle=p / 10)

    @classmethod
    def named(cls, model: str, p: float) -> BulkNoise:
        """The model called ``model`` (``"uniform"`` or ``"si1000"``) at strength ``p``."""
        if model not in BULK_MODELS:
            raise OptionsError(f"noise_model={model!r} is not one of {BULK_MODELS}; use 'uniform' or 'si1000'")
        return cls.uniform(p) if model == "uniform" else cls.si1000(p)


@dataclasses.dataclass(frozen=True, kw_only=True)
class InterfaceNoise:
    """A two-qubit Pauli channel on ``(control, target)`` of a CNOT that crosses a seam.

    Attributes:
        probabilities: The 15 probabilities in :data:`PAULI_PAIRS` order (first letter on
            the control); their sum is the total error probability, at most 1.
    """

    probabilities: tuple[float, ...]

    def __post_init__(self) -> None:
        p = tuple(float(x) for x in self.probabilities)
        if len(p) != 15 or min(p) < -1e-12 or sum(p) > 1 + 1e-9:
            raise PhysicsParameterError(
                f"interface channel probabilities={p!r} must be 15 non-negative numbers summing to <= 1")
        object.__setattr__(self, "probabilities", tuple(max(0.0, x) for x in p))

    @property
    def total(self) -> float:
        """Probability that any error happens (the process infidelity)."""
        return math.fsum(self.probabilities)

    def nonzero(self) -> dict[str, float]:
        """The non-zero terms, keyed by Pauli pair (control letter first)."""
        return {k: v for k, v in zip(PAULI_PAIRS, self.probabilities) if v > 0}

    @classmethod
    def depolarizing(cls, p: float) -> InterfaceNoise:
        """Two-qubit depolarizing noise: each non-identity Pauli pair with probability ``p / 15``."""
        p = check_probability("interface_error", p)
        return cls(probabilities=(p / 15,) * 15)

    @classmethod
    def remote_cnot(cls, bell_pair: Sequence[float]) -> InterfaceNoise:
        """Exact channel of a cat-entangler remote CNOT consuming a Bell-diagonal pair.

        Args:
            bell_pair: ``(p_I, p_X, p_Y, p_Z)`` of the consumed pair (a BellPair's fields).
        """
        p_i, p_x, p_y, p_z = (float(x) for x in bell_pair)
        if min(p_i, p_x, p_y, p_z) < 0 or abs(p_i + p_x + p_y + p_z - 1) > 1e-9:
            raise PhysicsParameterError(
                f"bell_pair={tuple(bell_pair)!r} must be 4 non-negative probabilities summing to 1")
        return cls.from_terms({"IX": p_x, "ZX": p_y, "ZI": p_z})

    @classmethod
    def werner_remote_cnot(cls, p: float) -> InterfaceNoise:
        """Remote CNOT with a Werner pair of fidelity ``1 - p`` (process infidelity ``p``)."""
        p = check_probability("interface_error", p)
        return cls.remote_cnot((1 - p, p / 3, p / 3, p / 3))

    @classmethod
    def from_terms(cls, terms: dict[str, float]) -> InterfaceNoise:
        """Build from ``{"IX": p, ...}`` (control letter first); missing pairs are zero."""
        bad = set(terms) - set(PAULI_PAIRS)
        if bad:
            raise PhysicsParameterError(f"unknown Pauli pairs {sorted(bad)}; use labels such as 'IX', 'ZI'")
        return cls(probabilities=tuple(float(terms.get(k, 0.0)) for k in PAULI_PAIRS))

    def independent_components(self) -> dict[str, float] | None:
        """Independent flip probabilities ``r_P`` whose composition is exactly this channel.

        Applying each Pauli pair ``P`` independently with probability ``r_P`` gives a Pauli
        channel; this inverts that map (through the channel's Fourier coefficients). The
        result lets stim analyse the channel exactly as a product of independent
        ``CORRELATED_ERROR`` terms; None when no such decomposition exists (then the
        channel needs ``PAULI_CHANNEL_2``).

        Examples:
            >>> r = InterfaceNoise.remote_cnot((0.91, 0.03, 0.03, 0.03)).independent_components()
            >>> sorted(r), round(r["IX"], 6)
            (['IX', 'ZI', 'ZX'], 0.030958)
        """
        full = np.zeros(16)
        full[0] = 1 - self.total
        bits = [_pair_bits(k) for k in PAULI_PAIRS]
        for b, v in zip(bits, self.probabilities):
            full[b] = v
        parity = np.array([[bin(v & h).count("1") % 2 for h in range(16)] for v in range(1, 16)])
        lam = (full[None, :] * (1 - 2 * parity)).sum(axis=1)
        if np.any(lam <= 1e-15):
            return None
        incidence = parity[:, bits].astype(float)  # [character, element]
        log_s = np.linalg.solve(incidence, np.log(lam))
        s = np.exp(log_s)
        if np.any(s > 1 + 1e-12):
            return None
        r = (1 - np.minimum(s, 1.0)) / 2
        return {k: float(x) for k, x in zip(PAULI_PAIRS, r) if x > 1e-15}

    def then(self, other: InterfaceNoise) -> InterfaceNoise:
        """This channel followed by an independent ``other`` (Pauli convolution).

        Examples:
            >>> a = InterfaceNoise.from_terms({"IX": 0.1})
            >>> round(a.then(a).nonzero()["IX"], 12)
            0.18
        """
        full_a = {"II": 1 - self.total, **dict(zip(PAULI_PAIRS, self.probabilities))}
        full_b = {"II": 1 - other.total, **dict(zip(PAULI_PAIRS, other.probabilities))}
        out: dict[str, float] = {}
        for ka, va in full_a.items():
            for kb, vb in full_b.items():
                label = "".join(_FROM_BITS[(_BITS[x][0] ^ _BITS[y][0], _BITS[x][1] ^ _BITS[y][1])]
                                for x, y in zip(ka, kb))
                out[label] = out.get(label, 0.0) + va * vb
        out.pop("II", None)
        return InterfaceNoise.from_terms(out)
