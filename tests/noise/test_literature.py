"""Literature checks (docs/physics.md 2.7, 6.9): remote CNOT/CZ with Werner pairs.

The Choi matrix of the EXPLICIT protocol is computed by exact simulation: two
reference qubits are maximally entangled with the two data qubits inside the IR
(on the data qubits' own QPUs, so those entangling gates stay local), the remote
gate runs through the cat-entangler/disentangler with a Werner pair, and the
4-qubit state of (references, data) is the Choi state.
"""

from __future__ import annotations

import numpy as np
import pytest

from welinq_core import gates
from welinq_core.circuit import Circuit, Operation
from welinq_core.cluster import Cluster
from welinq_core.lowering import lower
from welinq_core.noise import add_noise
from welinq_core.physics import BellPair
from welinq_core.reference import simulate

_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Z = np.diag([1.0 + 0j, -1.0])
_I = np.eye(2, dtype=complex)


def choi_state(gate: str, mode: str, probabilities) -> np.ndarray:
    """Choi state of the remote gate on data (2, 3), ordered (ref0, ref1, d2, d3)."""
    ops = [Operation(name="h", qubits=(0,)), Operation(name="h", qubits=(1,)),
           Operation(name="cx", qubits=(0, 2)), Operation(name="cx", qubits=(1, 3)),
           Operation(name=gate, qubits=(2, 3))]
    c = Circuit(num_qubits=4, operations=ops)
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2)
    prog = lower(c, cluster, ("qpu0", "qpu1", "qpu0", "qpu1"))
    assert prog.num_bell_pairs == 1 and prog.num_remote_gates == 1
    noisy = add_noise(prog, mode=mode, pair_states=[probabilities])
    return simulate(noisy.circuit, keep_clbits=0).density_matrix([0, 1, 2, 3])


def ideal_choi(gate: str) -> np.ndarray:
    u = gates.gate_matrix(gate, ())
    phi = np.zeros(16, dtype=complex)
    for i in range(4):
        phi[i * 4 + i] = 0.5  # sum_i |i>_ref |i>_data / 2, ref = (q0, q1), data = (q2, q3)
    v = np.kron(np.eye(4), u) @ phi
    return np.outer(v, v.conj())


def channel_choi(gate: str, terms: dict[str, float]) -> np.ndarray:
    """Choi state of 'ideal gate then Pauli channel on (c, t)' (physics.md 2.7)."""
    rho = ideal_choi(gate)
    out = np.zeros_like(rho)
    mats = {"I": _I, "X": _X, "Z": _Z}
    for label, p in terms.items():
        e = np.kron(np.eye(4), np.kron(mats[label[0]], mats[label[1]]))
        out += p * e @ rho @ e.conj().T
    return out


@pytest.mark.parametrize("gate", ["cx", "cz"])
def test_werner_097_gives_process_fidelity_097_and_average_gate_fidelity(gate):
    f = 0.97
    choi = choi_state(gate, "explicit", BellPair.werner(f).probabilities)
    process_fidelity = float(np.real(np.trace(ideal_choi(gate) @ choi)))
    assert process_fidelity == pytest.approx(f, abs=1e-12)
    average_gate_fidelity = (4 * process_fidelity + 1) / 5
    assert average_gate_fidelity == pytest.approx(0.976, abs=1e-12)


@pytest.mark.parametrize("gate", ["cx", "cz"])
def test_choi_matrices_explicit_effective_and_analytic_agree(gate):
    probs = (0.9, 0.05, 0.03, 0.02)
    explicit = choi_state(gate, "explicit", probs)
    effective = choi_state(gate, "effective", probs)
    pI, pX, pY, pZ = probs
    if gate == "cx":
        terms = {"II": pI, "IX": pX, "ZX": pY, "ZI": pZ}
    else:
        terms = {"II": pI, "IZ": pX, "ZZ": pY, "ZI": pZ}
    analytic = channel_choi(gate, terms)
    assert np.abs(explicit - effective).max() < 1e-12
    assert np.abs(explicit - analytic).max() < 1e-12


def test_one_pair_serving_k_cnots_puts_x_on_all_targets():
    """physics.md 2.7: one copy, k CNOTs from the same control: pair X -> X on every target."""
    ops = [Operation(name="h", qubits=(0,))] + [Operation(name="cx", qubits=(0, t)) for t in (1, 2, 3)]
    c = Circuit(num_qubits=4, operations=ops)
    prog = lower(c, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3), ("qpu0", "qpu1", "qpu1", "qpu1"))
    assert [p.num_gates for p in prog.packets] == [3]
    noisy = add_noise(prog, mode="effective", pair_states=[(0.9, 0.1, 0.0, 0.0)])
    ch = [op for op in noisy.circuit if op.name == "pauli_channel"]
    assert len(ch) == 1 and ch[0].qubits == (1, 2, 3)
    assert dict(ch[0].pauli_terms) == pytest.approx({"III": 0.9, "XXX": 0.1})
