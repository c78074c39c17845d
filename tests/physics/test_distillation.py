"""Distillation tests: bilateral-CNOT protocols simulated on 16x16 density matrices."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _physics_reference import X, cnot, kron, op_on, partial_trace, projector
from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import BellPair, QuantumMemory, age
from welinq_core.physics.distillation import distill, distill_until

probs4 = st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(lambda v: sum(v) > 0.1).map(
    lambda v: tuple(x / sum(v) for x in v))


def rx(theta):
    return np.cos(theta / 2) * np.eye(2) - 1j * np.sin(theta / 2) * X


def werner_matrix(f):
    phi = np.array([1, 0, 0, 1], dtype=complex) / np.sqrt(2)
    proj = np.outer(phi, phi.conj())
    return f * proj + (1 - f) / 3 * (np.eye(4) - proj)


def exact_distill(rho1, rho2, rotate):
    """Order A1, B1, A2, B2. Returns (success probability, kept (A1, B1) state)."""
    n = 4
    rho = kron(rho1, rho2)
    if rotate:  # DEJMPS: Rx(+pi/2) on Alice (A1, A2), Rx(-pi/2) on Bob (B1, B2)
        u = kron(rx(np.pi / 2), rx(-np.pi / 2), rx(np.pi / 2), rx(-np.pi / 2))
        rho = u @ rho @ u.conj().T
    u = cnot(0, 2, n) @ cnot(1, 3, n)
    rho = u @ rho @ u.conj().T
    kept = np.zeros((4, 4), dtype=complex)
    for m in (0, 1):
        proj = projector(2, m, n) @ projector(3, m, n)
        kept += partial_trace(proj @ rho @ proj, [0, 1], n)
    p = float(np.real(np.trace(kept)))
    return p, kept / p


@given(a=probs4, b=probs4)
@settings(max_examples=25, deadline=None)
def test_dejmps_equals_exact_protocol(a, b):
    p1, p2 = BellPair.from_probabilities(a), BellPair.from_probabilities(b)
    p_exact, rho = exact_distill(p1.density_matrix(), p2.density_matrix(), rotate=True)
    result = distill(p1, p2, protocol="dejmps")
    assert result.success_probability == pytest.approx(p_exact, abs=1e-9)
    np.testing.assert_allclose(result.pair.density_matrix(), rho, atol=1e-9)


@given(f1=st.floats(0.25, 1.0), f2=st.floats(0.25, 1.0))
@settings(max_examples=25, deadline=None)
def test_bbpssw_equals_exact_protocol_on_twirled_inputs(f1, f2):
    # non-Werner inputs with the given fidelity: BBPSSW twirls them first
    p1 = BellPair(p_i=f1, p_x=1 - f1, p_y=0.0, p_z=0.0)
    p2 = BellPair(p_i=f2, p_x=0.0, p_y=0.0, p_z=1 - f2)
    p_exact, rho = exact_distill(werner_matrix(f1), werner_matrix(f2), rotate=False)
    result = distill(p1, p2, protocol="bbpssw")
    assert result.success_probability == pytest.approx(p_exact, abs=1e-9)
    np.testing.assert_allclose(result.pair.density_matrix(), rho, atol=1e-9)


@pytest.mark.parametrize("f", [0.55, 0.7, 0.9, 0.99])
def test_bbpssw_closed_form(f):
    q = (1 - f) / 3
    p = f ** 2 + 2 * f * q + 5 * q ** 2
    result = distill(BellPair.werner(f), BellPair.werner(f), protocol="bbpssw")
    assert result.success_probability == pytest.approx(p, abs=1e-12)
    assert result.pair.fidelity == pytest.approx((f ** 2 + q ** 2) / p, abs=1e-12)
    assert result.pair.fidelity > f


@pytest.mark.parametrize(("f", "p", "f_out"), [(0.9, 0.8756, 0.9264), (0.7, 0.68, 0.7353)])
def test_bbpssw_worked_numbers(f, p, f_out):
    result = distill(BellPair.werner(f), BellPair.werner(f), protocol="bbpssw")
    assert result.success_probability == pytest.approx(p, abs=5e-5)
    assert result.pair.fidelity == pytest.approx(f_out, abs=5e-5)


@given(f=st.floats(0.25, 0.5))
@settings(max_examples=30, deadline=None)
def test_bbpssw_never_improves_at_or_below_one_half(f):
    out = distill(BellPair.werner(f), BellPair.werner(f), protocol="bbpssw").pair
    assert out.fidelity <= f + 1e-12


@pytest.mark.parametrize("protocol", ["bbpssw", "dejmps"])
def test_perfect_pairs_are_a_fixed_point(protocol):
    result = distill(BellPair.perfect(), BellPair.perfect(), protocol=protocol)
    assert result.success_probability == pytest.approx(1.0)
    assert result.pair.fidelity == pytest.approx(1.0)


def test_dejmps_worked_numbers():
    # physics.md's (0.8, 0.1, 0.05, 0.05) is in (pI, pX, pY, pZ) order (checked exactly above)
    equal = BellPair(p_i=0.8, p_x=0.1, p_y=0.05, p_z=0.05)
    r = distill(equal, equal)
    assert r.success_probability == pytest.approx(0.745, abs=1e-12)
    assert r.pair.fidelity == pytest.approx(0.8624, abs=5e-5)
    a = BellPair(p_i=0.85, p_x=0.05, p_y=0.04, p_z=0.06)
    b = BellPair(p_i=0.75, p_x=0.10, p_y=0.05, p_z=0.10)
    r = distill(a, b)
    assert r.success_probability == pytest.approx(0.734, abs=1e-12)
    assert r.pair.fidelity == pytest.approx(0.8713, abs=5e-5)


@given(a=probs4)
@settings(max_examples=30, deadline=None)
def test_dejmps_unequal_formula_reduces_to_equal_input_formula(a):
    pair = BellPair.from_probabilities(a)
    A, B, C, D = pair.p_i, pair.p_y, pair.p_x, pair.p_z
    n = (A + B) ** 2 + (C + D) ** 2
    r = distill(pair, pair)
    assert r.success_probability == pytest.approx(n, abs=1e-12)
    expected = ((A * A + B * B) / n, (C * C + D * D) / n, 2 * C * D / n, 2 * A * B / n)
    np.testing.assert_allclose(r.pair.probabilities, expected, atol=1e-9)


def test_distillation_from_noisy_aged_inputs():
    """SeQUeNCe #171: start from genuinely noisy pairs and check success probability."""
    mem = QuantumMemory.dephasing(t2_s=0.01)
    pair = age(BellPair.werner(0.92), 2e-3, 2e-3, mem, mem)  # dephasing-dominated noise
    assert pair.fidelity < 0.9
    r_dejmps = distill(pair, pair, protocol="dejmps")
    r_bbpssw = distill(pair, pair, protocol="bbpssw")
    assert 0.5 < r_dejmps.success_probability < 1.0
    assert 0.5 < r_bbpssw.success_probability < 1.0
    assert r_dejmps.pair.fidelity > r_bbpssw.pair.fidelity > pair.fidelity


