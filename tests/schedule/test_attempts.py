"""Generation as attempts: the schedule draws attempt counts (geometric), not exponential waits,
and the mean rate stays the link's rate."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from welinq_core import Circuit, Cluster, Link, Operation, lower
from welinq_core.errors import ClusterSpecError
from welinq_core.pair_source import PairSource
from welinq_core.physics import HeraldedLinkModel
from welinq_core.schedule import schedule


def _on_demand_waits(link, n, seed):
    """Time from each request to its pair, requests made when the previous pair arrives."""
    src = PairSource(link, capacity=0, rng=np.random.default_rng(seed))
    t, out = 0.0, []
    for _ in range(n):
        g, d, _ = src.request(t)
        out.append(d - t)
        t = d
    return np.array(out), src


@pytest.mark.parametrize("p,modes", [(0.05, 1), (0.01, 4), (0.6, 1)])
def test_attempt_counts_are_geometric(p, modes):
    period, herald = 1e-5, 3e-5
    link = Link(bell_pair_fidelity=0.9, attempt_duration_s=period, attempt_success_probability=p, num_modes=modes,
                herald_latency_s=herald)
    p_eff = 1 - (1 - p) ** modes
    assert link.bell_pair_rate_hz == pytest.approx(p_eff / period, rel=1e-12)
    waits, src = _on_demand_waits(link, 20_000, seed=7)
    k = (waits - herald) / period
    assert np.allclose(k, np.round(k), atol=1e-6) and np.round(k).min() >= 1  # whole attempts
    k = np.round(k).astype(int)
    assert src.num_attempts == k.sum()
    # chi-square against Geometric(p_eff) on bins of at least ~50 expected counts
    edges = sorted(set(int(x) for x in stats.geom.ppf(np.linspace(0, 1, 21)[1:-1], p_eff))) + [np.inf]
    edges = [0.5] + [e + 0.5 for e in edges[:-1]] + [np.inf]
    observed = np.histogram(k, bins=edges)[0]
    expected = len(k) * np.diff(stats.geom.cdf(np.array(edges), p_eff))
    keep = expected > 0
    chi2 = stats.chisquare(observed[keep], expected[keep] * observed[keep].sum() / expected[keep].sum())
    assert chi2.pvalue > 1e-3, (chi2, observed, expected)
    # the mean: T / p_eff + herald
    assert waits.mean() == pytest.approx(period / p_eff + herald, rel=5 * math.sqrt(1 - p_eff) / math.sqrt(len(k)))


def test_a_rate_alone_keeps_its_mean_and_is_nearly_exponential():
    link = Link(bell_pair_fidelity=0.97, bell_pair_rate_hz=200.0, length_km=0.002)
    period, p_eff, herald = link.attempts
    assert period == pytest.approx(2e-6 + 1e-8) and p_eff == pytest.approx(200.0 * period) and herald == 0.0
    waits, _ = _on_demand_waits(link, 20_000, seed=3)
    assert waits.mean() == pytest.approx(1 / 200.0, rel=5 / math.sqrt(len(waits)))
    # with p ~ 4e-4 the geometric is the exponential to within one attempt
    assert stats.kstest(waits, "expon", args=(0, 1 / 200.0)).pvalue > 1e-3


def test_fast_links_become_one_pair_per_attempt():
    link = Link(bell_pair_rate_hz=1e7)  # 1/rate below the default 2 us preparation
    assert link.attempts == (1e-7, 1.0, 0.0)
    waits, _ = _on_demand_waits(link, 100, seed=1)
    np.testing.assert_allclose(waits, 1e-7)


def test_bank_throughput_is_the_rate_with_herald_latency():
    # attempts continue while a herald travels: a bank fills at p_eff / T, not slower
    link = Link(attempt_duration_s=1e-4, attempt_success_probability=0.2, herald_latency_s=5e-4)
    src = PairSource(link, capacity=10**6, rng=np.random.default_rng(2))
    src.advance(20.0)
    assert src.num_generated / 20.0 == pytest.approx(2000.0, rel=0.03)


def test_from_physics_carries_the_attempts():
    model = HeraldedLinkModel(length_km=20.0, collection_efficiency=0.3, num_modes=5, waits_for_herald=False)
    link = Link.from_physics(model)
    assert link.attempt_duration_s == pytest.approx(model.attempt_duration_s)
    assert link.attempt_success_probability == pytest.approx(model.success_probability_per_mode)
    assert link.num_modes == 5 and link.herald_latency_s == pytest.approx(model.herald_latency_s)
    assert link.bell_pair_rate_hz == pytest.approx(model.mean_pair_rate_hz, rel=1e-12)
    waits, _ = _on_demand_waits(link, 5000, seed=4)
    assert waits.mean() == pytest.approx(model.mean_time_to_herald_s, rel=5 / math.sqrt(5000))
    assert Link.from_json_dict(link.to_json_dict()) == link


def test_schedule_uses_attempts():
    link = Link(bell_pair_fidelity=0.95, attempt_duration_s=1e-3, attempt_success_probability=0.5,
                herald_latency_s=2e-4)
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, link=link)
    prog = lower(Circuit(num_qubits=2, operations=[Operation(name="cx", qubits=(0, 1))]), cluster, ("qpu0", "qpu1"))
    s = schedule(prog, seed=5, bank=False)
    k = (s.pairs[0].generated_s - 2e-4) / 1e-3
    assert abs(k - round(k)) < 1e-9 and round(k) >= 1


@pytest.mark.parametrize("kw,match", [
    (dict(attempt_duration_s=0.0, bell_pair_rate_hz=10.0), "attempt_duration_s"),
    (dict(attempt_success_probability=1.5, bell_pair_rate_hz=10.0), "attempt_success_probability"),
    (dict(num_modes=0, bell_pair_rate_hz=10.0), "num_modes"),
    (dict(herald_latency_s=-1.0, bell_pair_rate_hz=10.0), "herald_latency_s"),
    (dict(attempt_duration_s=1.0, bell_pair_rate_hz=10.0), "more than one pair per attempt"),
    (dict(attempt_duration_s=1e-3, attempt_success_probability=0.1, bell_pair_rate_hz=10.0), "disagrees"),
    (dict(attempt_duration_s=1e-3), "without a bell_pair_rate_hz"),
])
def test_bad_attempts_are_named(kw, match):
    with pytest.raises(ClusterSpecError, match=match):
        Link(**kw)
