"""Plain events (noise that flips no packet's copy) take a fast path: the same circuit as
the general rendering, operation for operation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from welinq_core.circuit import Circuit, Condition, Operation
from welinq_core.cluster import QPU, Cluster, Link
from welinq_core.lowering import lower
from welinq_core.noise import add_noise, events
from welinq_core.noise.effective import EffectiveRenderer
from welinq_core.noise.events import NoiseEvent, plain_channel
from welinq_core.schedule import schedule

_ONE = [("h", 0), ("s", 0), ("x", 0), ("sx", 0), ("sdg", 0), ("t", 0), ("rz", 1)]
_TWO = [("cx", 0), ("cz", 0), ("cy", 0), ("swap", 0), ("cp", 1), ("rzz", 1)]


def _random_program(seed: int):
    """A random circuit (Clifford or not, mid-circuit measurements, conditions, resets) on a
    noisy cluster with T1/T2 idling, and a random placement."""
    rng = np.random.default_rng(seed)
    n, nq = int(rng.integers(3, 8)), int(rng.integers(2, 4))
    clifford = rng.random() < 0.6
    ops = []
    for _ in range(int(rng.integers(5, 25))):
        r = rng.random()
        if r < 0.35:
            name, k = _ONE[int(rng.integers(0, 5 if clifford else 7))]
            ops.append(Operation(name=name, qubits=(int(rng.integers(n)),), params=tuple(rng.uniform(-3, 3, k))))
        elif r < 0.85:
            name, k = _TWO[int(rng.integers(0, 4 if clifford else 6))]
            a, b = rng.choice(n, 2, replace=False)
            ops.append(Operation(name=name, qubits=(int(a), int(b)), params=tuple(rng.uniform(-3, 3, k))))
        elif r < 0.92:
            q = int(rng.integers(n))
            ops.append(Operation(name="measure", qubits=(q,), clbits=(q,)))
        elif r < 0.96:
            ops.append(Operation(name="x", qubits=(int(rng.integers(n)),),
                                 condition=Condition(clbits=(int(rng.integers(n)),), value=int(rng.integers(2)))))
        else:
            ops.append(Operation(name="reset", qubits=(int(rng.integers(n)),)))
    ops += [Operation(name="measure", qubits=(q,), clbits=(q,)) for q in range(n)]
    qpu = QPU(name="q", num_data_qubits=n, single_qubit_gate_error=float(rng.choice([0, 1e-3, 0.02])),
              two_qubit_gate_error=float(rng.choice([0, 1e-2, 0.05])),
              readout_error=float(rng.choice([0, 0.01, 0.03])),
              t1_s=float(rng.choice([1e-3, 0.1])), t2_s=float(rng.choice([5e-4, 1e-3])))
    link = Link(bell_pair_fidelity=float(rng.uniform(0.85, 0.99)), length_km=float(rng.choice([1.0, 20.0])))
    cluster = Cluster.homogeneous(num_qpus=nq, data_qubits_per_qpu=n, qpu=qpu,
                                  topology=str(rng.choice(["line", "all-to-all"])), link=link)
    assignment = tuple(f"qpu{int(rng.integers(nq))}" for _ in range(n))
    # (local noise inside a restoring window has no data-qubit rendering: ordinary packets here)
    return lower(Circuit(num_qubits=n, num_clbits=n, operations=ops), cluster, assignment, windows=False)


def _render_all(prog, seed):
    timed = schedule(prog, seed=seed)
    scheduled = dict(pair_states=timed.pair_states(), idle_durations=timed.idle_durations(),
                     copy_idle_durations=timed.copy_idle_durations())
    out = []
    for rendering in ("exact", "static", "purified", "measured", "drawn"):
        for kwargs in ({}, scheduled):
            noisy = add_noise(prog, mode="effective", effective_rendering=rendering, **kwargs)
            out.append((noisy.circuit, noisy.summary, noisy.drawn))
    return out


@pytest.mark.parametrize("seed", range(20))
def test_fast_path_renders_the_same_circuit_as_the_general_rendering(seed, monkeypatch):
    prog = _random_program(seed)
    fast = _render_all(prog, seed)
    monkeypatch.setattr(events, "PLAIN_FAST_PATH", False)
    general = _render_all(prog, seed)
    for (c1, s1, d1), (c2, s2, d2) in zip(fast, general):
        assert c1 == c2
        assert s1 == s2
        assert d1 == d2


def test_fast_path_on_a_long_ghz_chain_across_three_qpus(monkeypatch):
    n = 60
    ops = [Operation(name="h", qubits=(0,))] + [Operation(name="cx", qubits=(i, i + 1)) for i in range(n - 1)]
    ops += [Operation(name="measure", qubits=(q,), clbits=(q,)) for q in range(n)]
    qpu = QPU(name="q", num_data_qubits=20, single_qubit_gate_error=1e-3, two_qubit_gate_error=1e-2,
              readout_error=1e-2, t1_s=0.1, t2_s=0.05)
    cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=20, qpu=qpu, topology="line",
                                  link=Link(bell_pair_fidelity=0.97, length_km=10.0))
    prog = lower(Circuit(num_qubits=n, num_clbits=n, operations=ops), cluster, ["qpu0"] * 20 + ["qpu1"] * 20
                 + ["qpu2"] * 20)
    fast = _render_all(prog, 1)
    assert fast[0][1]["renderings"]["plain"] > 100  # the fast path did the bulk of the work
    monkeypatch.setattr(events, "PLAIN_FAST_PATH", False)
    assert fast == _render_all(prog, 1)


_TERMS = st.lists(st.tuples(st.text("IXYZ", min_size=2, max_size=2), st.floats(0.0, 1.0)), min_size=1,
                  max_size=6)


@settings(max_examples=200, deadline=None)
@given(_TERMS, st.permutations([3, 8]), st.sampled_from([None, Condition(clbits=(0,), value=1)]))
def test_plain_channel_equals_the_renderers_channel(raw, qubits, condition):
    total = sum(p for _, p in raw)
    if total <= 0:
        return
    terms = tuple((lab, p / total) for lab, p in raw)
    outcomes = [(p, {q: ch for q, ch in zip(qubits, lab) if ch != "I"}, frozenset()) for lab, p in terms if p > 0]
    event = NoiseEvent(pos=0, outcomes=outcomes, open_at={}, kind="gate", condition=condition)
    renderer = EffectiveRenderer(None, [], {}, 9, "exact")  # type: ignore[arg-type]
    renderer.render(event)
    general = [op for _, _, _, op in renderer.inserts]
    fast = plain_channel(qubits, terms, condition)
    assert general == ([] if fast is None else [fast])


def _channel_by_hand(qubits, terms, condition):
    """pauli_channel_op's definition, computed directly on ``qubits`` (no template)."""
    merged: dict[str, float] = {}
    for lab, p in terms:
        if p > 0:
            merged[lab] = merged.get(lab, 0.0) + p
    if all(set(lab) <= {"I"} for lab in merged):
        return None
    total = sum(merged.values())
    items = sorted(merged.items(), key=lambda kv: (kv[0] != "I" * len(qubits), kv[0]))
    return Operation(name="pauli_channel", qubits=tuple(qubits), pauli_terms=tuple((lab, p / total) for lab, p in items),
                     condition=condition)


@settings(max_examples=200, deadline=None)
@given(_TERMS, st.permutations([3, 8]), st.permutations([5, 1]),
       st.sampled_from([None, Condition(clbits=(0,), value=1)]))
def test_channel_templates_copied_onto_other_qubits_equal_the_channel_built_there(raw, first, second, condition):
    from welinq_core.noise.channels import pauli_channel_op

    for qubits in (first, second, first):  # the second and third calls reuse the template
        assert pauli_channel_op(qubits, raw, condition) == _channel_by_hand(qubits, raw, condition)
    assert pauli_channel_op(first, [list(t) for t in raw], condition) == _channel_by_hand(first, raw, condition)
