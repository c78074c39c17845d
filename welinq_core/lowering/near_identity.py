r"""Dropping two-qubit interactions that are the identity to within a stated tolerance.

Large quantum Fourier transforms carry controlled phases of angle ``pi / 2**k`` for
``k`` up to the number of qubits: in a 63-qubit QFT, a few hundred of them turn by
less than ``1e-12`` rad. Each still joins two qubits, so a partitioner that keeps
them pays Bell pairs for gates no hardware could tell from doing nothing. Dropping
them is an approximation, and it is made here only, explicitly: a two-qubit gate (or a
``cx``-diagonal-``cx`` block, the spelling of a controlled phase in most published
QASM) is dropped when what it is replaced by (nothing, or its one-qubit part, below) is
within ``tolerance`` of it up to a global phase, in the operator norm,

.. math:: d(U) = \min_\varphi \lVert U - e^{i\varphi} I \rVert = 2 \sin(w / 4),

where ``w`` is the shortest arc of the unit circle holding the eigenvalues of ``U``
(here: the dropped part). A
gate diagonal on both qubits (``cp``, ``crz``, ``rzz``...) keeps its one-qubit part,
which costs no Bell pair, and only its interaction is dropped: ``cp(theta)`` becomes
``p(theta / 2)`` on each qubit, at distance ``2 sin(|theta| / 8)`` (about ``|theta| / 4``),
the same as its ``cx``-``p(-theta / 2)``-``cx`` spelling without the ``cx`` pair. The
dropped circuit's unitary differs from the original's by at most the sum of the dropped
distances (the operator norm is unitarily invariant and sub-additive over a product),
which :class:`NearIdentityDrop` reports.

The default :data:`NEAR_IDENTITY_TOLERANCE` (``1e-12``) is nine orders of magnitude
below the control precision of any hardware; ``tolerance=0`` drops only exact
identities. One-qubit gates are never dropped (they cost no Bell pair).

Other tools differ: Qiskit's transpiler at its default optimisation level (2, since
Qiskit 1.3) resynthesises every ``cx``-``p``-``cx`` block whose angle is at most
``pi / 2**15`` (about ``1e-4`` rad) without a two-qubit gate, which turns a 63-qubit QFT
into one whose controlled phases join qubits at most 14 apart.

Examples:
    >>> import math
    >>> from welinq_core.circuit import Circuit, Operation
    >>> tiny = math.pi / 2**45  # a controlled phase of a 46-qubit QFT
    >>> c = Circuit(num_qubits=3, operations=[
    ...     Operation(name="cp", qubits=(0, 1), params=(math.pi / 2,)),
    ...     Operation(name="cx", qubits=(2, 0)), Operation(name="p", qubits=(0,), params=(-tiny,)),
    ...     Operation(name="cx", qubits=(2, 0)), Operation(name="cp", qubits=(1, 2), params=(tiny,))])
    >>> r = drop_near_identity(c)
    >>> r.dropped, [op.name for op in r.circuit.operations], r.max_distance < 1e-13
    (2, ['cp', 'p', 'p'], True)
    >>> drop_near_identity(c, tolerance=0.0).dropped
    0
"""

from __future__ import annotations

import cmath
import dataclasses
import math

import numpy as np

from welinq_core import gates
from welinq_core.circuit import Circuit, Operation
from welinq_core.errors import OptionsError
from welinq_core.lowering.canonical import _wires, cx_phase_block

__all__ = ["NEAR_IDENTITY_TOLERANCE", "NearIdentityDrop", "drop_near_identity", "distance_from_identity"]

#: Default tolerance (operator norm, up to a global phase) below which a two-qubit gate is dropped.
NEAR_IDENTITY_TOLERANCE = 1e-12


@dataclasses.dataclass(frozen=True, kw_only=True)
class NearIdentityDrop:
    """The circuit without its near-identity two-qubit gates, and what was dropped.

    Attributes:
        circuit: The circuit with the dropped gates removed (the original when none was).
        dropped: Two-qubit gates dropped (a ``cx``-diagonal-``cx`` block counts once).
        tolerance: The tolerance used.
        max_distance: Largest distance from the identity among the dropped gates (0.0 if none).
        total_distance: Sum of those distances: a bound on the operator-norm distance
            between the two circuits' unitaries, up to a global phase.
    """

    circuit: Circuit
    dropped: int
    tolerance: float
    max_distance: float
    total_distance: float

    def __post_init__(self) -> None:
        if self.dropped < 0 or not 0.0 <= self.max_distance <= self.total_distance + 1e-300:
            raise ValueError(f"inconsistent NearIdentityDrop: {self!r}")


def distance_from_identity(u: np.ndarray) -> float:
    """``min_phi ||u - exp(i phi) I||`` (operator norm) of a unitary matrix.

    Examples:
        >>> round(distance_from_identity(gates.gate_matrix("cp", (0.1,))), 12) == round(2 * math.sin(0.025), 12)
        True
        >>> distance_from_identity(1j * np.eye(4))
        0.0
    """
    angles = np.sort(np.angle(np.linalg.eigvals(np.asarray(u, dtype=complex))))
    gaps = np.diff(np.concatenate([angles, angles[:1] + 2 * math.pi]))
    arc = 2 * math.pi - float(gaps.max())
    return 2.0 * math.sin(max(arc, 0.0) / 4.0)


