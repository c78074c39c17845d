"""Register conditions (``if (c == v)`` of OpenQASM 2, ``if_test((creg, v))``) convert without an
exponential expansion, to the same cubes in the same order as the general expansion."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, transpile
from qiskit.circuit.classical import expr
from qiskit_aer import AerSimulator

from qiskit_welinq import ClusterBackend
from qiskit_welinq.conditions import _evaluate, _expand, condition_cubes
from welinq_core.errors import UnsupportedGateError


def _general(node, index, negate):
    bits: list[int] = []
    from qiskit_welinq.conditions import _as_expr, _bits_of

    node = _as_expr(node)
    _bits_of(node, index, bits)
    return _expand(lambda v: bool(_evaluate(node, v, index)) != negate, bits, {})


@given(width=st.integers(1, 6), other=st.integers(1, 3), data=st.data())
def test_literal_conditions_give_the_general_expansion(width, other, data):
    qc = QuantumCircuit(1)
    a, b = ClassicalRegister(width, "a"), ClassicalRegister(other, "b")
    qc.add_register(a)
    qc.add_register(b)
    index = lambda bit: qc.find_bit(bit).index  # noqa: E731
    value = data.draw(st.integers(0, 2**width - 1))
    bit = data.draw(st.sampled_from(list(b)))
    flag = data.draw(st.booleans())
    conditions = [
        (a, value),
        (bit, flag),
        expr.equal(a, value),
        expr.equal(value, a),
        expr.logic_and(expr.equal(a, value), expr.lift(bit) if flag else expr.logic_not(bit)),
        expr.logic_and(expr.logic_not(a[0]), expr.equal(b, 2**other - 1)),  # may contradict: never holds
        expr.logic_and(a[0], expr.equal(a, value)),
        expr.logic_or(a[0], expr.equal(b, 0)),  # not a conjunction: the general expansion
    ]
    for condition in conditions:
        for negate in (False, True):
            assert condition_cubes(condition, index, negate=negate) == _general(condition, index, negate), (
                condition, negate)


def test_a_value_wider_than_its_register_is_a_clear_error():
    qc = QuantumCircuit(1)
    c = ClassicalRegister(2, "c")
    qc.add_register(c)
    with pytest.raises(UnsupportedGateError, match="does not fit"):
        condition_cubes((c, 4), lambda bit: qc.find_bit(bit).index)


def test_wide_register_condition_runs_and_matches_aer():
    # QASMBench's cc_n12 conditions gates on a 12-bit register equal to a value: the
    # expansion took about 3 s per if_else (25 of them: 86 s before the run started). A
    # 20-bit condition used to be refused outright (more than 12 bits).
    n = 20
    q, c, out = QuantumRegister(n + 1, "q"), ClassicalRegister(n, "c"), ClassicalRegister(1, "out")
    qc = QuantumCircuit(q, c, out)
    qc.x(range(0, n, 2))
    qc.h(1)
    qc.measure(q[:n], c)
    value = sum(1 << k for k in range(0, n, 2))
    with qc.if_test((c, value)) as other:
        qc.x(q[n])
    with other:
        qc.h(q[n])
    qc.measure(q[n], out[0])
    backend = ClusterBackend("ideal-4-ring")
    counts = backend.run(transpile(qc, backend, seed_transpiler=1), shots=400, seed_simulator=2).result().get_counts()
    aer = AerSimulator().run(qc, shots=400, seed_simulator=2).result().get_counts()
    # q[1] is 0 half the time: then c == value and out = 1; otherwise out is a fair coin.
    p_out1 = sum(v for k, v in counts.items() if k.split()[0] == "1") / 400
    assert abs(p_out1 - 0.75) < 0.1
    assert set(k for k in counts) <= {"1 " + format(value, f"0{n}b"), "0 " + format(value | 2, f"0{n}b"),
                                      "1 " + format(value | 2, f"0{n}b")} == set(aer)
