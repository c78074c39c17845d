"""Exact numpy density-matrix helpers shared by the physics tests (independent of the BDS code)."""

from __future__ import annotations

import functools

import numpy as np

I2 = np.eye(2, dtype=complex)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
Z = np.diag([1.0, -1.0]).astype(complex)
H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
PAULIS = (I2, X, Y, Z)
KET0 = np.array([1, 0], dtype=complex)
KET1 = np.array([0, 1], dtype=complex)


def kron(*ops: np.ndarray) -> np.ndarray:
    return functools.reduce(np.kron, ops)


def bell_states() -> list[np.ndarray]:
    s = 1 / np.sqrt(2)
    return [np.array(v, dtype=complex) * s for v in
            ([1, 0, 0, 1], [0, 1, 1, 0], [0, 1, -1, 0], [1, 0, 0, -1])]


def bds_matrix(probs) -> np.ndarray:
    """Bell-diagonal density matrix built from explicit Bell vectors (qubit A first)."""
    return sum(p * np.outer(b, b.conj()) for p, b in zip(probs, bell_states()))


def bell_overlaps(rho: np.ndarray) -> np.ndarray:
    return np.array([np.real(b.conj() @ rho @ b) for b in bell_states()])


def op_on(op: np.ndarray, qubit: int, n: int) -> np.ndarray:
    mats = [I2] * n
    mats[qubit] = op
    return kron(*mats)


def cnot(control: int, target: int, n: int) -> np.ndarray:
    p0 = np.diag([1, 0]).astype(complex)
    p1 = np.diag([0, 1]).astype(complex)
    a = [I2] * n
    b = [I2] * n
    a[control] = p0
    b[control] = p1
    b[target] = X
    return kron(*a) + kron(*b)


def projector(qubit: int, bit: int, n: int) -> np.ndarray:
    k = KET0 if bit == 0 else KET1
    return op_on(np.outer(k, k.conj()), qubit, n)


def partial_trace(rho: np.ndarray, keep: list[int], n: int) -> np.ndarray:
    """Trace out every qubit not in keep (keep order preserved as given, sorted)."""
    t = rho.reshape([2] * (2 * n))
    trace_out = [q for q in range(n) if q not in keep]
    # trace highest index first so axis numbers stay valid
    cur_n = n
    for q in sorted(trace_out, reverse=True):
        t = np.trace(t, axis1=q, axis2=q + cur_n)
        cur_n -= 1
    d = 2 ** len(keep)
    return t.reshape(d, d)


def pauli_channel_1q(rho: np.ndarray, probs, qubit: int, n: int) -> np.ndarray:
    return sum(p * op_on(P, qubit, n) @ rho @ op_on(P, qubit, n).conj().T
               for p, P in zip(probs, PAULIS))


def depolarize_1q(rho, e, qubit, n):
    """rho -> e rho + (1 - e) Tr_q(rho) (x) I/2 implemented via the Pauli twirl identity."""
    twirl = sum(op_on(P, qubit, n) @ rho @ op_on(P, qubit, n).conj().T for P in PAULIS) / 4
    return e * rho + (1 - e) * twirl


def amplitude_damp_dephase(rho, t, t1, t2, qubit, n):
    """Exact Kraus T1/T2 channel (amplitude damping then pure dephasing)."""
    g = 1 - np.exp(-t / t1)
    k0 = np.array([[1, 0], [0, np.sqrt(1 - g)]], dtype=complex)
    k1 = np.array([[0, np.sqrt(g)], [0, 0]], dtype=complex)
    rho = sum(op_on(k, qubit, n) @ rho @ op_on(k, qubit, n).conj().T for k in (k0, k1))
    # remaining pure dephasing: coherence factor e^{-t/T2} / e^{-t/(2T1)}
    lam = np.exp(-t / t2) / np.exp(-t / (2 * t1))
    pz = (1 - lam) / 2
    return (1 - pz) * rho + pz * op_on(Z, qubit, n) @ rho @ op_on(Z, qubit, n)
