"""Qubit reuse keeps the channel exactly: same joint law of the kept bits and the surviving qubits.

Reference: an exact density-matrix simulator with classical bits (below; one density matrix
per value of the live classical bits, scratch bits forgotten once dead), on random circuits
with mid-circuit measurements, resets, classical conditions (on fresh and overwritten bits),
Pauli channels and scratch bits, and on noisy explicit-mode programs of the lowering.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from welinq_core.circuit import Circuit, Condition, Operation
from welinq_core.cluster import Cluster, Link
from welinq_core.pipeline import compile_program
from welinq_core.qubit_reuse import live_segments, narrow_order, peak_live, reuse_qubits
from welinq_core import gates
from welinq_core.reference import dead_scratch_bits

from tests.strategies import operations

TOL = 1e-9


def _final_slots(r, circuit: Circuit) -> dict[int, int]:
    """Original qubit -> slot holding it at the end, for qubits whose slot nobody reuses later
    (a qubit whose last operation is a reset ends in |0>, which nothing can read: left out)."""
    last_op = {q: op.name for op in circuit.operations if op.name != "barrier" for q in op.qubits}
    last: dict[int, tuple[int, int]] = {}
    for q, start, slot in r.slots:
        if q not in last or start > last[q][0]:
            last[q] = (start, slot)
    out = {}
    for q, (start, slot) in last.items():
        if last_op[q] != "reset" and not any(s == slot and st_ > start for q2, st_, s in r.slots if q2 != q):
            out[q] = slot
    return out


def _on(rho: np.ndarray, u: np.ndarray, qubits: tuple[int, ...], n: int) -> np.ndarray:
    """``u rho u^dag`` for a density tensor of shape ``(2,) * 2n`` (rows, then columns)."""
    k = len(qubits)
    t = np.asarray(u, complex).reshape((2,) * (2 * k))
    rows, cols = list(qubits), [n + q for q in qubits]
    rho = np.moveaxis(np.tensordot(t, rho, axes=(list(range(k, 2 * k)), rows)), list(range(k)), rows)
    return np.moveaxis(np.tensordot(t.conj(), rho, axes=(list(range(k, 2 * k)), cols)), list(range(k)), cols)


def _project(rho: np.ndarray, q: int, v: int, n: int) -> np.ndarray:
    out = np.zeros_like(rho)
    idx = [slice(None)] * (2 * n)
    idx[q] = idx[n + q] = v
    out[tuple(idx)] = rho[tuple(idx)]
    return out


def density_simulate(circuit: Circuit, keep: int) -> dict[tuple[int, ...], np.ndarray]:
    """Exact ``{bits: unnormalised density tensor}``; bits ``>= keep`` are summed out at the end."""
    n, nc = circuit.num_qubits, circuit.num_clbits
    rho = np.zeros((2,) * (2 * n), complex)
    rho[(0,) * (2 * n)] = 1
    states = {(0,) * nc: rho}
    dead = dead_scratch_bits(circuit, keep)
    for i, op in enumerate(circuit.operations):
        new: dict[tuple[int, ...], np.ndarray] = {}

        def add(bits, r):
            new[bits] = new[bits] + r if bits in new else r

        for bits, r in states.items():
            if op.name == "barrier" or op.condition is not None and not op.condition.is_satisfied_by(bits):
                add(bits, r)
            elif op.name == "measure":
                parts = [(bits, r)]
                for q, c in zip(op.qubits, op.clbits):
                    parts = [(b[:c] + (v,) + b[c + 1:], _project(x, q, v, n)) for b, x in parts for v in (0, 1)]
                for b, x in parts:
                    add(b, x)
            elif op.name == "reset":
                for q in op.qubits:
                    r = _project(r, q, 0, n) + _on(_project(r, q, 1, n), gates.PAULI_MATRICES["X"], (q,), n)
                add(bits, r)
            elif op.name == "pauli_channel":
                acc = np.zeros_like(r)
                for label, p in op.pauli_terms:
                    x = r
                    for q, ch in zip(op.qubits, label):
                        if ch != "I":
                            x = _on(x, gates.PAULI_MATRICES[ch], (q,), n)
                    acc = acc + p * x
                add(bits, acc)
            elif op.name == "kraus":
                add(bits, sum(_on(r, k, op.qubits, n) for k in op.kraus_matrices()))
            else:
                add(bits, _on(r, gates.gate_matrix(op.name, op.params), op.qubits, n))
        states = new
        if dead.get(i):
            forgotten: dict[tuple[int, ...], np.ndarray] = {}
            for bits, r in states.items():
                b = tuple(0 if j in dead[i] else x for j, x in enumerate(bits))
                forgotten[b] = forgotten[b] + r if b in forgotten else r
            states = forgotten
    out: dict[tuple[int, ...], np.ndarray] = {}
    for bits, r in states.items():
        out[bits[:keep]] = out[bits[:keep]] + r if bits[:keep] in out else r
    return out


def _joint(circuit: Circuit, keep: int, qubits: list[int]) -> dict[tuple[int, ...], np.ndarray]:
    """``{kept bits: reduced (unnormalised) density matrix of qubits}`` (exact)."""
    n = circuit.num_qubits
    d = 2 ** len(qubits)
    out = {}
    for bits, r in density_simulate(circuit, keep).items():
        if np.trace(r.reshape(2 ** n, 2 ** n)).real < 1e-14:
            continue
        labels = list(range(n)) + [n + q if q in qubits else q for q in range(n)]  # others traced out
        t = np.einsum(r, labels, qubits + [n + q for q in qubits])
        out[bits] = t.reshape(d, d)
    return out


def assert_same_channel(circuit: Circuit, keep: int, **kwargs) -> object:
    r = reuse_qubits(circuit, **kwargs)
    assert r.circuit.num_qubits == r.qubits_after <= circuit.num_qubits
    assert r.circuit.num_clbits == circuit.num_clbits
    assert r.qubits_after <= r.peak_live or r.peak_live == 0
    final = _final_slots(r, circuit)
    qs = sorted(final)
    a = _joint(circuit, keep, qs)
    b = _joint(r.circuit, keep, [final[q] for q in qs])
    for k in set(a) | set(b):
        assert np.allclose(a.get(k, 0), b.get(k, 0), atol=TOL), k
    return r


@st.composite
def scratch_circuits(draw, max_qubits: int = 5, max_ops: int = 16):
    """Measurements into kept and scratch bits, resets, conditions (also on overwritten bits),
    Pauli channels, barriers; final measurements of a few qubits only."""
    n = draw(st.integers(2, max_qubits))
    nc = n + 2
    ops: list[Operation] = []
    for _ in range(draw(st.integers(1, max_ops))):
        kind = draw(st.sampled_from(["gate"] * 5 + ["measure", "measure", "reset", "reset", "noise", "barrier"]))
        if kind == "gate":
            op = draw(operations(n))
            if draw(st.booleans()):
                bits = tuple(draw(st.lists(st.integers(0, nc - 1), min_size=1, max_size=2, unique=True)))
                op = Operation(name=op.name, qubits=op.qubits, params=op.params,
                               condition=Condition(clbits=bits, value=draw(st.integers(0, 2 ** len(bits) - 1))))
            ops.append(op)
        elif kind == "measure":
            ops.append(Operation(name="measure", qubits=(draw(st.integers(0, n - 1)),),
                                 clbits=(draw(st.integers(0, nc - 1)),)))
        elif kind == "reset":
            ops.append(Operation(name="reset", qubits=(draw(st.integers(0, n - 1)),)))
        elif kind == "noise":
            q = draw(st.integers(0, n - 1))
            p = draw(st.floats(0.0, 0.3))
            ops.append(Operation(name="pauli_channel", qubits=(q,),
                                 pauli_terms=(("I", 1 - p), (draw(st.sampled_from("XYZ")), p))))
        else:
            ops.append(Operation(name="barrier", qubits=tuple(range(n))))
    measured = draw(st.lists(st.integers(0, n - 1), max_size=n, unique=True))
    ops += [Operation(name="measure", qubits=(q,), clbits=(i,)) for i, q in enumerate(measured)]
    keep = draw(st.integers(0, nc))
    return Circuit(num_qubits=n, num_clbits=nc, operations=ops), keep


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scratch_circuits(), st.booleans())
def test_random_circuits_keep_their_channel(case, reorder):
    circuit, keep = case
    assert_same_channel(circuit, keep, reorder=reorder)


def test_fewest_slots_is_the_peak_of_live_segments():
    # qubit 0 is measured and done before qubit 2 starts; qubit 1 starts again after its reset
    ops = [Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 1)),
           Operation(name="measure", qubits=(0,), clbits=(0,)),
           Operation(name="reset", qubits=(1,)), Operation(name="x", qubits=(2,)),
           Operation(name="cx", qubits=(2, 1)), Operation(name="measure", qubits=(1,), clbits=(1,))]
    c = Circuit(num_qubits=3, num_clbits=2, operations=ops)
    assert [(s.qubit, s.start, s.end) for s in live_segments(ops)] == [(0, 0, 2), (1, 1, 1), (1, 3, 6), (2, 4, 5)]
    assert peak_live(ops) == 2
    r = assert_same_channel(c, 2)
    assert r.qubits_after == 2


def test_reorder_starts_a_pair_just_before_its_use():
    # a "Bell pair" (qubit 2) prepared first but used last: 3 qubits live at once as written
    ops = [Operation(name="reset", qubits=(2,)), Operation(name="h", qubits=(2,)),
           Operation(name="h", qubits=(0,)), Operation(name="x", qubits=(1,)), Operation(name="cx", qubits=(0, 1)),
           Operation(name="measure", qubits=(0,), clbits=(0,)), Operation(name="cx", qubits=(2, 1)),
           Operation(name="measure", qubits=(1,), clbits=(1,)), Operation(name="measure", qubits=(2,), clbits=(2,))]
    c = Circuit(num_qubits=3, num_clbits=3, operations=ops)
    assert reuse_qubits(c, reorder=False).qubits_after == 3
    r = assert_same_channel(c, 3)
    assert r.reordered and r.qubits_after == 2 and r.peak_live == 3
    assert narrow_order(ops, priority="contact") == (3, 2, 4, 5, 0, 1, 6, 7, 8)


def test_keep_order_preserves_the_relative_order_of_marked_operations():
    ops = [Operation(name="x", qubits=(1,)), Operation(name="z", qubits=(0,)),
           Operation(name="measure", qubits=(0,), clbits=(0,)), Operation(name="measure", qubits=(1,), clbits=(1,))]
    free = narrow_order(ops)
    kept = narrow_order(ops, keep_order=lambda op: op.name in ("x", "z"))
    assert kept.index(0) < kept.index(1)
    assert sorted(free) == sorted(kept) == [0, 1, 2, 3]


def test_nothing_to_save_returns_the_circuit_itself():
    c = Circuit(num_qubits=2, num_clbits=2, operations=[
        Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 1)),
        Operation(name="measure", qubits=(0,), clbits=(0,)), Operation(name="measure", qubits=(1,), clbits=(1,))])
    r = reuse_qubits(c)
    assert r.circuit is c and r.qubits_after == 2 and not r.reordered


def _explicit(circuit: Circuit, cluster: Cluster, assignment, seed: int = 3):
    return compile_program(circuit, cluster, mode="explicit", seed=seed, assignment=assignment)


def _qft_like(n: int) -> Circuit:
    ops = [Operation(name="rx", qubits=(q,), params=(0.3 + 0.4 * q,)) for q in range(n)]
    for i in range(n):
        ops.append(Operation(name="h", qubits=(i,)))
        for j in range(i + 1, n):
            ops.append(Operation(name="cp", qubits=(j, i), params=(np.pi / 2 ** (j - i),)))
    ops += [Operation(name="measure", qubits=(q,), clbits=(q,)) for q in range(n)]
    return Circuit(num_qubits=n, num_clbits=n, operations=ops)


@pytest.mark.parametrize("assignment", [
    ("qpu0", "qpu1", "qpu2"),
    pytest.param(("qpu0", "qpu0", "qpu1", "qpu2"), marks=pytest.mark.slow),
    pytest.param(("qpu0", "qpu1", "qpu2", "qpu0"), marks=pytest.mark.slow)])
def test_explicit_programs_keep_their_distribution(assignment):
    """A noisy explicit program (pairs, swapping along a line, cat-entangler/disentangler,
    feed-forward, link/idle/gate/readout noise) on fewer qubits: same user distribution."""
    from welinq_core.cluster import QPU

    qpu = QPU(name="t", num_data_qubits=2, single_qubit_gate_error=1e-2, two_qubit_gate_error=3e-2,
              readout_error=2e-2)
    cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=2, qpu=qpu, topology="line",
                                  link=Link(bell_pair_fidelity=0.9))
    compiled = _explicit(_qft_like(len(assignment)), cluster, assignment)
    c, keep = compiled.circuit, compiled.num_user_clbits
    r = reuse_qubits(c)
    assert r.qubits_after < c.num_qubits
    want = {b: np.trace(m).real for b, m in _joint(c, keep, []).items()}
    got = {b: np.trace(m).real for b, m in _joint(r.circuit, keep, []).items()}
    assert set(want) == set(got) and len(want) > 1
    assert max(abs(want[k] - got[k]) for k in want) < TOL
