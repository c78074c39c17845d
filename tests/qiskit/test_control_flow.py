"""Control flow as Aer runs it: for_loop, switch_case, if_test with expr conditions, through the
cluster (remote gates inside blocks lowered), compared with AerSimulator; while_loop and other
constructs that cannot be distributed get a clear error."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, transpile
from qiskit.circuit import Parameter
from qiskit.circuit.classical import expr
from qiskit_aer import AerSimulator
from scipy.stats import chi2_contingency

from qiskit_welinq import ClusterBackend
from welinq_core import Cluster, Link
from welinq_core.errors import UnsupportedGateError

SHOTS = 3000
#: qubits 0, 1 on qpu0 and 2, 3 on qpu1: every gate between {0, 1} and {2, 3} is remote
SPLIT = {0: "qpu0", 1: "qpu0", 2: "qpu1", 3: "qpu1"}


@pytest.fixture(scope="module")
def backend():
    return ClusterBackend(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2), assignment=SPLIT)


def _same_distribution(ours: dict[str, int], aer: dict[str, int]) -> float:
    """p-value of the two-sample chi-square test (sampled counts from two simulators)."""
    keys = sorted(set(ours) | set(aer))
    table = np.array([[ours.get(k, 0) for k in keys], [aer.get(k, 0) for k in keys]])
    if len(keys) == 1:
        return 1.0
    return float(chi2_contingency(table)[1])


def _compare(backend, qc, *, min_remote: int = 1, for_aer: QuantumCircuit | None = None):
    result = backend.run(qc, shots=SHOTS, seed_simulator=11).result()
    ours = result.get_counts()
    ref = qc if for_aer is None else for_aer
    aer = AerSimulator().run(transpile(ref, AerSimulator()), shots=SHOTS, seed_simulator=12).result().get_counts()
    assert set(ours) <= set(aer) | {k for k in ours if ours[k] <= 3}, (ours, aer)
    p = _same_distribution(ours, aer)
    assert p > 1e-4, (p, ours, aer)
    report = result.results[0].metadata["welinq"]
    assert report["remote_gates"] >= min_remote
    return report


def test_the_chi_square_check_detects_a_wrong_distribution():
    assert _same_distribution({"0": 1500, "1": 1500}, {"0": 1700, "1": 1300}) < 1e-4


def test_for_loop_with_parameter_and_remote_gates(backend):
    qc = QuantumCircuit(4, 4)
    theta = Parameter("i")
    with qc.for_loop(range(3), theta) as i:
        qc.rx(0.4 * i + 0.3, 0)
        qc.cx(0, 3)
        qc.cp(0.7, 3, 1)
    qc.measure(range(4), range(4))
    report = _compare(backend, qc, min_remote=6)
    assert report["remote_gates"] == 6  # three iterations unrolled, two remote gates each


def test_for_loop_unconditional_break_and_continue(backend):
    qc = QuantumCircuit(4, 4)
    with qc.for_loop(range(5)):
        qc.ry(0.5, 0)
        qc.cx(0, 2)
        qc.break_loop()
    with qc.for_loop([1, 2, 3]):
        qc.h(1)
        qc.continue_loop()
    qc.measure(range(4), range(4))
    report = _compare(backend, qc)
    assert report["remote_gates"] == 1


def test_switch_on_register_with_default_and_remote_cases(backend):
    qr, c, out = QuantumRegister(4), ClassicalRegister(2, "c"), ClassicalRegister(2, "o")
    qc = QuantumCircuit(qr, c, out)
    qc.h([0, 1])
    qc.measure([0, 1], c)
    with qc.switch(c) as case:
        with case(0):
            qc.x(2)
        with case(1, 2):
            qc.h(0)
            qc.cx(0, 3)
        with case(case.DEFAULT):
            qc.ry(1.1, 1)
            qc.cz(1, 2)
            qc.h(2)
    qc.measure([2, 3], out)
    _compare(backend, qc)


@pytest.mark.slow
def test_switch_on_a_clbit_and_on_an_expression(backend):
    """Aer cannot switch on an expression; its reference is the equivalent if_test."""
    circuits = []
    for use_switch in (True, False):
        qc = QuantumCircuit(4, 4)
        qc.h([0, 1])
        qc.measure([0, 1], [0, 1])
        with qc.switch(qc.clbits[0]) as case:
            with case(True):
                qc.x(2)
            with case(False):
                qc.h(3)
        xor = expr.bit_xor(qc.clbits[0], qc.clbits[1])
        if use_switch:
            with qc.switch(xor) as case:
                with case(True):
                    qc.cx(2, 1)
        else:
            with qc.if_test(xor):
                qc.cx(2, 1)
        qc.measure([2, 3], [2, 3])
        circuits.append(qc)
    _compare(backend, circuits[0], for_aer=circuits[1])


@pytest.mark.parametrize(
    "make",
    [
        lambda c: expr.logic_or(expr.bit_xor(c[0], c[1]), expr.equal(c, 3)),
        pytest.param(lambda c: expr.less(c, 2), marks=pytest.mark.slow),
        pytest.param(lambda c: expr.logic_not(expr.logic_and(c[0], c[1])), marks=pytest.mark.slow),
        lambda c: (c, 2),
    ],
    ids=["or-xor-equal", "less", "not-and", "register-value"],
)
def test_if_else_with_expression_conditions(backend, make):
    qr, c, out = QuantumRegister(4), ClassicalRegister(2, "c"), ClassicalRegister(2, "o")
    qc = QuantumCircuit(qr, c, out)
    qc.h(0)
    qc.ry(1.0, 1)
    qc.measure([0, 1], c)
    with qc.if_test(make(c)) as else_:
        qc.h(2)
        qc.cx(2, 0)
    with else_:
        qc.x(3)
        qc.cx(1, 3)
    qc.measure([2, 3], out)
    qc.measure([0, 1], c)
    _compare(backend, qc)


def test_nested_conditions_inside_a_loop(backend):
    """Repeat-until-success bounded by a for_loop: the usual rewrite of a while_loop."""
    qc = QuantumCircuit(4, 3)
    qc.h(0)
    qc.cx(0, 2)
    qc.measure(2, 0)
    with qc.for_loop(range(3)):
        with qc.if_test((qc.clbits[0], 1)):
            with qc.if_test((qc.clbits[1], 0)):
                qc.ry(0.8, 3)
            qc.reset(2)
            qc.h(2)
            qc.measure(2, 0)  # the block's last operation may write the bit its condition reads
    qc.measure(3, 1)
    qc.cx(1, 3)
    qc.measure(3, 2)
    _compare(backend, qc)


def test_transpile_then_run_keeps_control_flow(backend):
    qc = QuantumCircuit(4, 2)
    qc.h(0)
    qc.measure(0, 0)
    with qc.for_loop(range(2)):
        with qc.if_test((qc.clbits[0], 1)):
            qc.cy(1, 3)
            qc.h(1)
    qc.measure(3, 1)
    tq = transpile(qc, backend, seed_transpiler=5)
    assert {"for_loop", "if_else"} & set(tq.count_ops())
    _compare(backend, tq, min_remote=0)  # the layout decides which gates end up remote


def test_noisy_preset_runs_control_flow():
    qc = QuantumCircuit(4, 4)
    qc.h(0)
    qc.measure(0, 0)
    with qc.switch(qc.clbits[0]) as case:
        with case(1):
            qc.cx(1, 3)
    with qc.for_loop(range(2)):
        qc.cx(0, 2)
    qc.measure(range(4), range(4))
    backend = ClusterBackend(
        Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, link=Link(bell_pair_fidelity=0.9)),
        assignment=SPLIT,
    )
    result = backend.run(qc, shots=200, seed_simulator=1).result()
    assert sum(result.get_counts().values()) == 200
    assert all(len(k) == 4 for k in result.get_counts())


def _while_circuit() -> QuantumCircuit:
    qc = QuantumCircuit(2, 1)
    with qc.while_loop((qc.clbits[0], 0)):
        qc.h(0)
        qc.cx(0, 1)
        qc.measure(0, 0)
    return qc


def test_while_loop_gets_a_clear_error(backend):
    with pytest.raises(UnsupportedGateError, match="while_loop cannot be distributed.*for_loop"):
        backend.run(_while_circuit(), shots=10)
    assert issubclass(UnsupportedGateError, ValueError)
    with pytest.raises(Exception, match="while_loop"):  # the Target does not advertise it
        transpile(_while_circuit(), backend)


def test_conditional_break_gets_a_clear_error(backend):
    qc = QuantumCircuit(2, 1)
    with qc.for_loop(range(3)):
        qc.h(0)
        qc.measure(0, 0)
        with qc.if_test((qc.clbits[0], 1)):
            qc.break_loop()
    with pytest.raises(UnsupportedGateError, match="break_loop inside an if_test/switch cannot be distributed"):
        backend.run(qc, shots=10)


def test_block_writing_its_own_condition_with_else_gets_a_clear_error(backend):
    qc = QuantumCircuit(2, 1)
    qc.h(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)) as else_:
        qc.measure(1, 0)
        qc.x(1)
    with else_:
        qc.h(1)
    with pytest.raises(UnsupportedGateError, match=r"measures into classical bit\(s\) \[0\]"):
        backend.run(qc, shots=10)


def test_huge_loops_are_refused_before_they_exhaust_memory(backend, monkeypatch):
    import qiskit_welinq.convert as convert

    monkeypatch.setattr(convert, "MAX_FLAT_OPERATIONS", 1000)
    qc = QuantumCircuit(2)
    with qc.for_loop(range(10**6)):
        qc.cx(0, 1)
    with pytest.raises(UnsupportedGateError, match="more than 1000 operations"):
        backend.run(qc, shots=10)
