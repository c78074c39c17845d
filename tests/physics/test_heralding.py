"""Tests of the heralded-link model (physics.md 2.3, 6.12, 6.13, 6.17)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import BellPair, HeraldedLinkModel, QuantumMemory, age


def node01(**kw):
    """eta_node = 0.1 including QFC and detector (physics.md worked example)."""
    return HeraldedLinkModel(collection_efficiency=0.1, visibility=0.95, **kw)


@pytest.mark.parametrize(("length", "p_dc", "r1", "r100"), [
    (0.01, 5.0e-3, 2.4e3, None),
    (10.0, 3.2e-3, 61.0, 5.2e3),
    (50.0, 5.0e-4, 2.0, 194.0),
    (100.0, 5.0e-5, 0.10, 9.9),
])
def test_worked_example_double_click(length, p_dc, r1, r100):
    link = node01(length_km=length)
    assert link.success_probability == pytest.approx(p_dc, rel=0.02)
    assert link.delivered_pair.fidelity == pytest.approx(0.975, abs=1e-12)
    assert link.mean_pair_rate_hz == pytest.approx(r1, rel=0.03)
    if r100 is not None:
        assert node01(length_km=length, num_modes=100).mean_pair_rate_hz == pytest.approx(
            r100, rel=0.03)


@pytest.mark.parametrize(("length", "p_sc", "rate"), [
    (0.01, 1.0e-2, 4.9e3), (10.0, 7.9e-3, 152.0), (50.0, 3.2e-3, 12.5), (100.0, 1.0e-3, 2.0)])
def test_worked_example_single_click(length, p_sc, rate):
    link = node01(length_km=length, scheme="single-click", bright_state_population=0.05)
    assert link.success_probability == pytest.approx(p_sc, rel=0.03)
    assert link.mean_pair_rate_hz == pytest.approx(rate, rel=0.03)
    eta = link.node_efficiencies[0]
    a = 0.05
    assert link.success_probability == pytest.approx(2 * a * eta * (1 - a * eta / 2), rel=1e-12)
    # small-eta limit of F = (1 - alpha)(1 + sqrt V)/2 (physics.md 2.3)
    assert link.delivered_pair.fidelity == pytest.approx((1 - a) * (1 + math.sqrt(0.95)) / 2,
                                                         abs=3e-3)


def test_single_click_exact_state_weights():
    link = HeraldedLinkModel(length_km=0.0, detection_efficiency=0.5, scheme="single-click",
                             bright_state_population=0.2, visibility=1.0)
    p_true = 0.2 * 1.0 - 0.04 * 0.25
    p11 = 0.04 * (1.0 - 0.25) / p_true
    assert link.success_probability == pytest.approx(p_true)
    assert link.generated_pair.probabilities == pytest.approx((1 - p11, p11 / 2, p11 / 2, 0.0))


def test_dark_counts_mix_in_maximally_mixed_state():
    link = HeraldedLinkModel(length_km=0.0, detection_efficiency=0.1, dark_count_probability=1e-3,
                             visibility=0.9)
    p_true, p_false = 0.01 / 2, 1e-3 * 0.2
    f = (0.95 * p_true + 0.25 * p_false) / (p_true + p_false)
    assert link.success_probability == pytest.approx(p_true + p_false)
    assert link.generated_pair.fidelity == pytest.approx(f, abs=1e-12)


def test_loss_scaling_double_vs_single_click():
    alpha = 0.2  # dB/km at 1550 nm
    kw = {"collection_efficiency": 0.3}
    for length in (10.0, 40.0):
        d1 = HeraldedLinkModel(length_km=length, **kw).success_probability
        d2 = HeraldedLinkModel(length_km=2 * length, **kw).success_probability
        assert d2 / d1 == pytest.approx(10 ** (-alpha * length / 10), rel=1e-12)
        s1 = HeraldedLinkModel(length_km=length, scheme="single-click",
                               bright_state_population=1e-4, **kw).success_probability
        s2 = HeraldedLinkModel(length_km=2 * length, scheme="single-click",
                               bright_state_population=1e-4, **kw).success_probability
        assert s2 / s1 == pytest.approx(10 ** (-alpha * length / 20), rel=1e-4)


def test_herald_latency_by_station():
    assert HeraldedLinkModel(length_km=10.0).herald_latency_s == pytest.approx(50e-6)
    assert HeraldedLinkModel(length_km=10.0, station="at-node").herald_latency_s == pytest.approx(
        100e-6)
    at_node = HeraldedLinkModel(length_km=10.0, station="at-node")
    assert at_node.node_efficiencies[1] == 1.0
    assert at_node.node_efficiencies[0] == pytest.approx(10 ** -0.2)


def test_time_to_first_herald_is_geometric_times_attempt_duration():
    link = HeraldedLinkModel(length_km=10.0, collection_efficiency=0.2)  # p ~ 0.0127
    n = 20000
    samples = link.sample_time_to_herald_s(n, seed=1234)
    mean = link.attempt_duration_s / link.success_probability
    assert link.mean_time_to_herald_s == pytest.approx(mean)
    sigma = mean * math.sqrt(1 - link.success_probability) / math.sqrt(n)
    assert abs(samples.mean() - mean) < 4 * sigma
    attempts = np.rint(samples / link.attempt_duration_s).astype(int)
    np.testing.assert_allclose(attempts * link.attempt_duration_s, samples, rtol=1e-12)
    # attempts ~ Geometric(p): attempts - U (U uniform) is exactly exponential with
    # rate -ln(1 - p), so a continuous KS test applies
    u = np.random.default_rng(5).uniform(size=n)
    ks = stats.kstest(attempts - u, stats.expon(scale=-1 / math.log1p(-link.success_probability)).cdf)
    assert ks.pvalue > 1e-3
    assert np.array_equal(samples, link.sample_time_to_herald_s(n, seed=1234))


def test_delivered_fidelity_falls_with_distance_at_fixed_hardware():
    """SeQUeNCe #377: communication qubits decohere while the herald travels."""
    mem = QuantumMemory.depolarizing(time_s=5e-3)
    fids = [HeraldedLinkModel(length_km=L, memory=mem, visibility=0.98).delivered_pair.fidelity
            for L in (0.0, 10.0, 50.0, 100.0, 200.0)]
    assert all(a > b for a, b in zip(fids, fids[1:]))
    gen = HeraldedLinkModel(length_km=100.0, visibility=0.98).generated_pair
    expected = age(gen, 5e-4, 5e-4, mem, mem)
    assert fids[3] == pytest.approx(expected.fidelity, abs=1e-12)
    assert gen.fidelity == pytest.approx(0.99)  # no memory: distance-independent fidelity


