"""Prefetch: links generate ahead of the planned use by a lead; closed forms on a
deterministic link, the saving and the fidelity cost against requests at the open."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.schedule._helpers import TIMED_QPU
from welinq_core import Circuit, Cluster, Link, Operation, lower
from welinq_core.errors import OptionsError
from welinq_core.pair_source import PairSource
from welinq_core.physics import QuantumMemory
from welinq_core.pipeline import compile_program
from welinq_core.schedule import schedule
from welinq_core.schedule.prefetch import expected_delivery_s
from welinq_core.schedule.simulation import simulate_shot

GEN_S = 3e-4  # deterministic generation time: one attempt of 0.3 ms that always succeeds
TAU_S = 1e-2
F0 = 0.9
LOCAL_GATES = 100  # x 10 us of single-qubit gates on the control before the remote gate
WORK_S = LOCAL_GATES * TIMED_QPU.single_qubit_gate_duration_s


def _link(**kw) -> Link:
    return Link(bell_pair_fidelity=F0, attempt_duration_s=GEN_S, attempt_success_probability=1.0,
                memory=QuantumMemory.depolarizing(time_s=TAU_S), **kw)


def _program(link: Link, n_gates: int = LOCAL_GATES, n_remote: int = 1):
    ops = []
    for _ in range(n_remote):
        for _ in range(n_gates):  # barriers keep the gates from being fused away
            ops += [Operation(name="h", qubits=(0,)), Operation(name="barrier", qubits=(0,))]
        ops += [Operation(name="cx", qubits=(0, 1)), Operation(name="s", qubits=(1,))]
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, qpu=TIMED_QPU, link=link)
    return lower(Circuit(num_qubits=2, operations=ops), cluster, ("qpu0", "qpu1"))


def _werner(f0: float, wait_s: float) -> float:
    return 0.25 + (f0 - 0.25) * math.exp(-wait_s / TAU_S)


@pytest.mark.parametrize("lead_s", [0.0, 1e-4, 2e-4, GEN_S, 5e-4, 8e-4])
def test_one_remote_gate_after_known_local_work_matches_the_closed_form(lead_s):
    program = _program(_link())
    at_open = schedule(program, seed=0, bank=False)
    pre = schedule(program, seed=0, prefetch=lead_s)
    (pk0,), (pk,) = at_open.packets, pre.packets
    # the packet opens when the local work ends, with or without prefetch
    assert pk0.requested_s == pytest.approx(WORK_S, abs=1e-15) and pk.requested_s == pytest.approx(WORK_S, abs=1e-15)
    assert pk0.stall_s == pytest.approx(GEN_S, abs=1e-15)
    # generation starts at WORK - lead: the stall drops by the lead (down to zero) ...
    assert pk.stall_s == pytest.approx(max(0.0, GEN_S - lead_s), abs=1e-15)
    assert pre.prefetch_stall_saved_s == pytest.approx(min(lead_s, GEN_S), abs=1e-15)
    # ... and the pair waits in memory for what the lead exceeds the generation time
    (r0,), (r,) = at_open.pairs, pre.pairs
    extra_age = max(0.0, lead_s - GEN_S)
    assert r.generated_s == pytest.approx(WORK_S - lead_s + GEN_S, abs=1e-15)
    assert r.age_s == pytest.approx(extra_age, abs=1e-15)
    assert r.wait_a_s == pytest.approx(r0.wait_a_s + extra_age, abs=1e-15)
    assert r.wait_b_s == pytest.approx(r0.wait_b_s + extra_age, abs=1e-15)
    # fidelity: Werner pair depolarizing on both halves, exp(-(wait_a + wait_b)/tau)
    assert r0.fidelity == pytest.approx(_werner(F0, r0.wait_a_s + r0.wait_b_s), abs=1e-12)
    assert r.fidelity == pytest.approx(_werner(F0, r0.wait_a_s + r0.wait_b_s + 2 * extra_age), abs=1e-12)
    assert pre.prefetch_fidelity_cost == pytest.approx(r0.fidelity - r.fidelity, abs=1e-15)
    assert pre.policy == "prefetch" and pre.summary()["prefetch_stall_saved_s"] == pytest.approx(
        min(lead_s, GEN_S), rel=1e-5)


def test_auto_lead_is_the_expected_delivery_time_and_removes_stall_and_age_on_a_deterministic_link():
    program = _program(_link())
    pre = schedule(program, seed=0, prefetch="auto")
    assert dict(pre.prefetch_lead_s) == {("qpu0", "qpu1"): pytest.approx(GEN_S, rel=1e-12)}
    assert pre.packets[0].stall_s == pytest.approx(0.0, abs=1e-15)
    assert pre.pairs[0].age_s == pytest.approx(0.0, abs=1e-15)
    # the bank that fills at once (2 slots: pairs at GEN and 2 GEN, the freshest served)
    # has no stall either, but its pair ages through the rest of the local work
    bank = schedule(program, seed=0, bank=True)
    assert bank.links[0].capacity == 2
    assert bank.pairs[0].age_s == pytest.approx(WORK_S - 2 * GEN_S, abs=1e-15)
    assert bank.pairs[0].fidelity < pre.pairs[0].fidelity


def test_lead_is_bounded_by_the_start_of_the_shot():
    program = _program(_link(), n_gates=10)  # local work 0.1 ms < generation 0.3 ms
    pre = schedule(program, seed=0, prefetch=1.0)
    assert pre.packets[0].stall_s == pytest.approx(GEN_S - 10 * 1e-5, abs=1e-15)


def test_repeated_packets_each_get_a_pair_generated_ahead_by_the_lead():
    program = _program(_link(), n_remote=3)
    pre = schedule(program, seed=0, prefetch="auto")
    assert [p.stall_s for p in pre.packets] == pytest.approx([0.0] * 3, abs=1e-15)
    assert [p.age_s for p in pre.pairs] == pytest.approx([0.0] * 3, abs=1e-15)
    assert pre.links[0].generated == 3


def test_expected_delivery_time_is_the_mean_of_the_drawn_generation_times():
    link = Link(bell_pair_fidelity=0.9, attempt_duration_s=1e-4, attempt_success_probability=0.05,
                herald_latency_s=3e-4)
    src = PairSource(link, capacity=0, rng=np.random.default_rng(5))
    t, waits = 0.0, []
    for _ in range(4000):
        _, d, _ = src.request(t)
        waits.append(d - t)
        t = d
    mean = expected_delivery_s(link)
    assert mean == pytest.approx(1e-4 / 0.05 + 3e-4, rel=1e-12)
    # geometric attempts: std of the mean = period sqrt(1-p)/p / sqrt(n)
    se = 1e-4 * math.sqrt(1 - 0.05) / 0.05 / math.sqrt(4000)
    assert abs(np.mean(waits) - mean) < 5 * se


def test_prefetch_never_generates_beyond_the_plan_and_requests_still_get_served():
    link = _link()
    src = PairSource(link, capacity=2, rng=np.random.default_rng(0), plan_s=(1e-3,), lead_s=GEN_S)
    src.advance(1e-3)
    assert src.num_stored == 1 and src.num_generated == 1
    g, _, from_bank = src.request(1e-3)
    assert from_bank and g == pytest.approx(1e-3)
    src.advance(1.0)
    assert src.num_generated == 1  # the plan is covered: nothing more made ahead
    _, d2, from_bank2 = src.request(1.0)  # an unplanned request is served on demand
    assert not from_bank2 and d2 == pytest.approx(1.0 + GEN_S)


def test_an_early_request_starts_a_planned_generation_at_once():
    src = PairSource(_link(), capacity=1, rng=np.random.default_rng(0), plan_s=(1.0,), lead_s=GEN_S)
    _, d, from_bank = src.request(0.5)  # before the planned start 1.0 - lead
    assert not from_bank and d == pytest.approx(0.5 + GEN_S)
    assert src.busy_s(0.0, 2.0) == pytest.approx(GEN_S)


@settings(max_examples=25, deadline=None)
@given(lead=st.floats(min_value=0.0, max_value=2e-3), seed=st.integers(0, 2**16))
def test_prefetch_of_a_random_link_saves_stall_and_the_pair_is_never_younger_than_requested_at_open(lead, seed):
    link = Link(bell_pair_fidelity=F0, bell_pair_rate_hz=2e3, memory=QuantumMemory.depolarizing(time_s=TAU_S))
    program = _program(link)
    pre = schedule(program, seed=seed, prefetch=lead)
    (pk,), (r,) = pre.packets, pre.pairs
    # generation starts at WORK - lead: stall + storage age = |generation time - lead|
    gen = r.generated_s - (WORK_S - lead)
    assert gen > 0
    assert pk.stall_s == pytest.approx(max(0.0, gen - lead), abs=1e-12)
    assert r.age_s == pytest.approx(max(0.0, lead - gen), abs=1e-12)


def test_per_shot_draws_use_the_same_plan_as_the_compiled_schedule():
    program = _program(_link())
    compiled = compile_program(program.circuit, program.cluster, assignment=("qpu0", "qpu1"), seed=0)
    assert compiled.schedule.policy == "prefetch"
    plan = compiled.schedule_settings["prefetch"]
    assert plan == {("qpu0", "qpu1"): (pytest.approx(GEN_S), (pytest.approx(WORK_S),))}
    run = simulate_shot(compiled.program, rng=np.random.default_rng(1), instant_pairs=False, zero_latency=False,
                        **compiled.schedule_settings)
    assert run.packets[0].stall_s == pytest.approx(0.0, abs=1e-15)
    assert run.pairs[0].probabilities == pytest.approx(compiled.schedule.pairs[0].probabilities, abs=1e-15)
    legacy = compile_program(program.circuit, program.cluster, assignment=("qpu0", "qpu1"), seed=0, prefetch=None)
    assert legacy.schedule.policy == "bank" and legacy.schedule_settings["prefetch"] is None


@pytest.mark.parametrize("value, match", [
    (-1e-3, "prefetch=-0.001 must be a lead in seconds >= 0"),
    (math.inf, "prefetch=inf must be a lead"),
    ("eager", "prefetch='eager' is unknown"),
    (True, "prefetch=True must be a lead"),
])
def test_bad_prefetch_raises_options_errors(value, match):
    with pytest.raises(OptionsError, match=match):
        schedule(_program(_link()), seed=0, prefetch=value)
