"""Bell-diagonal two-qubit states: the canonical representation of a shared pair.

A Bell-diagonal state (BDS) is

    rho = p_i |Phi+><Phi+| + p_x |Psi+><Psi+| + p_y |Psi-><Psi-| + p_z |Phi-><Phi-|,

equivalently "Pauli P applied to qubit B of |Phi+> with probability p_P". Every
operation welinq models on pairs (Pauli memory noise, swapping, BBPSSW/DEJMPS
distillation, teleportation, remote gates) maps a BDS to a BDS in closed form.
Non-Pauli noise can be Pauli-twirled into this form with the fidelity unchanged
(:meth:`BellPair.from_density_matrix`).

The Pauli labels combine by the group product modulo phases; on the index order
(I, X, Y, Z) this is bitwise XOR of the (x, z) symplectic bits, which is what
:func:`convolve_pauli` uses.

References:
    Bennett, DiVincenzo, Smolin, Wootters, PRA 54, 3824 (1996) (Bell-diagonal
    states, twirling). Dur, Briegel, Cirac, Zoller, PRA 59, 169 (1999).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import _validation as _v

__all__ = ["BellPair", "PAULI_LABELS", "convolve_pauli"]

#: Order of the Pauli labels used in every probability tuple of this package.
PAULI_LABELS: tuple[str, str, str, str] = ("I", "X", "Y", "Z")

# symplectic bits (x, z) of I, X, Y, Z packed as x + 2 z; index -> bits and back.
_BITS = (0, 1, 3, 2)
_INDEX_OF_BITS = (0, 1, 3, 2)

_SQRT_HALF = 1.0 / math.sqrt(2.0)
_PAULI_MATRICES = (
    np.eye(2, dtype=complex),
    np.array([[0, 1], [1, 0]], dtype=complex),
    np.array([[0, -1j], [1j, 0]], dtype=complex),
    np.array([[1, 0], [0, -1]], dtype=complex),
)
_PHI_PLUS = np.array([1, 0, 0, 1], dtype=complex) * _SQRT_HALF
#: Bell states |Phi+>, |Psi+>, |Psi->, |Phi-> as (I (x) P)|Phi+> (global phase removed).
_BELL_STATES = tuple(
    (np.kron(_PAULI_MATRICES[0], p) @ _PHI_PLUS) * (1j if k == 2 else 1)
    for k, p in enumerate(_PAULI_MATRICES)
)


def convolve_pauli(p: Sequence[float], q: Sequence[float]) -> tuple[float, float, float, float]:
    """Compose two independent Pauli channels (group convolution over {I, X, Y, Z}).

    Args:
        p: Probabilities of (I, X, Y, Z) of the first channel.
        q: Probabilities of (I, X, Y, Z) of the second channel.

    Returns:
        Probabilities of (I, X, Y, Z) of the composition (phases ignored).

    Examples:
        >>> [round(x, 12) for x in convolve_pauli((0.9, 0.1, 0, 0), (0.8, 0, 0, 0.2))]
        [0.72, 0.08, 0.02, 0.18]
    """
    out = [0.0, 0.0, 0.0, 0.0]
    for a in range(4):
        if p[a] == 0:
            continue
        for b in range(4):
            out[_INDEX_OF_BITS[_BITS[a] ^ _BITS[b]]] += p[a] * q[b]
    return (out[0], out[1], out[2], out[3])


@dataclasses.dataclass(frozen=True, kw_only=True)
class BellPair:
    """A Bell-diagonal two-qubit state shared between nodes A and B.

    The probabilities are validated (finite, non-negative, summing to 1 within
    1e-9) and then renormalised exactly so that they sum to 1.

    Attributes:
        p_i: Overlap with |Phi+> (the fidelity).
        p_x: Overlap with |Psi+> (X error on qubit B).
        p_y: Overlap with |Psi-> (Y error on qubit B).
        p_z: Overlap with |Phi-> (Z error on qubit B).

    Examples:
        >>> pair = BellPair.werner(0.91)
        >>> round(pair.p_x, 12), pair.fidelity, pair.is_entangled
        (0.03, 0.91, True)
        >>> BellPair(p_i=0.5, p_x=0.5, p_y=0.0, p_z=0.0).is_entangled
        False
    """

    p_i: float
    p_x: float
    p_y: float
    p_z: float

    def __post_init__(self) -> None:
        names = ("p_i", "p_x", "p_y", "p_z")
        values = []
        for name in names:
            v = _v.real(name, getattr(self, name))
            if v < -1e-12:
                raise PhysicsParameterError(
                    f"{name}={v!r} is negative; Bell-diagonal probabilities must be >= 0")
            values.append(max(v, 0.0))
        total = math.fsum(values)
        if abs(total - 1.0) > 1e-9:
            raise PhysicsParameterError(
                f"p_i + p_x + p_y + p_z = {total!r} is not 1; give probabilities that sum to 1 "
                "(tolerance 1e-9)")
        for name, v in zip(names, values):
            object.__setattr__(self, name, v if total == 1.0 else v / total)

    # ----------------------------------------------------------------- factories
    @classmethod
    def werner(cls, fidelity: float) -> BellPair:
        """Werner pair (F, q, q, q) with q = (1 - F) / 3.

        Args:
            fidelity: Overlap with |Phi+>, in [0.25, 1].

        Raises:
            PhysicsParameterError: If fidelity is outside [0.25, 1].

        Examples:
            >>> BellPair.werner(0.25).probabilities
            (0.25, 0.25, 0.25, 0.25)
        """
        f = _v.real("fidelity", fidelity)
        if not 0.25 <= f <= 1.0:
            raise PhysicsParameterError(
                f"fidelity={fidelity!r} is outside [0.25, 1] for a Werner pair; 0.25 is the "
                "maximally mixed state, 1 a perfect pair")
        q = (1.0 - f) / 3.0
        return cls(p_i=f, p_x=q, p_y=q, p_z=q)

    @classmethod
    def perfect(cls) -> BellPair:
        """The perfect pair |Phi+>.

        Examples:
            >>> BellPair.perfect().fidelity
            1.0
        """
        return cls(p_i=1.0, p_x=0.0, p_y=0.0, p_z=0.0)

    @classmethod
    def maximally_mixed(cls) -> BellPair:
        """The maximally mixed two-qubit state I/4.

        Examples:
            >>> BellPair.maximally_mixed().fidelity
            0.25
        """
        return cls(p_i=0.25, p_x=0.25, p_y=0.25, p_z=0.25)

    @classmethod
    def from_probabilities(cls, probabilities: Sequence[float]) -> BellPair:
        """Build from a (p_i, p_x, p_y, p_z) sequence.

        Examples:
            >>> BellPair.from_probabilities((0.7, 0.1, 0.1, 0.1)).fidelity
            0.7
        """
        if len(probabilities) != 4:
            raise PhysicsParameterError(
                f"probabilities={tuple(probabilities)!r} has {len(probabilities)} entries; give "
                "exactly 4 (p_i, p_x, p_y, p_z)")
        p_i, p_x, p_y, p_z = (float(x) for x in probabilities)
        return cls(p_i=p_i, p_x=p_x, p_y=p_y, p_z=p_z)

    @classmethod
    def from_density_matrix(cls, rho: np.ndarray, *, atol: float = 1e-9) -> BellPair:
        """Pauli-twirl a 4x4 density matrix (qubit A first) into a Bell-diagonal pair.

        The twirl keeps the Bell-basis diagonal, so the fidelity to |Phi+> is unchanged.

        Args:
            rho: 4x4 Hermitian, trace-one matrix, qubit A is the most significant bit.
            atol: Tolerance for the Hermiticity and trace checks.

        Raises:
            PhysicsParameterError: If rho is not a 4x4 Hermitian matrix of trace 1.

        Examples:
            >>> rho = BellPair.werner(0.8).density_matrix()
            >>> round(BellPair.from_density_matrix(rho).fidelity, 12)
            0.8
        """
        rho = np.asarray(rho, dtype=complex)
        if rho.shape != (4, 4):
            raise PhysicsParameterError(
                f"rho has shape {rho.shape}; give a 4x4 two-qubit density matrix")
        if not np.allclose(rho, rho.conj().T, atol=atol) or abs(np.trace(rho) - 1) > atol:
            raise PhysicsParameterError(
                "rho is not Hermitian with trace 1; give a valid two-qubit density matrix")
        probs = [float(np.real(b.conj() @ rho @ b)) for b in _BELL_STATES]
        return cls.from_probabilities(probs)

    # ---------------------------------------------------------------- properties
    @property
    def fidelity(self) -> float:
        """Fidelity to |Phi+>, equal to p_i.

        Examples:
            >>> BellPair.werner(0.9).fidelity
            0.9
        """
        return self.p_i

    @property
    def probabilities(self) -> tuple[float, float, float, float]:
        """(p_i, p_x, p_y, p_z) as a tuple.

        Examples:
            >>> BellPair.perfect().probabilities
            (1.0, 0.0, 0.0, 0.0)
        """
        return (self.p_i, self.p_x, self.p_y, self.p_z)

    @property
    def werner_parameter(self) -> float:
        """w = (4 F - 1) / 3 (w = 1 perfect, w = 0 maximally mixed).

        Examples:
            >>> round(BellPair.werner(0.7).werner_parameter, 12)
            0.6
        """
        return (4.0 * self.p_i - 1.0) / 3.0

    @property
    def is_entangled(self) -> bool:
        """True iff the largest Bell-diagonal weight exceeds 1/2 (exact for BDS).

        Examples:
            >>> BellPair.werner(0.51).is_entangled
            True
        """
        return max(self.probabilities) > 0.5

    @property
    def is_werner(self) -> bool:
        """True iff p_x = p_y = p_z within 1e-12.

        Examples:
            >>> BellPair.werner(0.8).is_werner
            True
        """
        return max(self.p_x, self.p_y, self.p_z) - min(self.p_x, self.p_y, self.p_z) <= 1e-12

    # ------------------------------------------------------------------- methods
    def pauli_channel(self) -> tuple[tuple[str, float], ...]:
        """Labelled Pauli probabilities (("I", p_i), ("X", p_x), ("Y", p_y), ("Z", p_z)).

        This is also the single-qubit channel suffered by a qubit teleported with this pair.

        Examples:
            >>> BellPair.perfect().pauli_channel()
            (('I', 1.0), ('X', 0.0), ('Y', 0.0), ('Z', 0.0))
        """
        return tuple(zip(PAULI_LABELS, self.probabilities))

    def density_matrix(self) -> np.ndarray:
        """4x4 density matrix, qubit A first (big-endian: index = 2 a + b).

        Examples:
            >>> BellPair.perfect().density_matrix().real.round(2)[0]
            array([0.5, 0. , 0. , 0.5])
        """
        rho = np.zeros((4, 4), dtype=complex)
        for p, b in zip(self.probabilities, _BELL_STATES):
            rho += p * np.outer(b, b.conj())
        return rho

    def twirled(self) -> BellPair:
        """Depolarising twirl to the Werner pair with the same fidelity.

        Examples:
            >>> round(BellPair(p_i=0.7, p_x=0.3, p_y=0, p_z=0).twirled().p_y, 12)
            0.1
        """
        q = (1.0 - self.p_i) / 3.0
        return BellPair(p_i=self.p_i, p_x=q, p_y=q, p_z=q)

    def with_pauli_noise(self, probabilities: Sequence[float]) -> BellPair:
        """Apply a single-qubit Pauli channel (I, X, Y, Z) to either qubit.

        Examples:
            >>> BellPair.perfect().with_pauli_noise((0.9, 0.0, 0.0, 0.1)).p_z
            0.1
        """
        return BellPair.from_probabilities(convolve_pauli(self.probabilities, probabilities))

    def to_json_dict(self) -> dict[str, Any]:
        """Plain-data form.

        Examples:
            >>> BellPair.perfect().to_json_dict()
            {'type': 'BellPair', 'p_i': 1.0, 'p_x': 0.0, 'p_y': 0.0, 'p_z': 0.0}
        """
        return {"type": "BellPair", "p_i": self.p_i, "p_x": self.p_x, "p_y": self.p_y,
                "p_z": self.p_z}

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> BellPair:
        """Inverse of :meth:`to_json_dict`.

        Raises:
            PhysicsParameterError: If keys are missing or unknown.

        Examples:
            >>> p = BellPair.werner(0.9)
            >>> BellPair.from_json_dict(p.to_json_dict()) == p
            True
        """
        expected = {"type", "p_i", "p_x", "p_y", "p_z"}
        if set(data) != expected or data["type"] != "BellPair":
            raise PhysicsParameterError(
                f"BellPair JSON has keys {sorted(data)}; expected {sorted(expected)} with "
                "type='BellPair'")
        return cls(p_i=data["p_i"], p_x=data["p_x"], p_y=data["p_y"], p_z=data["p_z"])
