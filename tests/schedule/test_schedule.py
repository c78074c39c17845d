"""The timed schedule: determinism, bounds, stalls, bank, ledger, ageing, cutoffs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from welinq_core import Cluster, Link, Operation, QPU, lower
from welinq_core.errors import InfeasibleError, OptionsError
from welinq_core.lowering import DistributedProgram
from welinq_core.physics import BellPair, QuantumMemory, age, single_slot_bank_statistics
from welinq_core.schedule import PairSource, effective_cutoff_s, schedule
from tests.schedule._helpers import TIMED_QPU, draw_timed_cluster, end_to_end_program, ghz_circuit, line_program
from tests.strategies import assignments_for, dynamic_circuits

SLOW = Link(bell_pair_fidelity=0.97, bell_pair_rate_hz=20.0, length_km=1.0,
            memory=QuantumMemory.depolarizing(time_s=1.0))


def _local_critical_path(program: DistributedProgram) -> float:
    """Longest chain of local operations per qubit (remote gates and protocols ignored)."""
    ready: dict[int, float] = {}
    qpus = {q.name: q for q in program.cluster.qpus}
    for step in program.steps:
        if step.kind != "local":
            continue
        op = program.circuit.operations[step.op]
        qpu = qpus[program.assignment[op.qubits[0]]]
        if op.name in ("barrier", "pauli_channel"):
            d = 0.0
        elif op.name in ("measure", "reset"):
            d = qpu.measurement_duration_s
        else:
            d = qpu.single_qubit_gate_duration_s if len(op.qubits) == 1 else qpu.two_qubit_gate_duration_s
        start = max((ready.get(q, 0.0) for q in op.qubits), default=0.0)
        for q in op.qubits:
            ready[q] = start + d
    return max(ready.values(), default=0.0)


# ------------------------------------------------------------------------ determinism
@pytest.mark.parametrize("bank", [True, False])
def test_same_seed_same_schedule(bank):
    program = line_program(SLOW)
    a, b = schedule(program, seed=11, bank=bank), schedule(program, seed=11, bank=bank)
    assert a == b
    assert a.summary() == b.summary()
    assert schedule(program, seed=12, bank=bank).makespan_s != a.makespan_s


def test_generator_seed_is_accepted():
    program = line_program(SLOW)
    s1 = schedule(program, seed=np.random.default_rng(5))
    s2 = schedule(program, seed=np.random.default_rng(5))
    assert s1.makespan_s == s2.makespan_s and s1.seed is None


# ------------------------------------------------------------------------ bounds
@given(data=st.data())
def test_makespan_at_least_local_critical_path(data):
    circuit = data.draw(dynamic_circuits(max_qubits=5, max_ops=12))
    cluster = draw_timed_cluster(data, circuit.num_qubits, [Link(), SLOW])
    assignment = data.draw(assignments_for(circuit.num_qubits, cluster))
    program = lower(circuit, cluster, assignment)
    s = schedule(program, seed=data.draw(st.integers(0, 100)), bank=data.draw(st.booleans()))
    bound = _local_critical_path(program)
    assert s.makespan_s >= bound - 1e-12
    assert s.makespan_s >= s.latency_makespan_s - 1e-12 >= s.local_makespan_s - 2e-12
    for t in s.operations:
        assert 0.0 <= t.start_s <= t.end_s <= s.makespan_s + 1e-12
    assert s.total_stall_s >= 0.0 and all(i.duration_s > 0 for i in s.idle)


def test_local_only_program_has_no_pairs_and_exact_makespan():
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3, qpu=TIMED_QPU, link=SLOW)
    program = lower(ghz_circuit(3), cluster, ("qpu0",) * 3)
    s = schedule(program, seed=0)
    # h (10 us) + 2 cx (100 us each) + measurement (300 us) on the last qubit
    assert s.makespan_s == pytest.approx(1e-5 + 2e-4 + 3e-4)
    assert s.pairs == () and s.bottleneck == "local" and s.total_stall_s == 0.0


# ------------------------------------------------------------------------ stall and verdict
def test_unlimited_rate_and_zero_latency_never_stall():
    program = line_program(Link(bell_pair_fidelity=0.95))
    s = schedule(program, seed=3)
    assert s.total_stall_s == 0.0
    assert all(v == 0.0 for _, v in s.stall_s_per_qpu)
    assert s.makespan_s == s.local_makespan_s == s.latency_makespan_s
    assert all(p.age_s == 0.0 and p.wait_a_s == 0.0 for p in s.pairs)
    assert s.bottleneck == "local" and s.verdict.startswith("compute-bound")


def test_ideal_cluster_takes_no_time():
    program = line_program(Link(), qpu=QPU(name="x", num_data_qubits=2))
    s = schedule(program, seed=0)
    assert s.makespan_s == 0.0 and s.bottleneck == "none" and "no time cost" in s.verdict


@pytest.mark.parametrize("bank", [True, False])
def test_slow_links_make_the_network_the_bottleneck(bank):
    program = line_program(SLOW)
    s = schedule(program, seed=4, bank=bank)
    assert s.total_stall_s > 0.0
    assert s.is_network_bound and s.verdict.startswith("network-bound")
    assert "20 Hz" in s.verdict
    # 2 pairs at 20 Hz take ~0.1 s against ~2 ms of local work
    assert s.pair_wait_overhead_s > 10 * s.local_makespan_s
    demand = {l.link: l.demand_rate_hz for l in s.links}
    assert all(d > 20.0 for d in demand.values())


def test_long_fibre_makes_latency_the_bottleneck():
    fast_far = Link(bell_pair_fidelity=0.97, length_km=500.0)  # unlimited rate, 2.5 ms per message
    s = schedule(line_program(fast_far), seed=0)
    assert s.bottleneck == "latency" and s.verdict.startswith("latency-bound")
    assert s.latency_overhead_s == pytest.approx(s.makespan_s - s.local_makespan_s)
    assert s.total_stall_s == 0.0


def test_stall_is_time_from_request_to_commit():
    s = schedule(line_program(SLOW), seed=8, bank=False)
    for pk in s.packets:
        assert pk.stall_s == pytest.approx(pk.committed_s - pk.requested_s)
        assert pk.requested_s <= pk.committed_s <= pk.copy_ready_s <= pk.closed_s <= pk.done_s
    per_qpu = dict(s.stall_s_per_qpu)
    assert per_qpu["qpu1"] == pytest.approx(s.total_stall_s)  # qpu1 is an end of both packets


# ------------------------------------------------------------------------ ledger
@pytest.mark.parametrize("builder", [line_program, end_to_end_program])
def test_every_ledger_pair_is_scheduled_exactly_once(builder):
    program = builder(SLOW)
    s = schedule(program, seed=2)
    assert len(s.pairs) == program.num_bell_pairs == len(s.pair_states())
    for rec, use in zip(s.pairs, program.bell_pairs):
        assert (rec.index, rec.link, rec.packet, rec.hop) == (use.index, use.link, use.packet, use.hop)
    consumed = {f"{a}-{b}": 0 for (a, b), _ in program.cluster.links}
    for l in s.links:
        consumed[f"{l.link[0]}-{l.link[1]}"] = l.consumed
    assert consumed == {f"{a}-{b}": n for (a, b), n in program.bell_pairs_per_link().items()}
    assert sum(l.generated for l in s.links) >= program.num_bell_pairs


def test_multi_hop_pairs_commit_together_and_age_in_both_memories():
    mem = QuantumMemory.depolarizing(time_s=0.05)
    link = Link(bell_pair_fidelity=0.98, bell_pair_rate_hz=50.0, length_km=2.0, memory=mem)
    program = end_to_end_program(link, num_qpus=4)
    s = schedule(program, seed=9, bank=False)
    assert len(s.pairs) == 3 and len({p.consumed_s for p in s.pairs}) == 1
    for p in s.pairs:
        expected = age(BellPair.werner(0.98), p.wait_a_s, p.wait_b_s, mem, mem)
        assert p.probabilities == pytest.approx(expected.probabilities, abs=1e-12)
    # pairs that arrived first waited for the others
    assert max(p.age_s for p in s.pairs) > 0 and min(p.age_s for p in s.pairs) == 0.0
    # the last hop's far end also waits for the cat-entangler and both swap messages
    last = s.pairs[-1]
    assert last.wait_b_s > last.wait_a_s


# ------------------------------------------------------------------------ ageing
@pytest.mark.parametrize("bank", [True, False])
def test_consumed_fidelity_falls_with_link_length(bank):
    """SeQUeNCe #377: fixed hardware, longer fibre -> older pair at delivery and use."""
    mem = QuantumMemory.depolarizing(time_s=2e-3)
    lengths = (1.0, 10.0, 25.0, 50.0)
    fids = []
    for length in lengths:
        link = Link.from_physics(length_km=length, collection_efficiency=0.5, visibility=0.95, memory=mem)
        cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, qpu=TIMED_QPU, link=link)
        s = schedule(lower(ghz_circuit(4), cluster, ("qpu0", "qpu0", "qpu1", "qpu1")), seed=1, bank=bank)
        fids.append(s.pairs[0].fidelity)
    assert all(a > b for a, b in zip(fids, fids[1:])), fids


