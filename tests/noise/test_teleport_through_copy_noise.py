"""Moves through a linked copy under noise: the effective rendering equals the explicit
protocol (X-basis measurement of the qubit, Z on the copy), to 1e-9.

A flip of the copy (pair X/Y, cat-entangler or readout errors, its memory) becomes an
``X`` on the qubit when the copy takes over, and flips the qubit's other open copies from
there on; a Z there is a Z on the qubit. Local, idle and copy-memory noise included, in
the exact (Clifford or measured) and per-shot drawn forms.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from _dm import data_dm
from test_teledata_noise import _bds, _noisy_cluster
from welinq_core.circuit import Circuit, Operation
from welinq_core.lowering import lower
from welinq_core.noise import add_noise

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from test_teleport_through_copy import _moves_through_copies  # noqa: E402

DIAGONAL = [("cz", 0), ("cp", 1), ("crz", 1), ("rzz", 1)]
OTHER_1Q = [("h", 0), ("ry", 1), ("sx", 0), ("t", 0)]


def _random_ops(draw, n: int, count: int) -> list[Operation]:
    ops = []
    for _ in range(count):
        a = draw(st.integers(0, n - 1))
        b = draw(st.integers(0, n - 2))
        b = b + 1 if b >= a else b
        kind = draw(st.sampled_from(["diag", "diag", "1q", "cx"]))
        if kind == "diag":
            name, k = draw(st.sampled_from(DIAGONAL))
            ops.append(Operation(name=name, qubits=(a, b), params=tuple(draw(st.floats(-3, 3)) for _ in range(k))))
        elif kind == "1q":
            name, k = draw(st.sampled_from(OTHER_1Q))
            ops.append(Operation(name=name, qubits=(a,), params=tuple(draw(st.floats(-3, 3)) for _ in range(k))))
        else:
            ops.append(Operation(name="cx", qubits=(a, b)))
    return ops


@st.composite
def moved_through_copy(draw, n_max: int = 3):
    """A small noisy program with at least one move through a copy: a copy of ``a`` made
    for ``cx(a, b)`` (a and b on different QPUs) takes over before ``a``'s next ``h``."""
    n = draw(st.integers(2, n_max))
    nq = draw(st.integers(2, 3))
    a = draw(st.integers(0, n - 1))
    b = draw(st.sampled_from([q for q in range(n) if q != a]))
    ops = [Operation(name="ry", qubits=(q,), params=(0.3 + 0.7 * q,)) for q in range(n)]
    ops += _random_ops(draw, n, draw(st.integers(0, 2)))
    ops.append(Operation(name="cx", qubits=(a, b)))
    ops += [op for op in _random_ops(draw, n, draw(st.integers(0, 3))) if a not in op.qubits or op.name in ("t", "cz")]
    ops.append(Operation(name="h", qubits=(a,)))
    ops += _random_ops(draw, n, draw(st.integers(0, 2)))
    circuit = Circuit(num_qubits=n, operations=ops)
    cluster = _noisy_cluster(nq, n, draw(st.sampled_from(["line", "all-to-all"])))
    names = list(cluster.qpu_names)
    assignment = [names[draw(st.integers(0, nq - 1))] for _ in range(n)]
    if assignment[a] == assignment[b]:
        assignment[b] = next(x for x in names if x != assignment[a])
    assignment = tuple(assignment)
    moves = _moves_through_copies(lower(circuit, cluster, assignment), draw(st.integers(0, 10)))
    prog = lower(circuit, cluster, assignment, moves=moves)
    assume(any(tp.packet is not None for tp in prog.teleports))
    states = [_bds(draw) for _ in range(prog.num_bell_pairs)]
    return prog, states


def _drawn_dm(noisy, n):
    if noisy.drawn is None:
        return data_dm(noisy.circuit, n)
    return sum(p * data_dm(noisy.drawn.circuit_for(c), n) for p, c in noisy.drawn.outcome_combinations())


def _noise_inputs(prog, idle_kind: int, copy_idle: bool):
    n = prog.circuit.num_qubits
    idle = None
    if idle_kind:
        idle = [(s, q, 1e-5 * (1 + s % 3)) for s in range(len(prog.steps)) for q in range(n) if (s + q) % 2]
    copies = None
    if copy_idle:
        copies = {s: 2e-5 * (1 + s % 2) for s, st_ in enumerate(prog.steps)
                  if st_.packet is not None and st_.kind != "open"}
    return idle, copies


@given(moved_through_copy(), st.integers(0, 1), st.booleans(), st.sampled_from(["exact", "drawn"]))
@settings(max_examples=25, deadline=None)
def test_move_through_copy_effective_equals_explicit(case, idle_kind, copy_idle, rendering):
    prog, states = case
    n = prog.circuit.num_qubits
    idle, copies = _noise_inputs(prog, idle_kind, copy_idle)
    ex = add_noise(prog, mode="explicit", pair_states=states, idle_durations=idle, copy_idle_durations=copies)
    ef = add_noise(prog, mode="effective", pair_states=states, idle_durations=idle, copy_idle_durations=copies,
                   effective_rendering=rendering)
    assert ef.summary["effective_exact"] is True
    if ef.drawn is not None and ef.drawn.num_combinations() > 256:
        return  # too many outcome combinations to sum exactly here
    a = data_dm(ex.circuit, n)
    assert abs(np.trace(a) - 1) < 1e-9
    assert np.abs(a - _drawn_dm(ef, n)).max() < 1e-9