def test_multiplexing_formula():
    link = HeraldedLinkModel(length_km=50.0, collection_efficiency=0.1, num_modes=100)
    p = HeraldedLinkModel(length_km=50.0, collection_efficiency=0.1).success_probability
    assert link.success_probability == pytest.approx(1 - (1 - p) ** 100, rel=1e-12)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"length_km": -3}, "length_km=-3 is negative; give a fibre length >= 0 km"),
    ({"length_km": 1.0, "detection_efficiency": 1.2}, r"detection_efficiency=1.2 is outside \[0, 1\]"),
    ({"length_km": 1.0, "visibility": -0.1}, r"visibility=-0.1 is outside \[0, 1\]"),
    ({"length_km": 1.0, "scheme": "triple-click"}, "scheme='triple-click' is not recognised"),
    ({"length_km": 1.0, "scheme": "single-click"}, "bright_state_population=None"),
    ({"length_km": 1.0, "bright_state_population": 0.1}, "only used by"),
    ({"length_km": 1.0, "num_modes": 0}, "num_modes=0"),
    ({"length_km": 1.0, "wavelength_nm": 500}, "no tabulated attenuation"),
    ({"length_km": 100.0, "memory": QuantumMemory.depolarizing(time_s=1.0, cutoff_s=1e-4)},
     "cutoff_s=0.0001 is shorter than the herald latency"),
])
def test_bad_link_inputs_raise(kwargs, match):
    with pytest.raises(PhysicsParameterError, match=match):
        HeraldedLinkModel(**kwargs)


def test_link_that_never_heralds():
    link = HeraldedLinkModel(length_km=1.0, detection_efficiency=0.0)
    with pytest.raises(PhysicsParameterError, match="never heralds"):
        _ = link.generated_pair
    with pytest.raises(PhysicsParameterError, match="success_probability is 0"):
        link.sample_time_to_herald_s(3, seed=0)
    assert isinstance(HeraldedLinkModel(length_km=1.0).delivered_pair, BellPair)
