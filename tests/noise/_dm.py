"""A tiny exact density-matrix simulator for the IR with classical bits (tests only).

The reference simulator (``welinq_core.reference``) keeps pure branches; with many
Pauli channels on non-Clifford states they stop merging. Here each classical
record keeps one (unnormalised) density matrix, channels are linear, and scratch
bits are forgotten once dead, so noisy explicit protocols stay small.
"""

from __future__ import annotations

import numpy as np

from welinq_core import gates
from welinq_core.circuit import Circuit
from welinq_core.reference import dead_scratch_bits

_P = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]]),
    "Z": np.diag([1.0 + 0j, -1.0]),
}


def _apply(rho: np.ndarray, u: np.ndarray, qubits: tuple[int, ...], n: int) -> np.ndarray:
    """U rho U^dag with rho as a (2,)*2n tensor."""
    k = len(qubits)
    t = u.reshape((2,) * (2 * k))
    out = np.tensordot(t, rho, axes=(list(range(k, 2 * k)), list(qubits)))
    out = np.moveaxis(out, list(range(k)), list(qubits))
    cols = [n + q for q in qubits]
    out = np.tensordot(out, t.conj(), axes=(cols, list(range(k, 2 * k))))
    return np.moveaxis(out, list(range(2 * n - k, 2 * n)), cols)


def simulate_dm(circuit: Circuit, *, keep_clbits: int = 0, initial: np.ndarray | None = None) -> dict[tuple[int, ...], np.ndarray]:
    """``{kept bits: unnormalised density matrix (2^n x 2^n)}`` after the circuit."""
    n = circuit.num_qubits
    d = 2**n
    if initial is None:
        psi = np.zeros(d, dtype=complex)
        psi[0] = 1
        initial = np.outer(psi, psi.conj())
    state = {(0,) * circuit.num_clbits: np.asarray(initial, dtype=complex).reshape((2,) * (2 * n))}
    dead = dead_scratch_bits(circuit, keep_clbits)
    for i, op in enumerate(circuit.operations):
        new: dict[tuple[int, ...], np.ndarray] = {}

        def add(bits: tuple[int, ...], rho: np.ndarray) -> None:
            if bits in new:
                new[bits] = new[bits] + rho
            else:
                new[bits] = rho

        for bits, rho in state.items():
            if op.condition is not None and not op.condition.is_satisfied_by(bits):
                add(bits, rho)
                continue
            if op.name == "barrier":
                add(bits, rho)
            elif op.name in ("measure", "reset"):
                outs = [(bits, rho)]
                for j, q in enumerate(op.qubits):
                    nxt = []
                    for b, r in outs:
                        for v in (0, 1):
                            proj = np.diag([1.0 - v, float(v)]).astype(complex)
                            rr = _apply(r, proj, (q,), n)
                            if op.name == "reset" and v == 1:
                                rr = _apply(rr, _P["X"], (q,), n)
                            bb = list(b)
                            if op.name == "measure":
                                bb[op.clbits[j]] = v
                            nxt.append((tuple(bb), rr))
                    outs = nxt
                for b, r in outs:
                    add(b, r)
            elif op.name == "pauli_channel":
                acc = None
                for label, p in op.pauli_terms:
                    if p <= 0:
                        continue
                    u = _P[label[0]]
                    for ch in label[1:]:
                        u = np.kron(u, _P[ch])
                    term = p * _apply(rho, u, op.qubits, n)
                    acc = term if acc is None else acc + term
                add(bits, acc)
            else:
                add(bits, _apply(rho, gates.gate_matrix(op.name, op.params), op.qubits, n))
        forget = dead.get(i, [])
        if forget:
            merged: dict[tuple[int, ...], np.ndarray] = {}
            for b, r in new.items():
                bb = tuple(0 if j in forget else x for j, x in enumerate(b))
                merged[bb] = merged[bb] + r if bb in merged else r
            new = merged
        state = new
    out: dict[tuple[int, ...], np.ndarray] = {}
    for b, r in state.items():
        key = b[:keep_clbits]
        m = r.reshape(d, d)
        out[key] = out[key] + m if key in out else m
    return out


def reduced(rho: np.ndarray, qubits: list[int], n: int) -> np.ndarray:
    """Partial trace keeping ``qubits`` (big-endian in that order)."""
    t = rho.reshape((2,) * (2 * n))
    rest = [q for q in range(n) if q not in qubits]
    perm = qubits + rest + [n + q for q in qubits] + [n + q for q in rest]
    t = np.transpose(t, perm)
    k = len(qubits)
    t = t.reshape(2**k, 2 ** (n - k), 2**k, 2 ** (n - k))
    return np.einsum("ajbj->ab", t)


def data_dm(circuit: Circuit, num_data: int, initial: np.ndarray | None = None) -> np.ndarray:
    """Density matrix of qubits 0..num_data-1, classical bits traced out."""
    res = simulate_dm(circuit, keep_clbits=0, initial=initial)
    rho = sum(res.values())
    return reduced(rho, list(range(num_data)), circuit.num_qubits)


def clbit_distribution(circuit: Circuit, keep: int) -> dict[tuple[int, ...], float]:
    """Exact distribution of the first ``keep`` classical bits."""
    res = simulate_dm(circuit, keep_clbits=keep)
    return {b: float(np.trace(r).real) for b, r in res.items()}