def test_decoherence_during_classical_transit():
    """SeQUeNCe PR #359: the copy's end keeps ageing while the cat-entangler bit travels."""
    mem = QuantumMemory.depolarizing(time_s=1e-3)
    results = {}
    for length in (0.0, 40.0):  # 40 km: 200 us one way
        link = Link(bell_pair_fidelity=0.99, length_km=length, memory=mem)
        cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, qpu=TIMED_QPU, link=link)
        s = schedule(lower(ghz_circuit(4), cluster, ("qpu0", "qpu0", "qpu1", "qpu1")), seed=0)
        (p,) = s.pairs
        # unlimited rate: used on arrival at the source; the target end waits for
        # CNOT + measurement + message + X correction
        assert p.age_s == 0.0 and p.wait_a_s == 0.0
        transit = TIMED_QPU.two_qubit_gate_duration_s + TIMED_QPU.measurement_duration_s + link.latency_s \
            + TIMED_QPU.single_qubit_gate_duration_s
        assert p.wait_b_s == pytest.approx(transit)
        assert p.fidelity == pytest.approx(age(BellPair.werner(0.99), 0.0, transit, mem, mem).fidelity)
        results[length] = p.fidelity
    assert results[40.0] < results[0.0]
    assert results[0.0] - results[40.0] == pytest.approx(
        0.74 * (math.exp(-4.1e-4 / 1e-3) - math.exp(-6.1e-4 / 1e-3)), rel=1e-9)


