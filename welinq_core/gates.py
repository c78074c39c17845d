"""The gate library shared by every stage: names, arities, matrices and structure.

A gate is named by a lower-case string with Qiskit's semantics (``cp``, ``crz``,
``u``, ``rzz``...). Matrices are big-endian over the operation's qubits: the
first qubit is the left (most significant) Kronecker factor, as in Cirq.

Two structural facts drive distribution:

* a two-qubit gate is *diagonal on* one of its qubits ``a`` when it has the form
  ``|0><0|_a (x) U0 + |1><1|_a (x) U1``; such a gate can be executed from a remote
  copy of ``a`` made by a cat-entangler (Eisert et al., PRA 62, 052317 (2000));
* one-qubit gates that are diagonal (``rz``, ``p``, ``t``...) commute with that copy.

Examples:
    >>> spec("cx").num_qubits, spec("cx").diagonal_on
    (2, (0,))
    >>> spec("cz").diagonal_on
    (0, 1)
    >>> import numpy as np
    >>> np.allclose(gate_matrix("h", ()) @ gate_matrix("h", ()), np.eye(2))
    True
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from welinq_core.errors import UnsupportedGateError

__all__ = [
    "GateSpec", "spec", "gate_matrix", "supported_gates", "is_supported", "DIRECTIVES",
    "PAULI_MATRICES", "pauli_matrix",
]

#: Operation names that are not gates but are understood by every stage.
DIRECTIVES = ("measure", "reset", "barrier", "pauli_channel", "kraus")

_SQ2 = 1 / math.sqrt(2)


@dataclasses.dataclass(frozen=True, kw_only=True)
class GateSpec:
    """Static facts about one gate.

    Attributes:
        name: Lower-case gate name.
        num_qubits: Number of qubits it acts on (1 or 2).
        num_params: Number of real angle parameters.
        diagonal_on: Positions (0 or 1) of qubits on which the gate is diagonal
            (controlled form); empty for gates that mix both qubits.
        is_diagonal: Whether the whole matrix is diagonal.
        is_clifford: Whether the gate is Clifford for every parameter value.
    """

    name: str
    num_qubits: int
    num_params: int
    matrix: Callable[..., np.ndarray] = dataclasses.field(repr=False, compare=False)
    diagonal_on: tuple[int, ...] = ()
    is_diagonal: bool = False
    is_clifford: bool = False


def _rx(t: float) -> np.ndarray:
    c, s = math.cos(t / 2), math.sin(t / 2)
    return np.array([[c, -1j * s], [-1j * s, c]])


def _ry(t: float) -> np.ndarray:
    c, s = math.cos(t / 2), math.sin(t / 2)
    return np.array([[c, -s], [s, c]], dtype=complex)


def _rz(t: float) -> np.ndarray:
    return np.diag([np.exp(-0.5j * t), np.exp(0.5j * t)])


def _p(t: float) -> np.ndarray:
    return np.diag([1, np.exp(1j * t)])


def _u(theta: float, phi: float, lam: float) -> np.ndarray:
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    return np.array(
        [[c, -np.exp(1j * lam) * s], [np.exp(1j * phi) * s, np.exp(1j * (phi + lam)) * c]]
    )


def _controlled(u: np.ndarray) -> np.ndarray:
    m = np.eye(4, dtype=complex)
    m[2:, 2:] = u
    return m


_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]])
_Z = np.diag([1.0 + 0j, -1.0])
_H = np.array([[_SQ2, _SQ2], [_SQ2, -_SQ2]], dtype=complex)
_S = np.diag([1, 1j])
_T = np.diag([1, np.exp(0.25j * math.pi)])
_SX = 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]])


def _const(m: np.ndarray) -> Callable[[], np.ndarray]:
    return lambda: m


_SPECS: dict[str, GateSpec] = {}


def _add(name: str, nq: int, npar: int, fn: Callable[..., np.ndarray], **kw: object) -> None:
    _SPECS[name] = GateSpec(name=name, num_qubits=nq, num_params=npar, matrix=fn, **kw)  # type: ignore[arg-type]


_add("id", 1, 0, _const(np.eye(2, dtype=complex)), is_diagonal=True, is_clifford=True)
_add("x", 1, 0, _const(_X), is_clifford=True)
_add("y", 1, 0, _const(_Y), is_clifford=True)
_add("z", 1, 0, _const(_Z), is_diagonal=True, is_clifford=True)
_add("h", 1, 0, _const(_H), is_clifford=True)
_add("s", 1, 0, _const(_S), is_diagonal=True, is_clifford=True)
_add("sdg", 1, 0, _const(_S.conj().T), is_diagonal=True, is_clifford=True)
_add("t", 1, 0, _const(_T), is_diagonal=True)
_add("tdg", 1, 0, _const(_T.conj().T), is_diagonal=True)
_add("sx", 1, 0, _const(_SX), is_clifford=True)
_add("sxdg", 1, 0, _const(_SX.conj().T), is_clifford=True)
_add("rx", 1, 1, _rx)
_add("ry", 1, 1, _ry)
_add("rz", 1, 1, _rz, is_diagonal=True)
_add("p", 1, 1, _p, is_diagonal=True)
_add("u", 1, 3, _u)
_add("cx", 2, 0, _const(_controlled(_X)), diagonal_on=(0,), is_clifford=True)
_add("cy", 2, 0, _const(_controlled(_Y)), diagonal_on=(0,), is_clifford=True)
_add("cz", 2, 0, _const(_controlled(_Z)), diagonal_on=(0, 1), is_diagonal=True, is_clifford=True)
_add("ch", 2, 0, _const(_controlled(_H)), diagonal_on=(0,))
_add("cs", 2, 0, _const(_controlled(_S)), diagonal_on=(0, 1), is_diagonal=True)
_add("csdg", 2, 0, _const(_controlled(_S.conj().T)), diagonal_on=(0, 1), is_diagonal=True)
_add("csx", 2, 0, _const(_controlled(_SX)), diagonal_on=(0,))
_add("cp", 2, 1, lambda t: _controlled(_p(t)), diagonal_on=(0, 1), is_diagonal=True)
_add("crx", 2, 1, lambda t: _controlled(_rx(t)), diagonal_on=(0,))
_add("cry", 2, 1, lambda t: _controlled(_ry(t)), diagonal_on=(0,))
_add("crz", 2, 1, lambda t: _controlled(_rz(t)), diagonal_on=(0, 1), is_diagonal=True)
_add(
    "rzz",
    2,
    1,
    lambda t: np.diag(np.exp(-0.5j * t * np.array([1, -1, -1, 1]))),
    diagonal_on=(0, 1),
    is_diagonal=True,
)
_add("swap", 2, 0, _const(np.eye(4, dtype=complex)[[0, 2, 1, 3]]), is_clifford=True)


def supported_gates() -> tuple[str, ...]:
    """Names of every gate the core understands, sorted.

    Examples:
        >>> "cx" in supported_gates() and "ccx" not in supported_gates()
        True
    """
    return tuple(sorted(_SPECS))


def is_supported(name: str) -> bool:
    """Whether ``name`` is a gate of the library."""
    return name in _SPECS


def spec(name: str) -> GateSpec:
    """The :class:`GateSpec` of gate ``name``.

    Raises:
        UnsupportedGateError: If the gate is unknown; the message lists the supported gates.
    """
    try:
        return _SPECS[name]
    except KeyError:
        raise UnsupportedGateError(
            f"gate {name!r} is not supported; decompose it into {', '.join(supported_gates())} "
            "(for example with qiskit.transpile(circuit, backend) or cirq.decompose)"
        ) from None


def gate_matrix(name: str, params: tuple[float, ...] | list[float]) -> np.ndarray:
    """The unitary matrix of a gate (big-endian over its qubits).

    Examples:
        >>> gate_matrix("rz", (0.0,)).shape
        (2, 2)
    """
    s = spec(name)
    if len(params) != s.num_params:
        raise UnsupportedGateError(
            f"gate {name!r} takes {s.num_params} parameter(s), got {len(params)}: {tuple(params)!r}"
        )
    return np.asarray(s.matrix(*params), dtype=complex)


_SHARED: dict[tuple[str, tuple[float, ...]], np.ndarray] = {}
_SHARED_SIZE = 1 << 16


def shared_gate_matrix(name: str, params: tuple[float, ...]) -> np.ndarray:
    """:func:`gate_matrix` as a read-only array shared by every caller (computed once per gate).

    For loops that read the matrices of the same few gates over and over (the canonical
    rewrites of a circuit with hundreds of thousands of operations); never write to it.

    Examples:
        >>> m = shared_gate_matrix("h", ())
        >>> m is shared_gate_matrix("h", ()), m.flags.writeable, bool((m == gate_matrix("h", ())).all())
        (True, False, True)
    """
    key = (name, tuple(params))
    m = _SHARED.get(key)
    if m is None:
        m = gate_matrix(name, params).copy()
        m.setflags(write=False)
        if len(_SHARED) >= _SHARED_SIZE:
            _SHARED.clear()
        _SHARED[key] = m
    return m


#: Single-qubit Pauli matrices by label.
PAULI_MATRICES = {"I": np.eye(2, dtype=complex), "X": _X, "Y": _Y, "Z": _Z}


def pauli_matrix(label: str) -> np.ndarray:
    """The matrix of a Pauli string, big-endian (character 0 is the left Kronecker factor).

    Examples:
        >>> pauli_matrix("XZ").real.astype(int).tolist()[1]
        [0, 0, 0, -1]
    """
    m = PAULI_MATRICES[label[0]]
    for ch in label[1:]:
        m = np.kron(m, PAULI_MATRICES[ch])
    return m
