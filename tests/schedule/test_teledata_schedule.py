"""Schedules of programs with TeleData teleports: every ledger pair scheduled once."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from welinq_core import Circuit, Cluster, Link, Operation, lower
from welinq_core.noise import add_noise
from welinq_core.schedule import schedule
from tests.strategies import assignments_for, unitary_circuits


def _cluster(k: int, per: int, topology: str) -> Cluster:
    link = Link(bell_pair_fidelity=0.95, bell_pair_rate_hz=500.0, length_km=5.0)
    return Cluster.homogeneous(num_qpus=k, data_qubits_per_qpu=per, topology=topology, link=link)


@given(data=st.data(), circuit=unitary_circuits(max_qubits=6, max_ops=16),
       k=st.integers(2, 4), topology=st.sampled_from(["line", "ring", "all-to-all", "star"]))
@settings(max_examples=40, deadline=None)
def test_every_pair_of_packets_and_teleports_is_scheduled_once(data, circuit, k, topology):
    cluster = _cluster(k, -(-circuit.num_qubits // k) + 1, topology)
    assignment = data.draw(assignments_for(circuit.num_qubits, cluster))
    program = lower(circuit, cluster, assignment, protocols=("telegate", "teledata"))
    s = schedule(program, seed=data.draw(st.integers(0, 9)))
    assert [p.index for p in s.pairs] == list(range(program.num_bell_pairs))
    for rec, use in zip(s.pairs, program.bell_pairs):
        assert rec.link == use.link and rec.hop == use.hop and rec.packet == use.packet
        assert rec.generated_s <= rec.consumed_s
    assert len(s.pair_states()) == program.num_bell_pairs
    teleports = [o for o in s.operations if o.kind == "teleport"]
    assert len(teleports) == len(program.teleports)
    assert [o.step for o in s.operations] == list(range(len(program.steps)))
    for o in teleports:
        tp = program.teleports[program.steps[o.step].teleport]
        assert o.qpu == tp.target and o.end_s >= o.start_s
        for pair in tp.bell_pairs:  # its pairs are consumed inside the teleport's span
            assert o.start_s <= s.pairs[pair].consumed_s <= o.end_s
    # the noise stage takes the schedule's aged pairs and idle waits as is
    add_noise(program, mode="effective", pair_states=s.pair_states(), idle_durations=s.idle_durations())


def test_gates_after_a_teleport_wait_for_it_and_run_on_the_new_qpu():
    c = Circuit(num_qubits=2, operations=[Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 1)),
                                          Operation(name="h", qubits=(0,))])
    cluster = _cluster(2, 2, "all-to-all")
    program = lower(c, cluster, ("qpu0", "qpu1"), moves={1: [(0, "qpu1")]})
    assert program.num_bell_pairs == 1 and not program.packets
    s = schedule(program, seed=1)
    kinds = [o.kind for o in s.operations]
    assert kinds == ["local", "teleport", "local", "local"]
    tele, cx, h = s.operations[1], s.operations[2], s.operations[3]
    assert cx.start_s >= tele.end_s and cx.qpu == "qpu1" and h.qpu == "qpu1"
    assert s.pairs[0].packet is None and s.makespan_s >= tele.end_s
    assert s.pairs[0].wait_b_s == pytest.approx(tele.end_s - s.pairs[0].generated_s)