# ------------------------------------------------------------------------ cutoff
@pytest.mark.parametrize("bank", [True, False])
def test_no_consumed_pair_is_older_than_the_cutoff(bank):
    cutoff = 5e-3
    mem = QuantumMemory.depolarizing(time_s=0.02, cutoff_s=cutoff)
    link = Link(bell_pair_fidelity=0.97, bell_pair_rate_hz=150.0, memory=mem)
    program = end_to_end_program(link, num_qpus=4)  # 3 hops must all be alive at once
    s = schedule(program, seed=21, bank=bank, warmup_s=0.1)
    assert all(p.age_s <= cutoff + 1e-15 for p in s.pairs)
    assert sum(l.discarded for l in s.links) > 0
    assert s.packets[0].num_requests > 3


def test_min_fidelity_sets_the_cutoff():
    mem = QuantumMemory.depolarizing(time_s=0.06, min_fidelity=0.8)
    link = Link(bell_pair_fidelity=0.95, bell_pair_rate_hz=100.0, memory=mem)
    assert effective_cutoff_s(link) == pytest.approx(0.06 / 2 * math.log(0.7 / 0.55))


def test_impossible_cutoff_is_reported():
    mem = QuantumMemory.ideal(cutoff_s=1e-6)
    link = Link(bell_pair_fidelity=0.97, bell_pair_rate_hz=1.0, memory=mem)
    with pytest.raises(InfeasibleError, match="raise the link rates or the cutoff"):
        schedule(end_to_end_program(link, num_qpus=3), seed=0)


# ------------------------------------------------------------------------ bank
def test_single_slot_bank_matches_closed_form():
    rate, lam, t_c, tau_mem, f0 = 50.0, 20.0, 0.05, 0.06, 0.95
    mem = QuantumMemory.depolarizing(time_s=tau_mem, cutoff_s=t_c)
    link = Link(bell_pair_fidelity=f0, bell_pair_rate_hz=rate, memory=mem)
    rng = np.random.default_rng(2024)
    source = PairSource(link, capacity=1, rng=rng)
    times = np.cumsum(rng.exponential(1 / lam, size=12_000))
    ages = []
    for t in times:
        g = source.take(float(t))
        if g is not None:
            ages.append(t - g)
    n = len(times)
    fids = np.array([age(BellPair.werner(f0), a, a, mem, mem).fidelity for a in ages])
    expected = single_slot_bank_statistics(generation_rate_hz=rate, request_rate_hz=lam, initial_fidelity=f0,
                                           pair_decay_time_s=tau_mem / 2, cutoff_s=t_c)
    hit = len(ages) / n
    assert abs(hit - expected.hit_ratio) < 4 * math.sqrt(hit * (1 - hit) / n)
    assert abs(fids.mean() - expected.mean_consumed_fidelity) < 4 * fids.std() / math.sqrt(len(fids))
    assert max(ages) <= t_c
    assert source.num_hits == len(ages) and source.num_misses == n - len(ages)


