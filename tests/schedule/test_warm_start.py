"""Banks that start warm: served at once, stall saved against the same shot started cold."""

from __future__ import annotations

import numpy as np
import pytest

from tests.schedule._helpers import TIMED_QPU
from welinq_core import Circuit, Cluster, Link, Operation, lower
from welinq_core.errors import OptionsError
from welinq_core.pair_source import PairSource
from welinq_core.physics import QuantumMemory
from welinq_core.schedule import schedule


def _chain(link: Link, n: int = 4, capacity_qpu=TIMED_QPU):
    ops = []
    for _ in range(n):
        # h on the control and s on the target: every cx is its own packet
        ops += [Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 1)), Operation(name="s", qubits=(1,))]
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, qpu=capacity_qpu, link=link)
    return lower(Circuit(num_qubits=2, operations=ops), cluster, ("qpu0", "qpu1"))


def test_full_bank_serves_the_first_requests_at_once_and_reports_the_saving():
    link = Link(bell_pair_fidelity=0.9, bell_pair_rate_hz=50.0, memory=QuantumMemory.depolarizing(time_s=1.0))
    program = _chain(link)
    cold = schedule(program, seed=7)
    warm = schedule(program, seed=7, bank_warm_start="full")
    capacity = warm.links[0].capacity
    assert capacity == 2
    assert [p.from_bank for p in warm.pairs[:capacity]] == [True] * capacity
    assert all(p.stall_s == pytest.approx(0.0, abs=1e-15) for p in warm.packets[:capacity])
    # the saving is measured against the same shot (same seed) started cold
    assert warm.warm_start_stall_saved_s == pytest.approx(cold.total_stall_s - warm.total_stall_s, abs=1e-15)
    assert warm.warm_start_stall_saved_s > 0
    assert warm.summary()["warm_start_stall_saved_s"] > 0
    assert cold.warm_start_stall_saved_s is None


def test_warm_pairs_age_from_the_start():
    mem = QuantumMemory.depolarizing(time_s=0.2)
    program = _chain(Link(bell_pair_fidelity=0.9, bell_pair_rate_hz=10.0, memory=mem), n=1)
    s = schedule(program, seed=1, bank_warm_start=1)
    (rec,) = s.pairs
    assert rec.from_bank and rec.generated_s == 0.0
    f = 0.25 + (0.9 - 0.25) * np.exp(-(rec.wait_a_s + rec.wait_b_s) / 0.2)
    assert rec.fidelity == pytest.approx(f, abs=1e-12)


@pytest.mark.parametrize("value, match", [
    (3, "bank_warm_start=3 exceeds the bank capacity 2"),
    (-1, "bank_warm_start=-1 must be an integer"),
    (1.5, "bank_warm_start=1.5 must be an integer"),
])
def test_bad_warm_start_raises_options_errors(value, match):
    program = _chain(Link(bell_pair_fidelity=0.9, bell_pair_rate_hz=50.0))
    with pytest.raises(OptionsError, match=match):
        schedule(program, seed=0, bank_warm_start=value)
    with pytest.raises(OptionsError, match="initial_pairs=3"):
        PairSource(Link(bell_pair_rate_hz=1.0), capacity=2, rng=np.random.default_rng(0), initial_pairs=3)
