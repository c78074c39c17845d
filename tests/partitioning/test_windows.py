"""Restoring windows: one linked copy carries every gate of its root while the circuit restores it.

Exactness: the explicit protocol (cat-entangler, gates on the copy, cat-disentangler) is
compared with the monolithic circuit on state vectors; with noisy links the effective
rendering is compared with the explicit one on density matrices (1e-9).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from welinq_core import gates
from welinq_core.circuit import Circuit, Operation
from welinq_core.cluster import QPU, Cluster
from welinq_core.errors import OptionsError
from welinq_core.lowering import count_bell_pairs, lower
from welinq_core.lowering.canonical import canonicalize
from welinq_core.lowering.windows import causal_slice, restoring
from welinq_core.noise import add_noise
from welinq_core.reference import simulate

from _helpers import random_circuit


def _op(name: str, *qubits: int, params: tuple[float, ...] = ()) -> Operation:
    return Operation(name=name, qubits=qubits, params=params)


def _ccx(a: int, b: int, c: int) -> list[Operation]:
    """Toffoli in {h, t, tdg, cx} (the textbook 15-gate form)."""
    return [_op("h", c), _op("cx", b, c), _op("tdg", c), _op("cx", a, c), _op("t", c), _op("cx", b, c),
            _op("tdg", c), _op("cx", a, c), _op("t", b), _op("t", c), _op("h", c), _op("cx", a, b),
            _op("t", a), _op("tdg", b), _op("cx", a, b)]


def _maj(c: int, b: int, a: int) -> list[Operation]:
    return [_op("cx", a, b), _op("cx", a, c), *_ccx(c, b, a)]


def _uma(c: int, b: int, a: int) -> list[Operation]:
    return [*_ccx(c, b, a), _op("cx", a, c), _op("cx", c, b)]


def cuccaro_adder(bits: int) -> tuple[Circuit, list[list[int]]]:
    """Cuccaro et al.'s ripple-carry adder (quant-ph/0410184) on ``2 bits + 2`` qubits, after a
    layer of ``ry`` so every amplitude matters; and its chain: the qubits of each bit in ripple order.

    Qubits: carry-in 0, then ``b_i = 1 + 2 i``, ``a_i = 2 + 2 i``, carry-out ``2 bits + 1``.
    """
    n = 2 * bits + 2
    ops = [_op("ry", q, params=(0.3 + 0.41 * q,)) for q in range(n)]
    carry = [0] + [2 + 2 * i for i in range(bits)]
    for i in range(bits):
        ops += _maj(carry[i], 1 + 2 * i, 2 + 2 * i)
    ops.append(_op("cx", carry[bits], n - 1))
    for i in reversed(range(bits)):
        ops += _uma(carry[i], 1 + 2 * i, 2 + 2 * i)
    chain = [[0, 1, 2]] + [[1 + 2 * i, 2 + 2 * i] for i in range(1, bits)]
    chain[-1].append(n - 1)
    return Circuit(num_qubits=n, operations=ops, name=f"cuccaro{bits}"), chain


def _explicit_matches(circuit: Circuit, program) -> float:
    ex = program.explicit_circuit()
    got = simulate(ex.circuit, keep_clbits=ex.num_user_clbits).density_matrix(range(circuit.num_qubits))
    want = simulate(circuit).density_matrix()
    return float(np.abs(got - want).max())


def _slice_commutes(circuit: Circuit, qubit: int, first: int, last: int) -> bool:
    """Brute force: the full unitary of the causal slice against Z on ``qubit``."""
    idx = causal_slice(circuit, first, last)
    assert idx is not None
    n = circuit.num_qubits
    u = simulate_unitary(Circuit(num_qubits=n, operations=[circuit.operations[j] for j in idx]))
    z = np.diag([1.0 - 2.0 * ((k >> (n - 1 - qubit)) & 1) for k in range(2 ** n)])
    return bool(np.abs(u @ z - z @ u).max() < 1e-9)


def simulate_unitary(circuit: Circuit) -> np.ndarray:
    """Dense unitary, big-endian (qubit 0 most significant), column by column."""
    n = circuit.num_qubits
    return np.array([_apply(circuit, np.eye(2 ** n, dtype=complex)[k]) for k in range(2 ** n)]).T


def _apply(circuit: Circuit, psi: np.ndarray) -> np.ndarray:
    n = circuit.num_qubits
    state = psi.reshape((2,) * n)
    for op in circuit.operations:
        k = len(op.qubits)
        m = gates.gate_matrix(op.name, op.params).reshape((2,) * (2 * k))
        state = np.moveaxis(np.tensordot(m, state, axes=(list(range(k, 2 * k)), list(op.qubits))),
                            list(range(k)), list(op.qubits))
    return state.reshape(-1)


# -- the window test itself ---------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 3))
def test_restoring_agrees_with_the_full_unitary(seed, qubit):
    c = random_circuit(4, 10, seed)
    ops = c.operations
    on = [i for i, op in enumerate(ops) if qubit in op.qubits]
    for first in on:
        for last in on:
            if last < first:
                continue
            assert restoring(c, qubit, first, last) == _slice_commutes(c, qubit, first, last)


def test_compute_uncompute_window_is_restoring_and_its_half_is_not():
    c, _ = cuccaro_adder(2)
    cc = canonicalize(c)
    x = 2  # a_0: the carry the upper bit reads, restored by its UMA
    tl = [i for i, op in enumerate(cc.operations) if x in op.qubits and len(op.qubits) == 2]
    assert any(restoring(cc, x, f, last, b) for f in tl for last in tl if last > f for b in ("z", "x"))
    assert not restoring(cc, x, tl[0], tl[len(tl) // 2]) and not restoring(cc, x, tl[0], tl[len(tl) // 2], "x")


# -- plans ------------------------------------------------------------------------------------

@pytest.mark.parametrize("bits", [2, 3])
def test_adder_cut_between_bits_costs_one_pair_per_cut_and_is_exact(bits):
    c, chain = cuccaro_adder(bits)
    k = len(chain)
    cluster = Cluster.homogeneous(num_qpus=k, data_qubits_per_qpu=max(len(p) for p in chain), topology="line")
    where = {q: f"qpu{j}" for j, piece in enumerate(chain) for q in piece}
    assignment = tuple(where[q] for q in range(c.num_qubits))
    prog = lower(c, cluster, assignment)
    without = lower(c, cluster, assignment, windows=False)
    assert prog.num_bell_pairs == k - 1 < without.num_bell_pairs
    assert all(p.window for p in prog.packets) and not any(p.window for p in without.packets)
    assert count_bell_pairs(c, cluster, assignment)[0] == prog.num_bell_pairs == len(prog.bell_pairs)
    assert _explicit_matches(c, prog) < 1e-9


def test_a_rotation_that_mixes_the_root_still_costs_two_pairs():
    # cp(pi)(a, b); u(pi/4, pi/2, -pi/2)(a); cp(pi)(a, c): operator Schmidt rank 4 across a | bc,
    # so >= 2 pairs (Nielsen et al., PRA 67, 052301 (2003)); the slice does not commute with Z_a.
    prep = [_op("ry", q, params=(0.4 + 0.3 * q,)) for q in range(3)]
    c = Circuit(num_qubits=3, operations=[*prep, _op("cp", 0, 1, params=(math.pi,)),
                                          _op("u", 0, params=(math.pi / 4, math.pi / 2, -math.pi / 2)),
                                          _op("cp", 0, 2, params=(math.pi,))])
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2)
    prog = lower(c, cluster, ("qpu0", "qpu1", "qpu1"))
    assert prog.num_bell_pairs == 2 and not any(p.window for p in prog.packets)
    assert not restoring(canonicalize(c), 0, 3, 5) and not restoring(canonicalize(c), 0, 3, 5, "x")
    # (with TeleData, moving a to the other QPU for good is 1 pair: the bound is for a staying put)
    assert not any(p.window for p in lower(c, cluster, ("qpu0", "qpu1", "qpu1"), protocols="auto").packets)


@st.composite
def planted_windows(draw):
    """A random circuit with a compute-uncompute window ``U . V . U^dag`` of qubit 0 (QPU 0)
    against qubits on QPU 1: ``U`` mixes qubit 0 with them, ``V`` touches only them."""
    seed = draw(st.integers(0, 100_000))
    rng = np.random.default_rng(seed)
    n = 5
    remote = [2, 3, 4]
    one = ("h", "t", "s", "sx", "ry", "x")
    two = ("cx", "cz", "cp", "crz", "cy")
    u_ops = []
    for _ in range(draw(st.integers(2, 5))):
        if rng.random() < 0.5:
            name = one[int(rng.integers(len(one)))]
            q = int(rng.choice([0, *remote]))
            u_ops.append(_op(name, q, params=(float(rng.uniform(-3, 3)),) if name == "ry" else ()))
        else:
            name = two[int(rng.integers(len(two)))]
            a, b = 0, int(rng.choice(remote))
            if rng.random() < 0.5:
                a, b = b, a
            u_ops.append(_op(name, a, b, params=(float(rng.uniform(-3, 3)),) if name in ("cp", "crz") else ()))
    if not any(len(op.qubits) == 2 for op in u_ops):
        u_ops.append(_op("cx", 2, 0))
    v_ops = [_op("cx", 2, 3), _op("ry", 4, params=(0.7,)), _op("cz", 3, 4)]
    inverse = [_inverse(op) for op in reversed(u_ops)]
    prep = [_op("ry", q, params=(0.2 + 0.37 * q,)) for q in range(n)] + [_op("cx", 0, 1), _op("h", 0)]
    tail = [_op("cx", 0, 1), _op("cz", 0, 2)] if draw(st.booleans()) else []
    c = Circuit(num_qubits=n, operations=prep + u_ops + v_ops + inverse + tail)
    return c


def _inverse(op: Operation) -> Operation:
    inv = {"t": "tdg", "s": "sdg", "sx": "sxdg", "tdg": "t", "sdg": "s", "sxdg": "sx"}
    if op.name in inv:
        return _op(inv[op.name], *op.qubits)
    if op.name in ("ry", "cp", "crz"):
        return _op(op.name, *op.qubits, params=(-op.params[0],))
    return op


@settings(max_examples=25, deadline=None)
@given(planted_windows())
def test_planted_windows_are_exact_and_never_cost_more(c):
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3)
    assignment = ("qpu0", "qpu0", "qpu1", "qpu1", "qpu1")
    prog = lower(c, cluster, assignment)
    without = lower(c, cluster, assignment, windows=False)
    assert prog.num_bell_pairs <= without.num_bell_pairs
    assert count_bell_pairs(c, cluster, assignment)[0] == prog.num_bell_pairs
    assert _explicit_matches(c, prog) < 1e-9


def _small_window() -> Circuit:
    """Qubit 0 (QPU 0) against 2, 3, 4 (QPU 1): ``cx(0, 2)``, then ``h cz(3, 0) h`` (a ``cx``
    onto 0) around ``cx(3, 4)`` and undone; ordinary packets need 3 pairs, the window 1."""
    prep = [_op("ry", q, params=(0.3 * q + 0.1,)) for q in range(5)]
    body = [_op("cx", 0, 1), _op("cx", 0, 2), _op("h", 0), _op("cz", 3, 0), _op("cx", 3, 4), _op("cz", 3, 0),
            _op("h", 0), _op("cz", 0, 2), _op("t", 0), _op("cz", 0, 1)]
    return Circuit(num_qubits=5, operations=prep + body, name="window")


def test_a_small_window_costs_one_pair_and_the_adder_opens_its_copies_in_the_x_basis():
    c = _small_window()
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3)
    assignment = ("qpu0", "qpu0", "qpu1", "qpu1", "qpu1")
    prog = lower(c, cluster, assignment)
    assert [p.window for p in prog.packets] == ["z"]
    assert prog.num_bell_pairs == 1 < lower(c, cluster, assignment, windows=False).num_bell_pairs
    assert _explicit_matches(c, prog) < 1e-9
    # The adder's cx onto each carry is rewritten h . cz . h, and the h opening it cancels
    # against the one closing the Toffoli before: its windows are made in the X basis.
    adder, chain = cuccaro_adder(2)
    where = {q: f"qpu{j}" for j, piece in enumerate(chain) for q in piece}
    cl = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3)
    assert [p.window for p in lower(adder, cl, tuple(where[q] for q in range(adder.num_qubits))).packets] == ["x"]


# -- noise ------------------------------------------------------------------------------------

def _window_programs():
    c, chain = cuccaro_adder(2)
    where = {q: f"qpu{j}" for j, piece in enumerate(chain) for q in piece}
    cl = Cluster.homogeneous(num_qpus=len(chain), data_qubits_per_qpu=4, topology="line")
    out = [lower(c, cl, tuple(where[q] for q in range(c.num_qubits)))]
    out.append(lower(_small_window(), Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3),
                     ("qpu0", "qpu0", "qpu1", "qpu1", "qpu1")))
    return out


@pytest.mark.parametrize("case", range(2))
@pytest.mark.parametrize("rendering", ["exact", "measured", "static"])
def test_noisy_links_effective_equals_explicit_through_windows(case, rendering):
    prog = _window_programs()[case]
    assert any(p.window for p in prog.packets)
    n = prog.circuit.num_qubits
    rng = np.random.default_rng(case)
    states = []
    for _ in range(prog.num_bell_pairs):
        w = rng.uniform(0, 1, size=4) + np.array([2.0, 0, 0, 0])
        states.append(tuple(float(x) for x in w / w.sum()))
    ex = add_noise(prog, mode="explicit", pair_states=states)
    ef = add_noise(prog, mode="effective", pair_states=states, effective_rendering=rendering)
    a = simulate(ex.circuit, keep_clbits=0).density_matrix(range(n))
    b = simulate(ef.circuit, keep_clbits=0).density_matrix(range(n))
    if ef.summary["effective_exact"]:
        assert np.abs(a - b).max() < 1e-9
    else:
        assert rendering == "static"


def test_local_noise_inside_a_window_is_refused_in_effective_mode_and_kept_explicit():
    prog0 = _window_programs()[1]
    qpu = QPU(name="t", num_data_qubits=3, single_qubit_gate_error=0.01, two_qubit_gate_error=0.02)
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3, qpu=qpu)
    prog = lower(prog0.circuit, cluster, prog0.assignment)
    assert any(p.window for p in prog.packets)
    with pytest.raises(OptionsError, match="restoring window"):
        add_noise(prog, mode="effective")
    ex = add_noise(prog, mode="explicit")  # the explicit rendering is the protocol itself
    assert ex.circuit.num_qubits > prog.circuit.num_qubits


def test_noisy_runs_lower_without_windows_and_claim_what_they_consume():
    from welinq_core.pipeline import compile_program

    prog0 = _window_programs()[1]
    qpu = QPU(name="t", num_data_qubits=3, single_qubit_gate_error=0.01, two_qubit_gate_error=0.02)
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3, qpu=qpu)
    compiled = compile_program(prog0.circuit, cluster, assignment=prog0.assignment)
    assert not any(p.window for p in compiled.program.packets)
    assert compiled.report.total_bell_pairs == compiled.program.num_bell_pairs
