"""Events drawn per shot (effective_rendering="drawn"): the probability-weighted sum of the
exact density matrices over every outcome combination equals the explicit protocol's."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from _dm import data_dm
from test_exactness import _noisy_cluster, _packet_case, programs
from welinq_core.lowering import lower
from welinq_core.noise import add_noise
from welinq_core.noise.drawn import group_shots
from welinq_core.physics import BellPair


def _drawn_dm(noisy, n):
    if noisy.drawn is None:
        return data_dm(noisy.circuit, n)
    combos = noisy.drawn.outcome_combinations()
    return sum(p * data_dm(noisy.drawn.circuit_for(c), n) for p, c in combos)


@pytest.mark.parametrize("gate,params", [("cp", (0.7,)), ("crz", (1.1,)), ("rzz", (0.4,))])
def test_non_clifford_packet_drawn_per_shot_is_exact(gate, params):
    prog = _packet_case(gate, params)
    states = [BellPair.werner(0.9).probabilities]
    ef = add_noise(prog, mode="effective", pair_states=states, effective_rendering="drawn")
    assert ef.drawn is not None and ef.summary["randomness_qubits"] == 0
    assert ef.circuit.num_qubits == 3 and not ef.circuit.has_mid_circuit_measurement()
    a = data_dm(add_noise(prog, mode="explicit", pair_states=states).circuit, 3)
    assert np.abs(a - _drawn_dm(ef, 3)).max() < 1e-9


@settings(max_examples=8, deadline=None)
@given(programs(), st.booleans())
def test_drawn_rendering_equals_explicit_with_local_and_idle_noise(case, scheduler_idle):
    prog0, states = case
    n = prog0.circuit.num_qubits
    # (local noise inside a restoring window has no data-qubit rendering: ordinary packets here)
    prog = lower(prog0.circuit, _noisy_cluster(prog0.cluster.num_qpus, n), prog0.assignment, windows=False)
    idle = None
    if scheduler_idle:
        idle = [(s, q, 1e-5 * (1 + s % 3)) for s in range(len(prog.steps)) for q in range(n) if (s + q) % 2]
    ef = add_noise(prog, mode="effective", pair_states=states, idle_durations=idle, effective_rendering="drawn")
    assume(ef.drawn is None or ef.drawn.num_combinations() <= 64)
    assert ef.summary["effective_exact"] is True
    a = data_dm(add_noise(prog, mode="explicit", pair_states=states, idle_durations=idle).circuit, n)
    assert np.abs(a - _drawn_dm(ef, n)).max() < 1e-9


def test_group_shots_partitions_the_shots():
    rng = np.random.default_rng(3)
    choices = rng.integers(0, 3, size=(500, 2))
    groups = group_shots(choices)
    assert sorted(np.concatenate(list(groups.values())).tolist()) == list(range(500))
    for key, idx in groups.items():
        assert (choices[idx] == np.array(key)).all()


def _bound_template(drawn, choices):
    """The slot template with the Paulis of ``choices`` put in its placeholders."""
    from welinq_core.circuit import Operation
    from welinq_core.noise.drawn import SLOT_MARKER

    paulis = iter(drawn.slot_paulis(choices))
    ops = []
    for op in drawn.slot_template().operations:
        if op.name == "u" and op.params[2] == SLOT_MARKER:
            label = next(paulis)
            if label != "I":
                ops.append(Operation(name=label.lower(), qubits=op.qubits))
        else:
            ops.append(op)
    assert next(paulis, None) is None
    return drawn.slot_template().with_operations(ops)


def _check_template(drawn, n):
    assert drawn.num_placeholders <= len(drawn.slots())
    for _, choices in drawn.outcome_combinations():
        a = data_dm(drawn.circuit_for(choices), n)
        b = data_dm(_bound_template(drawn, choices), n)
        assert np.abs(a - b).max() < 1e-9


@pytest.mark.parametrize("gate,params", [("cp", (0.7,)), ("rzz", (0.4,))])
def test_slot_template_with_merged_placeholders_is_every_drawn_circuit(gate, params):
    prog = _packet_case(gate, params)
    ef = add_noise(prog, mode="effective", pair_states=[BellPair.werner(0.9).probabilities],
                   effective_rendering="drawn")
    assert ef.drawn is not None
    _check_template(ef.drawn, 3)


@pytest.mark.parametrize("gate,params", [("cp", (0.7,)), ("crz", (1.1,))])
def test_slot_template_is_every_drawn_circuit_with_local_noise(gate, params):
    """Local, idle and memory noise on the packet too: 32,768 outcome combinations, so every
    single-event outcome and 20 random combinations are checked."""
    prog = lower(_packet_case(gate, params).circuit, _noisy_cluster(2, 2), ("qpu0", "qpu1", "qpu1"))
    drawn = add_noise(prog, mode="effective", effective_rendering="drawn").drawn
    assert drawn is not None and drawn.num_placeholders < len(drawn.slots())
    sizes = [len(ev.probabilities) for ev in drawn.events]
    rng = np.random.default_rng(7)
    choices = [tuple(j if e == k else 0 for e in range(len(sizes))) for k, m in enumerate(sizes) for j in range(m)]
    choices += [tuple(int(rng.integers(m)) for m in sizes) for _ in range(20)]
    for c in choices:
        assert np.abs(data_dm(drawn.circuit_for(c), 3) - data_dm(_bound_template(drawn, c), 3)).max() < 1e-9