def test_distill_until():
    s = distill_until(BellPair.werner(0.9), 0.99, protocol="dejmps")
    assert s.pair.fidelity >= 0.99
    expected = 1.0
    pair = BellPair.werner(0.9)
    for p in s.success_probabilities:
        expected = 2 * expected / p
        pair = distill(pair, pair).pair
    assert s.expected_pairs_consumed == pytest.approx(expected)
    assert s.rate_factor == pytest.approx(1 / expected)
    assert pair == s.pair
    assert distill_until(BellPair.werner(0.99), 0.95).rounds == 0
    b = distill_until(BellPair.werner(0.9), 0.92, protocol="bbpssw")
    assert b.rounds == 1
    assert b.expected_pairs_consumed == pytest.approx(2 / 0.8756, abs=1e-3)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: distill_until(BellPair.werner(0.5), 0.9), "<= 1/2 cannot be raised"),
    (lambda: distill_until(BellPair.werner(0.6), 0.999, max_rounds=2), "not reached after max_rounds=2"),
    (lambda: distill_until(BellPair.werner(0.9), 1.2), r"target_fidelity=1.2 is outside"),
    (lambda: distill(BellPair.perfect(), BellPair.perfect(), protocol="magic"), "protocol='magic'"),
])
def test_unreachable_targets_raise(call, match):
    with pytest.raises(PhysicsParameterError, match=match):
        call()