def check_tolerance(tolerance: float) -> float:
    """The tolerance as a float; :class:`OptionsError` unless it is a finite number >= 0."""
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not math.isfinite(tolerance) \
            or tolerance < 0:
        raise OptionsError(
            f"near-identity tolerance {tolerance!r} must be a finite number >= 0 "
            f"(0 keeps every gate that is not exactly the identity; default {NEAR_IDENTITY_TOLERANCE})"
        )
    return float(tolerance)


def _interaction_phase(diag: np.ndarray) -> float:
    """``chi = f_00 - f_01 - f_10 + f_11`` (mod 2 pi) of a diagonal gate with phases ``f_ab``."""
    f00, f01, f10, f11 = (cmath.phase(complex(x)) for x in diag)
    return math.remainder(f00 - f01 - f10 + f11, 2 * math.pi)


def _diagonal_distance(diag: np.ndarray) -> float:
    """A diagonal two-qubit gate's distance from its one-qubit part (see :func:`_diagonal_local_part`)."""
    return 2.0 * math.sin(abs(_interaction_phase(diag)) / 8.0)


def _diagonal_local_part(diag: np.ndarray, qubits: tuple[int, ...]) -> list[Operation]:
    """A diagonal two-qubit gate's one-qubit part, which stays when its interaction is dropped.

    With phases ``f_ab`` of ``|a b>`` and ``chi = f_00 - f_01 - f_10 + f_11``, the gate is
    ``p(f_10 - f_00 + chi / 2)`` on ``a`` times ``p(f_01 - f_00 + chi / 2)`` on ``b`` times
    ``diag(1, s, s, 1)`` (``s = exp(-i chi / 2)``) up to a global phase; dropping the last
    factor costs ``2 sin(|chi| / 8)``. A ``cp(theta)`` is thus at ``2 sin(|theta| / 8)`` from
    ``p(theta / 2)`` on both qubits, exactly as far as its ``cx``-``p(-theta / 2)``-``cx``
    spelling is from that spelling's outer phases.
    """
    f00, f01, f10, _ = (cmath.phase(complex(x)) for x in diag)
    chi = _interaction_phase(diag)
    a, b = qubits
    local = []
    for q, angle in ((a, f10 - f00 + chi / 2), (b, f01 - f00 + chi / 2)):
        angle = math.remainder(angle, 2 * math.pi)
        if angle != 0.0:
            local.append(Operation(name="p", qubits=(q,), params=(angle,)))
    return local


def _droppable_gate(op: Operation) -> bool:
    return op.is_gate and op.name != "pauli_channel" and len(op.qubits) >= 2 and op.condition is None


def drop_near_identity(circuit: Circuit, *, tolerance: float = NEAR_IDENTITY_TOLERANCE) -> NearIdentityDrop:
    """Drop two-qubit gates and ``cx``-diagonal-``cx`` blocks within ``tolerance`` of the identity.

    Args:
        circuit: The circuit.
        tolerance: Largest operator-norm distance from the identity (up to a global
            phase) of a dropped gate; 0 drops only exact identities.

    Returns:
        A :class:`NearIdentityDrop` with the new circuit and the evidence.

    Raises:
        OptionsError: If ``tolerance`` is negative or not a finite number.
    """
    tol = check_tolerance(tolerance)
    out: list[Operation | None] = []
    distances: list[float] = []
    for op in circuit.operations:
        if _droppable_gate(op) and op.name != "cx":
            m = gates.gate_matrix(op.name, op.params)
            diag = np.diagonal(m)
            off = float(np.abs(m - np.diag(diag)).max())
            if len(op.qubits) == 2 and off == 0.0:
                d = _diagonal_distance(diag)
                if d <= tol:
                    distances.append(d)
                    out += _diagonal_local_part(diag, op.qubits)
                    continue
            # |U_ij| <= ||U - e^{i phi} I|| for i != j: a large off-diagonal entry is far enough
            elif off <= tol and (d := distance_from_identity(m)) <= tol:
                distances.append(d)
                continue
        out.append(op)
    cur: list[Operation | None] = list(out)
    if any(op is not None and op.name == "cx" for op in cur):
        wires, pos = _wires(cur, circuit.num_qubits)
        for i in range(len(cur)):
            block = cx_phase_block(cur, wires, pos, i)
            if block is None:
                continue
            run, j, theta = block
            d = 2.0 * math.sin(abs(theta) / 4.0)
            if d <= tol:
                distances.append(d)
                for m in (i, j, *run):
                    cur[m] = None
    if not distances:
        return NearIdentityDrop(circuit=circuit, dropped=0, tolerance=tol, max_distance=0.0, total_distance=0.0)
    return NearIdentityDrop(
        circuit=circuit.with_operations(op for op in cur if op is not None),
        dropped=len(distances),
        tolerance=tol,
        max_distance=max(distances),
        total_distance=float(sum(distances)),
    )