def test_flipped_copy_that_takes_over_flips_the_other_copy():
    """Qubit 0 has copies on qpu1 and qpu2; it moves to qpu1 through its copy there, then
    its copy on qpu2 serves a cp with qubit 3. An X on the qpu1 pair becomes an X on qubit 0 and must
    reach that cp (not Clifford: the exact form needs shared randomness)."""
    ops = [Operation(name="ry", qubits=(q,), params=(0.5 + 0.4 * q,)) for q in range(4)]
    ops += [Operation(name="cx", qubits=(0, 1)), Operation(name="cx", qubits=(0, 2)), Operation(name="cx", qubits=(2, 3)),
            Operation(name="cp", qubits=(0, 3), params=(1.3,)), Operation(name="cx", qubits=(1, 0)),
            Operation(name="ry", qubits=(0,), params=(0.6,))]
    circuit = Circuit(num_qubits=4, operations=ops)
    cluster = _noisy_cluster(3, 2, "all-to-all")
    prog = lower(circuit, cluster, ("qpu0", "qpu1", "qpu2", "qpu2"), moves={7: [(0, "qpu1")]})  # before the cp
    (tp,) = prog.teleports
    assert tp.packet == 0 and prog.num_bell_pairs == 2 and len(prog.packets) == 2
    assert prog.packets[1].num_gates == 2  # the copy on qpu2 outlives the move
    perfect = (1.0, 0.0, 0.0, 0.0)
    for states in ([(0.8, 0.2, 0.0, 0.0), perfect], [(0.9, 0.03, 0.04, 0.03), (0.85, 0.05, 0.05, 0.05)]):
        ex = add_noise(prog, mode="explicit", pair_states=states, local_noise=False, idle_noise=False)
        a = data_dm(ex.circuit, 4)
        for rendering in ("exact", "drawn", "measured"):
            ef = add_noise(prog, mode="effective", pair_states=states, local_noise=False, idle_noise=False,
                           effective_rendering=rendering)
            assert np.abs(a - _drawn_dm(ef, 4)).max() < 1e-9, rendering
    # an X on the first pair changes the data state: the comparison above can fail
    clean = data_dm(add_noise(prog, mode="explicit", pair_states=[perfect] * 2,
                              local_noise=False, idle_noise=False).circuit, 4)
    flipped = data_dm(add_noise(prog, mode="explicit", pair_states=[(0.0, 1.0, 0.0, 0.0), perfect],
                                local_noise=False, idle_noise=False).circuit, 4)
    assert np.abs(clean - flipped).max() > 1e-2


def test_per_shot_schedules_with_a_move_through_a_copy():
    """A W-state chain on finite-rate links with a lossy memory (every shot draws its
    schedule): per drawn key, the explicit protocol and the effective rendering with its
    drawn events give the same output distribution, to 1e-9."""
    import math

    from _dm import clbit_distribution
    from welinq_core.cluster import QPU, Cluster, Link
    from welinq_core.physics import QuantumMemory
    from welinq_core.pipeline import compile_program
    from welinq_core.shot_schedules import draw_shot_schedules

    qpu = QPU(name="q", num_data_qubits=2, t1_s=4e-3, t2_s=2e-3, readout_error=0.01,
              two_qubit_gate_duration_s=2e-5, single_qubit_gate_duration_s=5e-6, measurement_duration_s=5e-5)
    link = Link(bell_pair_fidelity=0.95, bell_pair_rate_hz=3e3, memory=QuantumMemory.depolarizing(time_s=2e-3))
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, qpu=qpu, link=link)
    ops = [Operation(name="x", qubits=(2,))]
    for i in (1, 0):
        theta = math.acos(math.sqrt(1 / (i + 2)))
        ops += [Operation(name="ry", qubits=(i,), params=(-theta,)), Operation(name="cz", qubits=(i + 1, i)),
                Operation(name="ry", qubits=(i,), params=(theta,))]
    ops += [Operation(name="cx", qubits=(1, 2)), Operation(name="cx", qubits=(0, 1))]
    ops += [Operation(name="measure", qubits=(q,), clbits=(q,)) for q in range(3)]
    circuit = Circuit(num_qubits=3, num_clbits=3, operations=ops)
    compiled = compile_program(circuit, cluster, assignment=("qpu0", "qpu1", "qpu1"), seed=0, draw_per_shot=True)
    prog = compiled.program
    assert prog.num_bell_pairs == 1 and [tp.packet for tp in prog.teleports] == [0]
    draws = draw_shot_schedules(compiled, 300, np.random.default_rng(2))
    keys = sorted(set(draws.keys), key=lambda k: (len(k[1]) + len(k[2]), k))

    def vec(dist):
        out = np.zeros(8)
        for bits, p in dist.items():
            out[bits[0] + 2 * bits[1] + 4 * bits[2]] += p
        return out

    for key in keys[:2] + keys[-2:]:
        inputs = draws.noise_inputs(key)
        a = vec(clbit_distribution(add_noise(prog, mode="explicit", **inputs).circuit, 3))
        ef = add_noise(prog, mode="effective", effective_rendering="drawn", **inputs)
        if ef.drawn is None:
            b = vec(clbit_distribution(ef.circuit, 3))
        else:
            assert ef.drawn.num_combinations() <= 1024
            b = sum(p * vec(clbit_distribution(ef.drawn.circuit_for(c), 3)) for p, c in ef.drawn.outcome_combinations())
        assert np.abs(a - b).max() < 1e-9, key
