"""The engine's deferred-measurement pass: exact, and it removes the protocols' feed-forward."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from _dm import clbit_distribution, data_dm
from test_exactness import _noisy_cluster, programs
from qiskit_welinq.engine import choose_method, defer_measurements
from welinq_core.circuit import Circuit, Condition, Operation
from welinq_core.lowering import lower
from welinq_core.noise import add_noise


@settings(max_examples=30, deadline=None)
@given(programs(), st.sampled_from(["explicit", "measured"]))
def test_deferred_circuit_has_the_same_data_state(case, form):
    prog0, states = case
    n = prog0.circuit.num_qubits
    prog = lower(prog0.circuit, _noisy_cluster(prog0.cluster.num_qpus, n), prog0.assignment)
    if form == "explicit":
        noisy = add_noise(prog, mode="explicit", pair_states=states)
    else:
        noisy = add_noise(prog, mode="effective", pair_states=states, effective_rendering="measured")
    deferred = defer_measurements(noisy.circuit, noisy.num_user_clbits)
    if form == "explicit" and prog.packets:  # every protocol measurement is deferred: no feed-forward left
        assert not deferred.has_mid_circuit_measurement()
    assert np.abs(data_dm(noisy.circuit, n) - data_dm(deferred, n)).max() < 1e-9


def test_user_bits_keep_their_exact_distribution():
    ops = [Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 1)),
           Operation(name="cp", qubits=(0, 2), params=(0.9,)), Operation(name="h", qubits=(2,)),
           Operation(name="cx", qubits=(1, 2))]
    ops += [Operation(name="measure", qubits=(q,), clbits=(q,)) for q in range(3)]
    prog = lower(Circuit(num_qubits=3, num_clbits=3, operations=ops), _noisy_cluster(3, 3), ("qpu0", "qpu1", "qpu2"))
    ex = add_noise(prog, mode="explicit")
    deferred = defer_measurements(ex.circuit, ex.num_user_clbits)
    assert sum(op.name == "measure" for op in deferred) == 3  # only the user's measurements remain
    a, b = clbit_distribution(ex.circuit, 3), clbit_distribution(deferred, 3)
    assert set(a) == set(b) and max(abs(a[k] - b[k]) for k in a) < 1e-9
    assert choose_method(deferred)[0] == "density_matrix"  # static and small: one run covers every shot


def test_measurements_that_are_not_protocol_corrections_are_kept():
    cond = Condition(clbits=(1,), value=1)
    reused = Circuit(num_qubits=2, num_clbits=2, operations=[  # q1 is used again without reset
        Operation(name="h", qubits=(1,)), Operation(name="measure", qubits=(1,), clbits=(1,)),
        Operation(name="h", qubits=(1,)), Operation(name="x", qubits=(0,), condition=cond)])
    assert defer_measurements(reused, 1) is reused
    user = Circuit(num_qubits=2, num_clbits=2, operations=[  # a user bit, not scratch
        Operation(name="measure", qubits=(1,), clbits=(1,)), Operation(name="x", qubits=(0,), condition=cond)])
    assert defer_measurements(user, 2) is user
    not_pauli = Circuit(num_qubits=2, num_clbits=2, operations=[
        Operation(name="measure", qubits=(1,), clbits=(1,)), Operation(name="h", qubits=(0,), condition=cond)])
    assert defer_measurements(not_pauli, 1) is not_pauli
