"""Tests of welinq_core.physics.memory against exact density-matrix channels."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _physics_reference import (
    amplitude_damp_dephase,
    bds_matrix,
    bell_overlaps,
    depolarize_1q,
    pauli_channel_1q,
    Z,
    op_on,
)
from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import (
    BellPair,
    QuantumMemory,
    age,
    cutoff_time_s,
    depolarizing_time_from_rate,
    depolarizing_time_from_sequence_coherence_time,
)

probs4 = st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(lambda v: sum(v) > 0.1).map(
    lambda v: tuple(x / sum(v) for x in v))
times = st.floats(0.0, 5.0)


@given(f0=st.floats(0.25, 1.0), ta=times, tb=times, tau_a=st.floats(0.01, 10), tau_b=st.floats(0.01, 10))
@settings(max_examples=60, deadline=None)
def test_werner_depolarizing_decay_matches_density_matrix(f0, ta, tb, tau_a, tau_b):
    pair = BellPair.werner(f0)
    rho = bds_matrix(pair.probabilities)
    rho = depolarize_1q(rho, math.exp(-ta / tau_a), 0, 2)
    rho = depolarize_1q(rho, math.exp(-tb / tau_b), 1, 2)
    aged = age(pair, ta, tb, QuantumMemory.depolarizing(time_s=tau_a),
               QuantumMemory.depolarizing(time_s=tau_b))
    expected_f = 0.25 + (f0 - 0.25) * math.exp(-ta / tau_a - tb / tau_b)
    assert aged.fidelity == pytest.approx(expected_f, abs=1e-9)
    np.testing.assert_allclose(aged.density_matrix(), rho, atol=1e-9)
    assert aged.is_werner


@given(probs=probs4, ta=times, tb=times, t2a=st.floats(0.01, 10), t2b=st.floats(0.01, 10))
@settings(max_examples=60, deadline=None)
def test_dephasing_mixes_i_with_z_and_x_with_y(probs, ta, tb, t2a, t2b):
    pair = BellPair.from_probabilities(probs)
    rho = bds_matrix(pair.probabilities)
    for q, t, t2 in ((0, ta, t2a), (1, tb, t2b)):
        pz = (1 - math.exp(-t / t2)) / 2
        rho = (1 - pz) * rho + pz * op_on(Z, q, 2) @ rho @ op_on(Z, q, 2)
    aged = age(pair, ta, tb, QuantumMemory.dephasing(t2_s=t2a), QuantumMemory.dephasing(t2_s=t2b))
    np.testing.assert_allclose(aged.probabilities, bell_overlaps(rho), atol=1e-9)
    e = math.exp(-ta / t2a - tb / t2b)
    pi, px, py, pz = pair.probabilities
    np.testing.assert_allclose(
        aged.probabilities,
        (pi * (1 + e) / 2 + pz * (1 - e) / 2, px * (1 + e) / 2 + py * (1 - e) / 2,
         py * (1 + e) / 2 + px * (1 - e) / 2, pz * (1 + e) / 2 + pi * (1 - e) / 2), atol=1e-9)


def test_perfect_pair_dephasing_decays_to_one_half():
    aged = age(BellPair.perfect(), 100.0, 100.0, QuantumMemory.dephasing(t2_s=1.0), None)
    assert aged.fidelity == pytest.approx(0.5, abs=1e-9)


@given(probs=probs4, qa=probs4, qb=probs4)
@settings(max_examples=40, deadline=None)
def test_general_pauli_channels_on_both_qubits_match_density_matrix(probs, qa, qb):
    rho = pauli_channel_1q(pauli_channel_1q(bds_matrix(probs), qa, 0, 2), qb, 1, 2)
    out = BellPair.from_probabilities(probs).with_pauli_noise(qa).with_pauli_noise(qb)
    np.testing.assert_allclose(out.density_matrix(), rho, atol=1e-9)


def test_t1t2_ageing_is_exact_then_bell_diagonal_projection():
    # one side: the exact channel then the Bell-diagonal projection equals the twirled channel
    t, t1, t2 = 1e-3, 5e-3, 3e-3
    mem = QuantumMemory.t1t2(t1_s=t1, t2_s=t2)
    pair = BellPair.werner(0.9)
    # exact channel on qubit B then Bell-diagonal projection (= twirl of the output)
    rho = amplitude_damp_dephase(bds_matrix(pair.probabilities), t, t1, t2, 1, 2)
    exact_twirled = bell_overlaps(rho)
    pta = age(pair, 0.0, t, None, mem).probabilities
    np.testing.assert_allclose(pta, exact_twirled, atol=1e-9)
    # both sides: the exact two-qubit evolution keeps cross terms a per-side twirl drops
    # (Werner F0=0.95: exact 0.654, per-side twirl 0.646)
    w = BellPair.werner(0.95)
    aged = age(w, t, t, mem, mem).probabilities
    rho = bds_matrix(w.probabilities)
    rho = amplitude_damp_dephase(amplitude_damp_dephase(rho, t, t1, t2, 0, 2), t, t1, t2, 1, 2)
    np.testing.assert_allclose(aged, bell_overlaps(rho), atol=1e-12)
    assert aged[0] == pytest.approx(0.654, abs=5e-4)


def test_t1t2_probabilities_formula():
    mem = QuantumMemory.t1t2(t1_s=2.0, t2_s=1.0)
    pi, px, py, pz = mem.pauli_probabilities(0.7)
    a, b = 1 - math.exp(-0.35), 1 - math.exp(-0.7)
    assert (px, py) == pytest.approx((a / 4, a / 4), abs=1e-12)
    assert pz == pytest.approx(b / 2 - a / 4, abs=1e-12)
    assert pi + px + py + pz == pytest.approx(1.0, abs=1e-12)


def test_cutoff_closed_form_and_fidelity_at_cutoff():
    ma, mb = QuantumMemory.depolarizing(time_s=0.05), QuantumMemory.depolarizing(time_s=0.2)
    t = cutoff_time_s(0.95, 0.8, ma, mb)
    tau_pair = 1 / (1 / 0.05 + 1 / 0.2)
    assert t == pytest.approx(tau_pair * math.log(0.7 / 0.55), rel=1e-12)
    assert age(BellPair.werner(0.95), t, t, ma, mb).fidelity == pytest.approx(0.8, abs=1e-9)
    assert cutoff_time_s(0.95, 0.8, None, None) == math.inf
    assert cutoff_time_s(0.7, 0.8, ma, mb) == 0.0


def test_cutoff_by_bisection_for_dephasing():
    mem = QuantumMemory.dephasing(t2_s=0.1)
    t = cutoff_time_s(0.95, 0.8, mem, mem)
    assert age(BellPair.werner(0.95), t, t, mem, mem).fidelity == pytest.approx(0.8, abs=1e-9)
    assert cutoff_time_s(0.99, 0.45, mem, mem) == math.inf  # dephasing floor is above 0.45


def test_unit_conversions():
    assert depolarizing_time_from_sequence_coherence_time(2.0) == pytest.approx(1.5)
    assert depolarizing_time_from_rate(10.0) == pytest.approx(0.1)
    # SeQUeNCe: X, Y, Z each at rate 1/(3T) -> pI = (1 + 3 e^{-4t/(3T)})/4
    t_seq = 1.3
    t = 0.4
    mem = QuantumMemory.depolarizing(time_s=depolarizing_time_from_sequence_coherence_time(t_seq))
    r = 1 / (3 * t_seq)
    expected_pi = (1 + 3 * math.exp(-4 * r * t)) / 4
    assert mem.pauli_probabilities(t)[0] == pytest.approx(expected_pi, abs=1e-12)
    # NetSquid-style: replacement by I/2 with probability 1 - e^{-r t}
    mem = QuantumMemory.depolarizing(time_s=depolarizing_time_from_rate(3.0))
    p = 1 - math.exp(-3.0 * t)
    assert mem.pauli_probabilities(t)[0] == pytest.approx(1 - p + p / 4, abs=1e-12)


def test_retrieval_efficiency_shapes():
    exp_mem = QuantumMemory.ideal(efficiency=0.9, efficiency_time_s=1e-3)
    gau_mem = QuantumMemory.ideal(efficiency=0.9, efficiency_time_s=1e-3, efficiency_shape="gaussian")
    assert exp_mem.retrieval_efficiency(2e-3) == pytest.approx(0.9 * math.exp(-2))
    assert gau_mem.retrieval_efficiency(2e-3) == pytest.approx(0.9 * math.exp(-4))
    assert QuantumMemory.ideal(efficiency=0.95).retrieval_efficiency(10.0) == 0.95


@pytest.mark.parametrize("mem", [
    QuantumMemory.ideal(),
    QuantumMemory.depolarizing(time_s=0.1, cutoff_s=0.02, capacity=3),
    QuantumMemory.dephasing(t2_s=1.0, min_fidelity=0.8),
    QuantumMemory.t1t2(t1_s=1.0, t2_s=1.5, efficiency=0.95, efficiency_time_s=1e-3,
                       efficiency_shape="gaussian"),
])
def test_json_and_repr_round_trip(mem):
    data = json.loads(json.dumps(mem.to_json_dict()))
    assert QuantumMemory.from_json_dict(data) == mem
    assert eval(repr(mem), {"QuantumMemory": QuantumMemory}) == mem
    assert hash(mem) == hash(QuantumMemory.from_json_dict(data))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"model": "magic"}, "model='magic' is not recognised"),
    ({"model": "depolarizing"}, "depolarizing_time_s=None"),
    ({"model": "depolarizing", "depolarizing_time_s": -1.0}, "depolarizing_time_s=-1.0 is not positive"),
    ({"model": "t1t2", "t1_s": 1.0, "t2_s": 3.0}, r"t2_s=3.0 exceeds 2 \* t1_s"),
    ({"model": "ideal", "t2_s": 1.0}, "t2_s=1.0 is not used"),
    ({"efficiency": 1.2}, r"efficiency=1.2 is outside \[0, 1\]"),
    ({"efficiency_shape": "lorentzian"}, "efficiency_shape='lorentzian'"),
    ({"cutoff_s": 0.0}, "cutoff_s=0.0 is not positive"),
    ({"min_fidelity": 0.2}, r"min_fidelity=0.2 is outside \(0.25, 1\]"),
    ({"capacity": 0}, "capacity=0 is not a positive integer"),
])
def test_invalid_memories_raise(kwargs, match):
    with pytest.raises(PhysicsParameterError, match=match):
        QuantumMemory(**kwargs)


def test_negative_duration_and_bad_json_raise():
    with pytest.raises(PhysicsParameterError, match="duration_s=-1.0 is negative"):
        QuantumMemory.ideal().pauli_probabilities(-1.0)
    with pytest.raises(PhysicsParameterError, match="unexpected keys"):
        QuantumMemory.from_json_dict({"model": "ideal", "colour": "red"})
    with pytest.raises(PhysicsParameterError, match="min_fidelity=0.2"):
        cutoff_time_s(0.9, 0.2, None, None)
