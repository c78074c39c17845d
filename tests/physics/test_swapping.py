"""Swapping tests: circuit-level BSM on 16x16 density matrices vs the Pauli convolution."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _physics_reference import H, PAULIS, X, Z, cnot, kron, op_on, partial_trace, projector
from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import BellPair, QuantumMemory, age
from welinq_core.physics.swapping import swap, swap_chain

probs4 = st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(lambda v: sum(v) > 0.1).map(
    lambda v: tuple(x / sum(v) for x in v))


def exact_swap(p1: BellPair, p2: BellPair, f_g=1.0, e_z=0.0, e_x=0.0) -> np.ndarray:
    """Qubits A1, B1, A2, B2; BSM on B1, A2 (CNOT, H, measure), correction X^m2 Z^m1 on B2."""
    n = 4
    rho = kron(p1.density_matrix(), p2.density_matrix())
    # two-qubit depolarizing of B1, A2: f rho + (1 - f) * (Pauli twirl on those qubits)
    twirl = np.zeros_like(rho)
    for P, Q in itertools.product(PAULIS, PAULIS):
        u = op_on(P, 1, n) @ op_on(Q, 2, n)
        twirl += u @ rho @ u.conj().T / 16
    rho = f_g * rho + (1 - f_g) * twirl
    u = op_on(H, 1, n) @ cnot(1, 2, n)
    rho = u @ rho @ u.conj().T
    out = np.zeros((4, 4), dtype=complex)
    for m1, m2 in itertools.product((0, 1), (0, 1)):
        proj = projector(1, m1, n) @ projector(2, m2, n)
        branch = proj @ rho @ proj
        for r1, r2 in itertools.product((0, 1), (0, 1)):  # recorded (possibly flipped) bits
            w = (e_z if r1 != m1 else 1 - e_z) * (e_x if r2 != m2 else 1 - e_x)
            corr = (np.linalg.matrix_power(op_on(Z, 3, n), r1)
                    @ np.linalg.matrix_power(op_on(X, 3, n), r2))
            out += w * partial_trace(corr @ branch @ corr.conj().T, [0, 3], n)
    return out


@given(a=probs4, b=probs4)
@settings(max_examples=25, deadline=None)
def test_swap_equals_circuit_level_bsm(a, b):
    p1, p2 = BellPair.from_probabilities(a), BellPair.from_probabilities(b)
    np.testing.assert_allclose(swap(p1, p2).density_matrix(), exact_swap(p1, p2), atol=1e-9)


@pytest.mark.parametrize(("f_g", "e_z", "e_x"), [(0.98, 0.01, 0.02), (0.7, 0.1, 0.0), (1.0, 0.0, 0.3)])
def test_noisy_swap_equals_circuit_level_bsm(f_g, e_z, e_x):
    rng = np.random.default_rng(3)
    p1 = BellPair.from_probabilities(rng.dirichlet([8, 1, 1, 1]))
    p2 = BellPair.from_probabilities(rng.dirichlet([8, 1, 2, 1]))
    got = swap(p1, p2, bsm_depolarizing=1 - f_g, readout_error_z=e_z, readout_error_x=e_x)
    np.testing.assert_allclose(got.density_matrix(), exact_swap(p1, p2, f_g, e_z, e_x), atol=1e-9)


@given(f1=st.floats(0.25, 1.0), f2=st.floats(0.25, 1.0), f_g=st.floats(0.0, 1.0))
@settings(max_examples=50, deadline=None)
def test_werner_swap_closed_form(f1, f2, f_g):
    out = swap(BellPair.werner(f1), BellPair.werner(f2), bsm_depolarizing=1 - f_g)
    w = f_g * (4 * f1 - 1) / 3 * (4 * f2 - 1) / 3
    assert out.fidelity == pytest.approx(0.25 + 0.75 * w, abs=1e-9)
    if f_g == 1.0:
        assert out.fidelity == pytest.approx(f1 * f2 + (1 - f1) * (1 - f2) / 3, abs=1e-9)
    assert out.is_werner


def test_worked_example_0_8209():
    out = swap(BellPair.werner(0.95), BellPair.werner(0.90), bsm_depolarizing=0.02,
               readout_error_z=0.01, readout_error_x=0.02)
    assert out.fidelity == pytest.approx(0.8209, abs=5e-5)
    np.testing.assert_allclose(
        out.density_matrix(),
        exact_swap(BellPair.werner(0.95), BellPair.werner(0.90), 0.98, 0.01, 0.02), atol=1e-9)


@given(fs=st.lists(st.floats(0.25, 1.0), min_size=1, max_size=6))
@settings(max_examples=40, deadline=None)
def test_n_hop_chain(fs):
    out = swap_chain([BellPair.werner(f) for f in fs])
    assert out.fidelity == pytest.approx(0.25 + 0.75 * math.prod((4 * f - 1) / 3 for f in fs),
                                         abs=1e-9)


def test_swap_of_separable_werner_is_separable():
    assert not swap(BellPair.werner(0.5), BellPair.werner(0.99)).is_entangled


def test_three_link_chain_by_pauli_frame_sampling():
    rng = np.random.default_rng(2024)
    pairs = [BellPair(p_i=0.93, p_x=0.02, p_y=0.01, p_z=0.04), BellPair.werner(0.9),
             BellPair(p_i=0.95, p_x=0.0, p_y=0.0, p_z=0.05)]
    n = 40000
    bits = np.array([0, 1, 3, 2])  # I, X, Y, Z -> x + 2 z
    frame = np.zeros(n, dtype=int)
    for pair in pairs:
        frame ^= bits[rng.choice(4, size=n, p=pair.probabilities)]
    f_mc = np.mean(frame == 0)
    f = swap_chain(pairs).fidelity
    assert abs(f_mc - f) < 4 * math.sqrt(f * (1 - f) / n)


def test_decoherence_during_classical_transit_of_corrections():
    """SeQUeNCe PR #359: end qubits keep decohering while the swap outcome travels."""
    mem = QuantumMemory.depolarizing(time_s=1e-3)
    swapped = swap(BellPair.werner(0.95), BellPair.werner(0.95))
    transit = 2 * 50 * 5e-6  # 50 km each way
    delivered = age(swapped, transit, transit, mem, mem)
    assert delivered.fidelity < swapped.fidelity
    w = (swapped.fidelity - 0.25) / 0.75 * math.exp(-2 * transit / 1e-3)
    assert delivered.fidelity == pytest.approx(0.25 + 0.75 * w, abs=1e-12)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"bsm_depolarizing": 1.5}, r"bsm_depolarizing=1.5 is outside \[0, 1\]"),
    ({"readout_error_z": -0.1}, r"readout_error_z=-0.1 is outside \[0, 1\]"),
    ({"readout_error_x": 2}, r"readout_error_x=2 is outside \[0, 1\]"),
])
def test_bad_swap_inputs_raise(kwargs, match):
    with pytest.raises(PhysicsParameterError, match=match):
        swap(BellPair.perfect(), BellPair.perfect(), **kwargs)


def test_bad_chain_and_types_raise():
    with pytest.raises(PhysicsParameterError, match="is empty"):
        swap_chain([])
    with pytest.raises(PhysicsParameterError, match="is not a BellPair"):
        swap(0.9, BellPair.perfect())  # type: ignore[arg-type]
