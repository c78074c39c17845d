"""Entanglement-bank tests: discrete-event sampler vs the single-slot closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest

from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import BellPair, QuantumMemory, age
from welinq_core.physics.bank import simulate_bank, single_slot_bank_statistics

MEM = QuantumMemory.depolarizing(time_s=0.06)  # tau_pair = 0.03 s


def test_worked_example_closed_form():
    s = single_slot_bank_statistics(generation_rate_hz=50.0, request_rate_hz=20.0,
                                    initial_fidelity=0.95, pair_decay_time_s=0.03, cutoff_s=0.05)
    assert s.hit_ratio == pytest.approx(0.612, abs=5e-4)
    assert s.mean_consumed_fidelity == pytest.approx(0.636, abs=5e-4)


@pytest.mark.parametrize(("rate", "lam", "t_c", "seed"), [(50.0, 20.0, 0.05, 11), (10.0, 30.0, 0.2, 12)])
def test_single_slot_monte_carlo_matches_closed_form(rate, lam, t_c, seed):
    stats = simulate_bank(pair=BellPair.werner(0.95), generation_rate_hz=rate, capacity=1,
                          duration_s=600.0, request_rate_hz=lam, memory_a=MEM, memory_b=MEM,
                          cutoff_s=t_c, seed=seed)
    exact = single_slot_bank_statistics(generation_rate_hz=rate, request_rate_hz=lam,
                                        initial_fidelity=0.95, pair_decay_time_s=0.03,
                                        cutoff_s=t_c)
    n = stats.num_requests
    h = exact.hit_ratio
    assert abs(stats.hit_ratio - h) < 4 * math.sqrt(h * (1 - h) / n)
    f = np.array(stats.consumed_fidelities)
    assert abs(f.mean() - exact.mean_consumed_fidelity) < 4 * f.std() / math.sqrt(f.size)
    assert stats.num_generated == stats.num_consumed + stats.num_discarded + (
        stats.num_generated - stats.num_consumed - stats.num_discarded)
    assert 0 <= stats.num_generated - stats.num_consumed - stats.num_discarded <= 1


def test_closed_form_limits():
    s = single_slot_bank_statistics(generation_rate_hz=30.0, request_rate_hz=10.0,
                                    initial_fidelity=0.9, pair_decay_time_s=0.1)
    assert s.hit_ratio == pytest.approx(0.75)
    assert s.mean_consumed_fidelity == pytest.approx(0.25 + 0.65 * 10 / 20)


def test_cutoff_policy_is_respected():
    t_cut = 0.02
    stats = simulate_bank(pair=BellPair.werner(0.95), generation_rate_hz=200.0, capacity=4,
                          duration_s=30.0, request_rate_hz=30.0, memory_a=MEM, memory_b=MEM,
                          cutoff_s=t_cut, seed=3)
    assert max(stats.consumed_ages_s) <= t_cut
    assert stats.num_discarded > 0
    stats = simulate_bank(pair=BellPair.werner(0.95), generation_rate_hz=200.0, capacity=4,
                          duration_s=30.0, request_rate_hz=30.0, memory_a=MEM, memory_b=MEM,
                          min_fidelity=0.85, seed=3)
    assert min(stats.consumed_fidelities) >= 0.85 - 1e-12
    assert stats.cutoff_s == pytest.approx(0.03 * math.log(0.7 / 0.6))


def test_lifo_serves_freshest_pair():
    slow = QuantumMemory.depolarizing(time_s=10.0)
    # three pairs are stored early; two back-to-back requests take the newest, then the next
    stats = simulate_bank(pair=BellPair.werner(0.95), generation_rate_hz=1e4, capacity=3,
                          duration_s=1.0 + 2e-9, request_times_s=[1.0, 1.0 + 1e-9],
                          memory_a=slow, memory_b=slow, seed=0)
    assert stats.num_hits == 2
    first, second = stats.consumed_ages_s
    assert first < second - 1e-9  # freshest first
    assert stats.consumed_fidelities[0] > stats.consumed_fidelities[1]
    assert stats.consumed_fidelities[0] == pytest.approx(
        age(BellPair.werner(0.95), first, first, slow, slow).fidelity, abs=1e-12)


def test_more_slots_raise_the_hit_ratio_and_seed_is_reproducible():
    kw = dict(pair=BellPair.werner(0.95), generation_rate_hz=20.0, duration_s=200.0,
              request_rate_hz=15.0, seed=5)
    h1 = simulate_bank(capacity=1, **kw).hit_ratio
    h4 = simulate_bank(capacity=4, **kw).hit_ratio
    assert h4 > h1
    assert simulate_bank(capacity=2, **kw) == simulate_bank(capacity=2, **kw)


def test_geometric_generation_and_retrieval_losses():
    lossy = QuantumMemory.ideal(efficiency=0.5)
    stats = simulate_bank(pair=BellPair.werner(0.9), generation_rate_hz=100.0, capacity=2,
                          duration_s=50.0, request_rate_hz=10.0, memory_a=lossy,
                          generation="geometric", attempt_duration_s=1e-3, seed=9)
    assert stats.num_retrieval_failures > 0
    assert all(f == pytest.approx(0.9) for f in stats.consumed_fidelities)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"generation_rate_hz": -1.0}, "generation_rate_hz=-1.0 is not positive"),
    ({"capacity": 0}, "capacity=0 is not a positive integer"),
    ({"request_rate_hz": None}, "give exactly one of request_rate_hz and request_times_s"),
    ({"cutoff_s": -0.1}, "cutoff_s=-0.1 is not positive"),
    ({"generation": "poisson"}, "generation='poisson'"),
    ({"generation": "geometric", "attempt_duration_s": 1.0}, "> 1"),
])
def test_bad_bank_inputs_raise(kwargs, match):
    base = dict(pair=BellPair.werner(0.9), generation_rate_hz=10.0, capacity=1, duration_s=1.0,
                request_rate_hz=5.0)
    base.update(kwargs)
    with pytest.raises(PhysicsParameterError, match=match):
        simulate_bank(**base)


def test_bad_closed_form_inputs_raise():
    with pytest.raises(PhysicsParameterError, match=r"initial_fidelity=1.5 is outside"):
        single_slot_bank_statistics(generation_rate_hz=1.0, request_rate_hz=1.0,
                                    initial_fidelity=1.5)
