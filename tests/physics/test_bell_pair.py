"""Tests of BellPair against explicit Bell-state density matrices."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _physics_reference import I2, PAULIS, bds_matrix, bell_overlaps, kron
from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import BellPair, convolve_pauli

probs4 = st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(lambda v: sum(v) > 0.1).map(
    lambda v: tuple(x / sum(v) for x in v))


@given(probs=probs4)
@settings(max_examples=50, deadline=None)
def test_density_matrix_is_pauli_on_b_of_phi_plus(probs):
    pair = BellPair.from_probabilities(probs)
    phi = np.array([1, 0, 0, 1], dtype=complex) / np.sqrt(2)
    rho = sum(p * np.outer(kron(I2, P) @ phi, (kron(I2, P) @ phi).conj())
              for p, P in zip(pair.probabilities, PAULIS))
    np.testing.assert_allclose(pair.density_matrix(), rho, atol=1e-12)
    np.testing.assert_allclose(pair.density_matrix(), bds_matrix(probs), atol=1e-12)
    assert sum(pair.probabilities) == pytest.approx(1.0, abs=1e-15)
    assert pair.fidelity == pair.p_i
    # entanglement of BDS: negative partial transpose iff max weight > 1/2
    rho_pt = pair.density_matrix().reshape(2, 2, 2, 2).transpose(0, 3, 2, 1).reshape(4, 4)
    npt = np.linalg.eigvalsh(rho_pt).min() < -1e-12
    if abs(max(probs) - 0.5) > 1e-9:
        assert npt == pair.is_entangled


@given(probs=probs4)
@settings(max_examples=30, deadline=None)
def test_from_density_matrix_is_a_fidelity_preserving_twirl(probs):
    rng = np.random.default_rng(0)
    # add off-diagonal (non-Bell-diagonal) coherence, then twirl
    a = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    noise = a @ a.conj().T
    rho = 0.8 * bds_matrix(probs) + 0.2 * noise / np.trace(noise)
    pair = BellPair.from_density_matrix(rho)
    np.testing.assert_allclose(pair.probabilities, bell_overlaps(rho), atol=1e-12)


def test_teleportation_with_bds_resource_is_single_qubit_pauli_channel():
    """Physics.md 6.7: teleport qubit S with pair (A, B); output = Pauli channel p_P."""
    rng = np.random.default_rng(7)
    from _physics_reference import H, X, Z, cnot, op_on, partial_trace, projector
    for _ in range(5):
        probs = rng.dirichlet(np.ones(4))
        pair = BellPair.from_probabilities(probs)
        v = rng.normal(size=2) + 1j * rng.normal(size=2)
        v /= np.linalg.norm(v)
        rho_s = np.outer(v, v.conj())
        rho = kron(rho_s, pair.density_matrix())  # qubits S, A, B
        rho = cnot(0, 1, 3) @ rho @ cnot(0, 1, 3).conj().T
        h = op_on(H, 0, 3)
        rho = h @ rho @ h.conj().T
        out = np.zeros((2, 2), dtype=complex)
        for m1 in (0, 1):  # S measured in Z after H -> Z correction
            for m2 in (0, 1):  # A measured -> X correction
                proj = projector(0, m1, 3) @ projector(1, m2, 3)
                branch = proj @ rho @ proj
                corr = (np.linalg.matrix_power(op_on(Z, 2, 3), m1)
                        @ np.linalg.matrix_power(op_on(X, 2, 3), m2))
                out += partial_trace(corr @ branch @ corr.conj().T, [2], 3)
        expected = sum(p * P @ rho_s @ P.conj().T for (_, p), P in zip(pair.pauli_channel(), PAULIS))
        np.testing.assert_allclose(out, expected, atol=1e-12)


def test_werner_and_factories():
    w = BellPair.werner(0.7)
    assert w.probabilities == pytest.approx((0.7, 0.1, 0.1, 0.1))
    assert w.werner_parameter == pytest.approx(0.6)
    assert BellPair.perfect().probabilities == (1.0, 0.0, 0.0, 0.0)
    assert BellPair.maximally_mixed().fidelity == 0.25
    assert not BellPair.werner(0.5).is_entangled
    assert BellPair(p_i=0.1, p_x=0.0, p_y=0.9, p_z=0.0).is_entangled  # singlet-like
    assert BellPair(p_i=0.7, p_x=0.3, p_y=0, p_z=0).twirled().is_werner
    assert [lbl for lbl, _ in w.pauli_channel()] == ["I", "X", "Y", "Z"]


def test_renormalisation_is_exact():
    pair = BellPair(p_i=0.5 + 4e-10, p_x=0.5, p_y=0.0, p_z=0.0)
    assert sum(pair.probabilities) == pytest.approx(1.0, abs=1e-15)


def test_convolve_pauli_group_table():
    def delta(i):
        return tuple(1.0 if k == i else 0.0 for k in range(4))
    # X*Z ~ Y, X*Y ~ Z, Y*Z ~ X, P*P = I
    assert convolve_pauli(delta(1), delta(3)) == delta(2)
    assert convolve_pauli(delta(1), delta(2)) == delta(3)
    assert convolve_pauli(delta(2), delta(3)) == delta(1)
    for i in range(4):
        assert convolve_pauli(delta(i), delta(i)) == delta(0)


def test_json_and_repr_round_trip():
    pair = BellPair(p_i=0.8, p_x=0.05, p_y=0.1, p_z=0.05)
    assert BellPair.from_json_dict(json.loads(json.dumps(pair.to_json_dict()))) == pair
    assert eval(repr(pair), {"BellPair": BellPair}) == pair
    assert len({pair, BellPair.from_json_dict(pair.to_json_dict())}) == 1


@pytest.mark.parametrize(("call", "match"), [
    (lambda: BellPair.werner(0.2), r"fidelity=0.2 is outside \[0.25, 1\]"),
    (lambda: BellPair.werner(1.1), r"fidelity=1.1 is outside \[0.25, 1\]"),
    (lambda: BellPair(p_i=0.9, p_x=0.2, p_y=0.0, p_z=-0.1), "p_z=-0.1 is negative"),
    (lambda: BellPair(p_i=0.9, p_x=0.0, p_y=0.0, p_z=0.0), "is not 1"),
    (lambda: BellPair(p_i=float("nan"), p_x=0.0, p_y=0.0, p_z=0.0), "not finite"),
    (lambda: BellPair.from_probabilities((1.0, 0.0)), "has 2 entries"),
    (lambda: BellPair.from_density_matrix(np.eye(2)), "shape"),
    (lambda: BellPair.from_density_matrix(np.eye(4)), "trace 1"),
    (lambda: BellPair.from_json_dict({"p_i": 1.0}), "expected"),
])
def test_invalid_pairs_raise(call, match):
    with pytest.raises(PhysicsParameterError, match=match):
        call()
