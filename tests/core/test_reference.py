"""The reference simulator keeps a mixture's branches apart unless they are the same state."""

from __future__ import annotations

import numpy as np
import pytest

from welinq_core.circuit import Circuit, Operation
from welinq_core.reference import simulate


@pytest.mark.parametrize("angle", [2e-6, 1e-3, 0.7])
def test_nearly_parallel_branches_are_not_merged(angle):
    # Z applied with probability 1/2 to ry(angle)|0> gives two branches whose overlap is
    # cos(angle) (1 - 2e-12 at 2e-6); their mixture has no coherence between |0> and |1>.
    circuit = Circuit(num_qubits=1, operations=[
        Operation(name="ry", qubits=(0,), params=(angle,)),
        Operation(name="pauli_channel", qubits=(0,), pauli_terms=(("I", 0.5), ("Z", 0.5))),
    ])
    rho = simulate(circuit).density_matrix([0])
    exact = np.diag([np.cos(angle / 2) ** 2, np.sin(angle / 2) ** 2])
    assert np.abs(rho - exact).max() < 1e-14


def test_equal_branches_up_to_global_phase_are_merged():
    # X on |+> and Y on |0>-like states give the same ray: one branch, weight 1.
    circuit = Circuit(num_qubits=1, operations=[
        Operation(name="h", qubits=(0,)),
        Operation(name="pauli_channel", qubits=(0,), pauli_terms=(("I", 0.3), ("X", 0.7))),
    ])
    result = simulate(circuit)
    assert len(result.branches) == 1
    assert result.branches[0].weight == pytest.approx(1.0)