def test_on_demand_generation_is_serial():
    source = PairSource(Link(bell_pair_rate_hz=100.0), capacity=0, rng=np.random.default_rng(0))
    first = source.request(0.0)
    second = source.request(0.0)
    assert first[2] is False and second[0] > first[0] > 0.0
    assert source.busy_s(0.0, second[0]) == pytest.approx(second[0])


def test_warm_bank_serves_stored_pairs_without_stall():
    link = Link(bell_pair_fidelity=0.97, bell_pair_rate_hz=1e3, memory=QuantumMemory.depolarizing(time_s=1.0))
    s = schedule(line_program(link), seed=1, bank=True, warmup_s=0.05)
    assert all(p.from_bank and p.age_s > 0 for p in s.pairs)
    assert s.total_stall_s == 0.0 and s.bottleneck != "network"
    cold = schedule(line_program(link), seed=1, bank=False)
    assert cold.total_stall_s > 0.0


def test_retrieval_losses_are_counted():
    mem = QuantumMemory.ideal(efficiency=0.5)
    link = Link(bell_pair_fidelity=0.97, bell_pair_rate_hz=1e3, memory=mem)
    s = schedule(line_program(link), seed=3, bank=True, bank_capacity=4, warmup_s=0.05)
    assert sum(l.lost for l in s.links) > 0


# ------------------------------------------------------------------------ outputs
def test_summary_is_plain_json_with_printable_scalars():
    s = schedule(line_program(SLOW), seed=5)
    summary = s.summary()
    json.dumps(summary, allow_nan=False)
    for key in ("makespan_s", "total_stall_s", "bottleneck", "verdict", "link qpu0-qpu1", "link qpu1-qpu2"):
        assert not isinstance(summary[key], (dict, list)), key
    assert summary["pairs_consumed"] == 2
    assert summary["links"]["qpu0-qpu1"]["consumed"] == 1
    assert summary["consumed_fidelity_min"] <= summary["consumed_fidelity_mean"] <= summary["consumed_fidelity_max"]


def test_idle_durations_point_at_the_waiting_step():
    from welinq_core import Circuit

    cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=2, topology="line", qpu=TIMED_QPU, link=SLOW)
    ops = [Operation(name="h", qubits=(q,)) for q in range(6)]
    ops += [Operation(name="cz", qubits=(q, q + 1)) for q in range(5)]
    program = lower(Circuit(num_qubits=6, operations=ops), cluster, ("qpu0", "qpu0", "qpu1", "qpu1", "qpu2", "qpu2"))
    s = schedule(program, seed=6, bank=False)
    idle = s.idle_durations()
    assert idle == tuple(sorted(idle))
    # the target of each remote CX waits for the linked copy
    for pk in program.packets:
        (gate,) = pk.gates
        step = next(i for i, st in enumerate(program.steps) if st.kind == "remote" and st.op == gate)
        target = next(q for q in program.circuit.operations[gate].qubits if q != pk.control)
        waits = [d for st, q, d in idle if st == step and q == target]
        assert waits and waits[0] > 0
        assert any(i.is_remote for i in s.idle if i.step == step)
    # the control waits for its pairs during the open
    opens = {i: st for i, st in enumerate(program.steps) if st.kind == "open"}
    waited = sum(d for st, q, d in idle if st in opens)
    assert waited == pytest.approx(sum(pk.stall_s for pk in s.packets), rel=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"bank_capacity": 0}, "bank_capacity=0"), ({"warmup_s": -1.0}, "warmup_s=-1.0")],
)
def test_invalid_options_raise(kwargs, match):
    with pytest.raises(OptionsError, match=match):
        schedule(line_program(SLOW), **kwargs)


def test_rejects_non_program():
    with pytest.raises(OptionsError, match="needs a DistributedProgram"):
        schedule("not a program")  # type: ignore[arg-type]


def test_barrier_synchronises_qubits():
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, qpu=TIMED_QPU, link=SLOW)
    from welinq_core import Circuit

    c = Circuit(num_qubits=2, operations=[Operation(name="h", qubits=(0,)), Operation(name="barrier", qubits=(0, 1)),
                                          Operation(name="x", qubits=(1,))])
    s = schedule(lower(c, cluster, ("qpu0", "qpu0")), seed=0)
    assert s.makespan_s == pytest.approx(2e-5)
