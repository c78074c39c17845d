"""Distillation inside the schedule: exact pair states, raw-pair counts, timing and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.schedule._helpers import TIMED_QPU
from welinq_core import Circuit, Cluster, Link, Operation, lower
from welinq_core.errors import OptionsError
from welinq_core.physics import BellPair, QuantumMemory, age, distill, distill_until
from welinq_core.pipeline import compile_program
from welinq_core.schedule import DistillationPolicy, schedule


def _remote_chain(link: Link, num_remote: int):
    """num_remote remote CX gates, each its own packet (an H on the control breaks the copy,
    an S on the target keeps the cx targets from forming one h-conjugated packet)."""
    ops = []
    for _ in range(num_remote):
        ops += [Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 1)), Operation(name="s", qubits=(1,))]
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, qpu=TIMED_QPU, link=link)
    # windows=False: the whole chain commutes with Z on one qubit, so one restoring window
    # (1 pair) would serve it; this test wants one packet per gate.
    return lower(Circuit(num_qubits=2, operations=ops), cluster, ("qpu0", "qpu1"), windows=False)


@pytest.mark.parametrize("protocol", ["dejmps", "bbpssw"])
@pytest.mark.parametrize("rounds", [1, 2])
def test_distilled_pairs_are_the_closed_form_without_memory(protocol, rounds):
    raw = BellPair(p_i=0.86, p_x=0.03, p_y=0.02, p_z=0.09)
    link = Link(bell_pair_fidelity=0.86, bell_pair_probabilities=raw.probabilities, bell_pair_rate_hz=500.0)
    s = schedule(_remote_chain(link, 3), seed=4, distillation=protocol, distillation_rounds=rounds)
    expected = raw
    for _ in range(rounds):
        expected = distill(expected, expected, protocol=protocol).pair
    for state in s.pair_states():
        np.testing.assert_allclose(state, expected.probabilities, atol=1e-12)
    usage = s.links[0]
    assert usage.consumed == 3 and usage.distillation_rounds == rounds
    assert usage.raw_consumed >= 3 * 2 ** rounds
    if rounds == 1:  # every attempt of the single round takes two raw pairs
        assert usage.raw_consumed == 2 * (usage.consumed + usage.distillation_failures)


def test_distilled_pair_ages_during_the_rounds_exactly():
    # instantaneous raw pairs, depolarizing memory: each round takes the QPUs' 2q gate +
    # measurement time plus one fibre latency, during which the output ages on both halves
    mem = QuantumMemory.depolarizing(time_s=2e-3)
    link = Link(bell_pair_fidelity=0.9, length_km=10.0, memory=mem)
    s = schedule(_remote_chain(link, 1), seed=2, distillation="dejmps", distillation_rounds=2)
    wait = TIMED_QPU.two_qubit_gate_duration_s + TIMED_QPU.measurement_duration_s + 10.0 * 5e-6
    stage = BellPair.werner(0.9)
    for _ in range(2):
        stage = age(distill(stage, stage).pair, wait, wait, mem, mem)
    (rec,) = s.pairs
    expected = age(stage, rec.wait_a_s, rec.wait_b_s, mem, mem)
    np.testing.assert_allclose(rec.probabilities, expected.probabilities, atol=1e-12)
    assert rec.generated_s == pytest.approx(rec.requested_s + 2 * wait, abs=1e-15)


def test_raw_pairs_per_delivered_pair_match_the_expected_cost():
    link = Link(bell_pair_fidelity=0.75, bell_pair_rate_hz=1e4)
    program = _remote_chain(link, 60)
    per_pair = []
    for seed in range(4):
        usage = schedule(program, seed=seed, distillation="bbpssw", distillation_rounds=2).links[0]
        per_pair.append(usage.raw_consumed / usage.consumed)
        assert usage.raw_consumed >= 4 * usage.consumed
    first = distill(BellPair.werner(0.75), BellPair.werner(0.75), protocol="bbpssw")
    second = distill(first.pair, first.pair, protocol="bbpssw")
    expected = 2 * (2 / first.success_probability) / second.success_probability
    assert expected == pytest.approx(distill_until(BellPair.werner(0.75), second.pair.fidelity - 1e-12,
                                                   protocol="bbpssw").expected_pairs_consumed, rel=1e-12)
    # 240 delivered pairs: the mean cost is within a few percent of 2 (2 / p1) / p2
    assert np.mean(per_pair) == pytest.approx(expected, rel=0.08)


def test_distillation_trades_rate_for_fidelity_in_a_run():
    link = Link(bell_pair_fidelity=0.9, bell_pair_rate_hz=200.0, memory=QuantumMemory.depolarizing(time_s=1.0))
    program = _remote_chain(link, 4)
    plain = schedule(program, seed=3)
    distilled = schedule(program, seed=3, distillation="dejmps", distillation_target_fidelity=0.95)
    assert np.mean(distilled.consumed_fidelities) > np.mean(plain.consumed_fidelities)
    assert distilled.makespan_s > plain.makespan_s
    summary = distilled.summary()["links"]["qpu0-qpu1"]
    assert summary["consumed"] == 4 and summary["raw_consumed"] >= 8


def test_pipeline_passes_distillation_and_reports_raw_pairs():
    link = Link(bell_pair_fidelity=0.9, bell_pair_rate_hz=1e3)
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, qpu=TIMED_QPU, link=link)
    c = Circuit(num_qubits=2, operations=[Operation(name="cx", qubits=(0, 1))])
    compiled = compile_program(c, cluster, seed=1, assignment=("qpu0", "qpu1"), distillation="dejmps")
    links = compiled.report.schedule["links"]["qpu0-qpu1"]
    assert links["consumed"] == 1 and links["raw_consumed"] >= 2
    assert compiled.report.noise["mean_pair_fidelity"] == pytest.approx(
        distill(BellPair.werner(0.9), BellPair.werner(0.9)).pair.fidelity, abs=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    ({"distillation": "dejmps", "distillation_rounds": 0}, "rounds=0 is not a positive integer"),
    ({"distillation": "dejmps", "distillation_rounds": 1.5}, "rounds=1.5 is not a positive integer"),
    ({"distillation": "dejmps", "distillation_target_fidelity": 1.2}, r"target_fidelity=1.2 is outside"),
    ({"distillation": "nope"}, "protocol='nope' is unknown"),
    ({"distillation_rounds": 2}, "need a protocol"),
    ({"distillation": "dejmps", "distillation_rounds": 1, "distillation_target_fidelity": 0.9}, "exactly one"),
])
def test_bad_distillation_settings_raise_options_errors(kwargs, match):
    program = _remote_chain(Link(bell_pair_fidelity=0.9, bell_pair_rate_hz=1e3), 1)
    with pytest.raises(OptionsError, match=match):
        schedule(program, seed=0, **kwargs)


def test_unreachable_target_names_the_best_reachable_fidelity():
    program = _remote_chain(Link(bell_pair_fidelity=0.5, bell_pair_rate_hz=1e3), 1)
    with pytest.raises(OptionsError, match=r"best reachable is 0\.500000"):
        schedule(program, seed=0, distillation="bbpssw", distillation_target_fidelity=0.9)
    assert DistillationPolicy(target_fidelity=0.92).rounds_for(BellPair.werner(0.9)) == 1
    assert DistillationPolicy(target_fidelity=0.95).rounds_for(BellPair.werner(0.9)) == 2
    assert math.isfinite(DistillationPolicy(rounds=3).rounds_for(BellPair.werner(0.6)))
