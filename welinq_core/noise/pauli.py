"""Pauli algebra on labelled qubits, and moving Paulis through Clifford operations.

A Pauli on some qubits is a ``{qubit: "X" | "Y" | "Z"}`` mapping (identity left out).
The noise stage uses these to move a noise event's Paulis through the circuit
(Gottesman-Knill: a Clifford gate maps a Pauli to a Pauli) and to compute what a
flipped control does to a gate (``X_c G X_c = G E``).

Examples:
    >>> pauli_product({0: "X"}, {0: "Z", 1: "X"})
    {0: 'Y', 1: 'X'}
    >>> flip_pauli("cx", (), 0), flip_pauli("cz", (), 0), flip_pauli("cp", (0.3,), 0) is None
    ('IX', 'IZ', True)
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from welinq_core import gates
from welinq_core.circuit import Operation

__all__ = ["PAULIS", "PAULI_BITS", "pauli_product", "propagate", "flip_pauli", "conjugate_pauli"]

PAULIS = "IXYZ"
#: ``(x, z)`` bits of each one-qubit Pauli.
PAULI_BITS = {"I": (0, 0), "X": (1, 0), "Y": (1, 1), "Z": (0, 1)}
_FROM_BITS = {v: k for k, v in PAULI_BITS.items()}


@functools.lru_cache(maxsize=4096)
def conjugate_pauli(name: str, params: tuple[float, ...], label: str, forward: bool) -> str | None:
    """``U P U^dag`` (forward) or ``U^dag P U`` (backward) as a Pauli label, or None."""
    u = gates.gate_matrix(name, params)
    p = gates.pauli_matrix(label)
    m = u @ p @ u.conj().T if forward else u.conj().T @ p @ u
    d = m.shape[0]
    for cand in itertools.product(PAULIS, repeat=len(label)):
        q = gates.pauli_matrix("".join(cand))
        if _proportional(m, q, d):
            return "".join(cand)
    return None


def _proportional(m: np.ndarray, q: np.ndarray, d: int) -> bool:
    """Whether ``m`` is a phase times the Pauli ``q`` (entrywise to 1e-12: a trace test is
    only quadratic in small deviations, and took ``cp(5e-6)`` for a Clifford gate)."""
    c = np.trace(q.conj().T @ m) / d
    return abs(abs(c) - 1) < 1e-9 and float(np.abs(m - c * q).max()) < 1e-12


def pauli_product(a: dict[int, str], b: Mapping[int, str]) -> dict[int, str]:
    out = dict(a)
    for q, ch in b.items():
        x1, z1 = PAULI_BITS[out.get(q, "I")]
        x2, z2 = PAULI_BITS[ch]
        r = _FROM_BITS[(x1 ^ x2, z1 ^ z2)]
        if r == "I":
            out.pop(q, None)
        else:
            out[q] = r
    return out


def propagate(ops: Sequence[Operation], pauli: Mapping[int, str], start: int, stop: int) -> dict[int, str] | None:
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
        if op.name in ("measure", "reset", "kraus"):  # a general channel does not commute with Paulis
            return None
        if op.condition is not None and op.name not in ("x", "y", "z", "id"):
            return None
        label = "".join(cur.get(q, "I") for q in op.qubits)
        new = conjugate_pauli(op.name, op.params, label, forward)
        if new is None:
            return None
        for q, ch in zip(op.qubits, new):
            if ch == "I":
                cur.pop(q, None)
            else:
                cur[q] = ch
    return cur


@functools.lru_cache(maxsize=1024)
def flip_pauli(name: str, params: tuple[float, ...], control_pos: int) -> str | None:
    """``E = G^dag X_c G X_c`` as a Pauli label on the gate's qubits, or None."""
    u = gates.gate_matrix(name, params)
    nq = u.shape[0].bit_length() - 1  # 1 for a window packet's one-qubit gate on its copy
    xs = [gates.PAULI_MATRICES["I"]] * nq
    xs[control_pos] = gates.PAULI_MATRICES["X"]
    xc = xs[0] if nq == 1 else np.kron(xs[0], xs[1])
    m = u.conj().T @ xc @ u @ xc
    for cand in itertools.product(PAULIS, repeat=nq):
        q = gates.pauli_matrix("".join(cand))
        if _proportional(m, q, 2 ** nq):
            return "".join(cand)
    return None

