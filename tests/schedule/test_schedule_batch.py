"""Many shots' schedules at once equal the event loop's, shot by shot, for the same random numbers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from tests.strategies import assignments_for, dynamic_circuits, unitary_circuits
from welinq_core import Cluster, Link, QPU, lower
from welinq_core.circuit import Circuit, Operation
from welinq_core.errors import InsufficientQubitsError
from welinq_core.physics import QuantumMemory
from welinq_core.schedule import bank_capacities, distillation_rounds_per_link
from welinq_core.schedule.prefetch import planned_requests, prefetch_leads
from welinq_core.schedule.simulation import simulate_shot
from welinq_core.schedule_batch import ShotStreams, simulate_schedules, simulate_schedules_scalar

TOL = 1e-12  # the vectorised memory channels use numpy's expm1


def _settings(program, *, bank: bool, capacity: int | None, prefetch, distillation: str | None, rounds: int):
    cluster = program.cluster
    distilled = distillation_rounds_per_link(cluster, distillation, rounds if distillation else None, None)
    leads = prefetch_leads(cluster, prefetch, distilled)
    caps = bank_capacities(cluster, bank=bank or bool(leads), bank_capacity=capacity)
    plan = None
    if leads:
        run = simulate_shot(program, rng=None, capacities=caps, warmup_s=0.0, instant_pairs=True, zero_latency=False)
        plan = planned_requests(run.requests, leads, distilled)
    return {"capacities": caps, "warmup_s": 0.0, "distillation": distilled, "prefetch": plan}


def _assert_same(fast, slow) -> None:
    np.testing.assert_allclose(fast.makespan_s, slow.makespan_s, rtol=0, atol=TOL)
    np.testing.assert_allclose(fast.stall_s, slow.stall_s, rtol=0, atol=TOL)
    np.testing.assert_allclose(fast.pair_age_s, slow.pair_age_s, rtol=0, atol=TOL)
    np.testing.assert_allclose(fast.pair_probabilities, slow.pair_probabilities, rtol=0, atol=TOL)
    assert list(fast.idle_waits_s) == list(slow.idle_waits_s)
    assert list(fast.copy_waits_s) == list(slow.copy_waits_s)
    for place, col in slow.idle_waits_s.items():
        np.testing.assert_allclose(fast.idle_waits_s[place], col, rtol=0, atol=TOL)
    for place, col in slow.copy_waits_s.items():
        np.testing.assert_allclose(fast.copy_waits_s[place], col, rtol=0, atol=TOL)


MEMORIES = st.sampled_from([
    None,
    QuantumMemory.depolarizing(time_s=2e-3),
    QuantumMemory.dephasing(t2_s=5e-3, capacity=1),
    QuantumMemory.depolarizing(time_s=1e-2, capacity=3, cutoff_s=4e-3),
    QuantumMemory.t1t2(t1_s=2e-2, t2_s=1e-2, efficiency=0.9, efficiency_time_s=5e-3),
    QuantumMemory.dephasing(t2_s=1e-2, min_fidelity=0.8),
])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_vectorised_schedules_equal_the_event_loop(data):
    circuit = data.draw(st.one_of(unitary_circuits(max_qubits=6, max_ops=14), dynamic_circuits(max_qubits=5)))
    timed = data.draw(st.booleans())
    qpu = QPU(name="t", num_data_qubits=1, single_qubit_gate_duration_s=1e-5 if timed else 0.0,
              two_qubit_gate_duration_s=1e-4 if timed else 0.0, measurement_duration_s=3e-4 if timed else 0.0,
              t1_s=data.draw(st.sampled_from([None, 0.05])), t2_s=None)
    link = Link(bell_pair_fidelity=data.draw(st.sampled_from([0.9, 0.97, 1.0])),
                bell_pair_rate_hz=data.draw(st.sampled_from([None, 300.0, 3e3])),
                length_km=data.draw(st.sampled_from([0.0, 2.0])), memory=data.draw(MEMORIES))
    k = data.draw(st.integers(2, 4))
    per = max(1, -(-circuit.num_qubits // k)) + data.draw(st.integers(0, 1))
    cluster = Cluster.homogeneous(num_qpus=k, data_qubits_per_qpu=per, topology=data.draw(
        st.sampled_from(["line", "ring", "all-to-all"])), qpu=qpu, link=link)
    try:
        program = lower(circuit, cluster, data.draw(assignments_for(circuit.num_qubits, cluster)),
                        protocols=data.draw(st.sampled_from([("telegate",), ("telegate", "teledata"), ("teledata",)])))
    except InsufficientQubitsError:  # TeleData needs a free slot on the target QPU
        reject()
    distillation = data.draw(st.sampled_from([None, None, "dejmps", "bbpssw"])) if link.bell_pair_fidelity < 1 else None
    opts = _settings(program, bank=data.draw(st.booleans()), capacity=data.draw(st.sampled_from([None, 1, 2])),
                     prefetch=data.draw(st.sampled_from([None, "auto", 1e-3])), distillation=distillation,
                     rounds=data.draw(st.integers(1, 2)))
    streams = ShotStreams.draw(program, 30, np.random.default_rng(data.draw(st.integers(0, 2**32))))
    _assert_same(simulate_schedules(program, streams, **opts), simulate_schedules_scalar(program, streams, **opts))


def _qft(n: int) -> Circuit:
    ops = [Operation(name="h", qubits=(q,)) for q in range(n)]
    for i in range(n):
        ops.append(Operation(name="h", qubits=(i,)))
        ops += [Operation(name="cp", qubits=(j, i), params=(np.pi / 2 ** (j - i),)) for j in range(i + 1, n)]
    ops += [Operation(name="measure", qubits=(q,), clbits=(q,)) for q in range(n)]
    return Circuit(num_qubits=n, num_clbits=n, operations=ops)


@pytest.mark.parametrize("case", ["bank-prefetch", "on-demand", "capacity-cutoff", "distillation"])
def test_most_shots_take_the_vectorised_path(case):
    """The equality above is not vacuous: on a QFT over a line of three QPUs nearly every shot is
    simulated by the vectorised pass (the rest by the event loop)."""
    memory = {"capacity-cutoff": QuantumMemory.depolarizing(time_s=5e-2, capacity=2, cutoff_s=2e-2)}.get(
        case, QuantumMemory.depolarizing(time_s=5e-2))
    link = Link(bell_pair_fidelity=0.95, bell_pair_rate_hz=1e4, memory=memory)
    qpu = QPU(name="t", num_data_qubits=3, single_qubit_gate_duration_s=1e-6, two_qubit_gate_duration_s=1e-5,
              measurement_duration_s=1e-5)
    cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=3, topology="line", qpu=qpu, link=link)
    program = lower(_qft(9), cluster, tuple(f"qpu{q // 3}" for q in range(9)))
    opts = _settings(program, bank=case != "on-demand", capacity=None,
                     prefetch="auto" if case == "bank-prefetch" else None,
                     distillation="dejmps" if case == "distillation" else None, rounds=1)
    streams = ShotStreams.draw(program, 100, np.random.default_rng(7))
    fast = simulate_schedules(program, streams, **opts)
    _assert_same(fast, simulate_schedules_scalar(program, streams, **opts))
    assert fast.replayed_shots < 20, fast.replayed_shots
    assert np.std(fast.makespan_s) > 0  # the shots differ


def test_streams_are_exact_geometric_and_seeded():
    streams = ShotStreams.draw(lower(_qft(2), Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1), ("qpu0", "qpu1")),
                               1, np.random.default_rng(3))
    s = streams.for_shot(0)[("qpu0", "qpu1")]
    k = np.array([s.geometric(0.2) for _ in range(20000)])  # runs past the first block: extension blocks
    # geometric(0.2): mean 5, P(K = 1) = 0.2, P(K = 2) = 0.16
    assert abs(k.mean() - 5) < 5 * np.sqrt(20 / 20000)
    assert abs(np.mean(k == 1) - 0.2) < 5 * np.sqrt(0.16 / 20000)
    assert abs(np.mean(k == 2) - 0.16) < 5 * np.sqrt(0.16 * 0.84 / 20000)
    again = streams.for_shot(0)[("qpu0", "qpu1")]
    assert [again.geometric(0.2) for _ in range(20000)] == k.tolist()
