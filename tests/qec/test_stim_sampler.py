"""The stim engine: IR -> stim translation against the exact reference simulator."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from welinq_core.circuit import Circuit, Condition, Operation
from welinq_core.errors import UnsupportedGateError
from welinq_core.qec.stim_sampler import (
    STIM_GATES,
    sample_clbits,
    sample_memory,
    sample_packed,
    stim_incompatibility,
    to_stim,
)
from welinq_core.reference import simulate

_ONE = ["id", "x", "y", "z", "h", "s", "sdg", "sx", "sxdg"]
_TWO = ["cx", "cy", "cz", "swap"]


def _random_clifford_ir(rng: np.random.Generator, n: int, depth: int) -> Circuit:
    """Random Clifford gates, Pauli channels on 1-3 qubits, mid-circuit measurements and fed-forward Paulis."""
    ops: list[Operation] = []
    measured: list[int] = []
    for _ in range(depth):
        kind = rng.integers(6)
        if kind == 0:
            ops.append(Operation(name=str(rng.choice(_ONE)), qubits=(int(rng.integers(n)),)))
        elif kind == 1:
            a, b = rng.choice(n, 2, replace=False)
            ops.append(Operation(name=str(rng.choice(_TWO)), qubits=(int(a), int(b))))
        elif kind == 2:
            k = int(rng.integers(1, 4))
            qs = tuple(int(q) for q in rng.choice(n, k, replace=False))
            labels = {"".join(rng.choice(list("IXYZ"), k)) for _ in range(3)} - {"I" * k}
            probs = rng.dirichlet(np.ones(len(labels) + 1)) * 0.5
            terms = [("I" * k, 1 - float(probs[1:].sum()))] + [(lab, float(p)) for lab, p in zip(sorted(labels), probs[1:])]
            ops.append(Operation(name="pauli_channel", qubits=qs, pauli_terms=tuple(terms)))
        elif kind == 3:
            q = int(rng.integers(n))
            bit = n + len(measured)
            ops.append(Operation(name="measure", qubits=(q,), clbits=(bit,)))
            measured.append(bit)
        elif kind == 4 and measured:
            bit = int(rng.choice(measured))
            ops.append(Operation(name=str(rng.choice(["x", "y", "z"])), qubits=(int(rng.integers(n)),),
                                 condition=Condition(clbits=(bit,), value=int(rng.integers(2)))))
        elif kind == 5:
            ops.append(Operation(name="reset", qubits=(int(rng.integers(n)),)))
    ops += [Operation(name="measure", qubits=(q,), clbits=(q,)) for q in range(n)]
    return Circuit(num_qubits=n, num_clbits=n + len(measured), operations=ops)


@pytest.mark.parametrize("seed", range(6))
def test_stim_samples_match_the_exact_reference_on_random_clifford_circuits(seed):
    rng = np.random.default_rng(seed)
    n = 4
    circuit = _random_clifford_ir(rng, n, depth=30)
    assert stim_incompatibility(circuit) is None
    exact = simulate(circuit, keep_clbits=n).probabilities()
    shots = 20_000
    memory = np.array(sample_memory(circuit, shots=shots, seed=seed, num_clbits=n))
    observed = np.bincount(memory, minlength=2**n)
    expected = np.zeros(2**n)
    for key, p in exact.items():
        expected[int(key, 2)] += p
    support = expected > 1e-12
    assert observed[~support].sum() == 0  # never an outcome the exact simulation excludes
    if support.sum() > 1:
        stat = chisquare(observed[support], expected[support] / expected[support].sum() * shots)
        assert stat.pvalue > 1e-4


def test_multi_qubit_pauli_channel_is_sampled_with_its_probabilities():
    terms = (("III", 0.6), ("XXI", 0.1), ("IXX", 0.2), ("XIX", 0.05), ("XXX", 0.05))
    ops = [Operation(name="pauli_channel", qubits=(0, 1, 2), pauli_terms=terms)]
    ops += [Operation(name="measure", qubits=(q,), clbits=(q,)) for q in range(3)]
    memory = np.array(sample_memory(Circuit(num_qubits=3, num_clbits=3, operations=ops), shots=100_000, seed=2))
    freq = np.bincount(memory, minlength=8) / 100_000
    # label character i acts on qubit i; clbit i is bit i of the memory integer
    expect = {0b000: 0.6, 0b011: 0.1, 0b110: 0.2, 0b101: 0.05, 0b111: 0.05}
    for value, p in expect.items():
        assert abs(freq[value] - p) < 5 * np.sqrt(p * (1 - p) / 100_000)


def test_feed_forward_on_an_unwritten_bit_is_constant():
    ops = [Operation(name="x", qubits=(0,), condition=Condition(clbits=(1,), value=0)),
           Operation(name="x", qubits=(1,), condition=Condition(clbits=(1,), value=1)),
           Operation(name="measure", qubits=(0, 1), clbits=(0, 2))]
    assert set(sample_memory(Circuit(num_qubits=2, num_clbits=3, operations=ops), shots=50, seed=1)) == {1}


def test_wide_registers_pack_into_python_integers():
    n = 130
    ops = [Operation(name="x", qubits=(q,)) for q in range(0, n, 3)]
    ops += [Operation(name="measure", qubits=(q,), clbits=(q,)) for q in range(n)]
    memory = sample_memory(Circuit(num_qubits=n, num_clbits=n, operations=ops), shots=3, seed=1)
    assert memory == [sum(1 << q for q in range(0, n, 3))] * 3


@given(st.sampled_from(["t", "tdg", "ch", "cs", "rzz"]))
def test_non_clifford_gates_are_refused_with_the_gate_named(name):
    from welinq_core import gates

    k = gates.spec(name).num_qubits
    circuit = Circuit(num_qubits=2, operations=[Operation(name=name, qubits=tuple(range(k)),
                                                          params=(0.3,) * gates.spec(name).num_params)])
    assert name not in STIM_GATES
    with pytest.raises(UnsupportedGateError, match=f"non-Clifford gate '{name}'.*method='automatic'"):
        to_stim(circuit)


def test_conditions_stim_cannot_express_are_refused():
    two_bits = Operation(name="x", qubits=(0,), condition=Condition(clbits=(0, 1), value=3))
    conditioned_h = Operation(name="h", qubits=(0,), condition=Condition(clbits=(0,), value=1))
    for op, words in [(two_bits, "several classical bits"), (conditioned_h, "conditioned 'h'")]:
        reason = stim_incompatibility(Circuit(num_qubits=1, num_clbits=2, operations=[op]))
        assert reason is not None and words in reason


def test_uniform_depolarizing_channels_become_stims_depolarize():
    import itertools

    labels = ["".join(p) for p in itertools.product("IXYZ", repeat=2)]
    terms = tuple((lab, 0.85 if lab == "II" else 0.01) for lab in labels)
    ops = [Operation(name="pauli_channel", qubits=(0, 1), pauli_terms=terms),
           Operation(name="measure", qubits=(0, 1), clbits=(0, 1))]
    circuit = Circuit(num_qubits=2, num_clbits=2, operations=ops)
    program = to_stim(circuit)
    assert [inst.name for inst in program.circuit][0] == "DEPOLARIZE2"
    assert program.circuit[0].gate_args_copy() == pytest.approx([0.15])
    # X or Y on a qubit flips its bit: 4 of the 15 errors flip only bit 0 (XI, XZ, YI, YZ), etc.
    freq = np.bincount(np.array(sample_memory(circuit, shots=100_000, seed=3)), minlength=4) / 100_000
    for value, p in {0: 0.85 + 3 * 0.01, 1: 0.04, 2: 0.04, 3: 0.04}.items():
        assert abs(freq[value] - p) < 5 * np.sqrt(p * (1 - p) / 100_000)


def _reference_memory(circuit: Circuit, shots: int, seed: int, num_clbits: int) -> list[int]:
    """Memory from stim's own unpacked samples, bit by bit (the slow, obvious way)."""
    program = to_stim(circuit)
    records = program.circuit.compile_sampler(seed=seed).sample(shots)
    out = []
    for row in records:
        value = 0
        for bit, rec in enumerate(program.clbit_records[:num_clbits]):
            if rec >= 0 and row[rec]:
                value |= 1 << bit
        out.append(value)
    return out


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("width", [3, 8, 13, 70])
def test_packed_sampling_gives_the_bits_of_stims_own_samples(seed, width):
    """Same seed, same shots as stim's unpacked sampler; clbits in any order, some never
    written, mid-circuit results overwritten, the register cut to a width off the bytes."""
    rng = np.random.default_rng(seed)
    n = 5 if width < 70 else 72
    circuit = _random_clifford_ir(rng, n, depth=40)
    if seed % 2:  # final measurements into shuffled classical bits (and one bit never written)
        perm = rng.permutation(circuit.num_clbits)
        ops = [dataclasses.replace(op, clbits=tuple(int(perm[c]) for c in op.clbits),
                                   condition=op.condition if op.condition is None else Condition(
                                       clbits=tuple(int(perm[c]) for c in op.condition.clbits),
                                       value=op.condition.value))
               for op in circuit.operations if not (op.name == "measure" and op.qubits == (0,))]
        circuit = Circuit(num_qubits=n, num_clbits=circuit.num_clbits, operations=ops)
    m = min(width, circuit.num_clbits)
    assert sample_memory(circuit, shots=200, seed=seed, num_clbits=m) == _reference_memory(circuit, 200, seed, m)
    bits = sample_clbits(circuit, shots=200, seed=seed)
    packed = sample_packed(circuit, shots=200, seed=seed)
    assert bits.shape == (200, circuit.num_clbits)
    assert np.array_equal(np.packbits(bits, axis=1, bitorder="little"), packed)


def _reference_channel_lines(op: Operation) -> list[str]:
    """The channel's stim lines computed term by term (no templates)."""
    k = len(op.qubits)
    if k <= 2:
        errors = {label: p for label, p in op.pauli_terms if set(label) != {"I"} and p > 0}
        values = list(errors.values())
        if len(errors) == 4**k - 1 and max(values) - min(values) <= 1e-15 * max(values):
            return [f"DEPOLARIZE{k}({sum(values)!r}) " + " ".join(str(q) for q in op.qubits)]
    lines = []
    remaining = 1.0
    for label, p in op.pauli_terms:
        if set(label) == {"I"} or p <= 0:
            continue
        targets = " ".join(f"{c}{q}" for c, q in zip(label, op.qubits) if c != "I")
        conditional = min(1.0, p / remaining) if remaining > 1e-15 else 1.0
        lines.append(f"{'ELSE_CORRELATED_ERROR' if lines else 'CORRELATED_ERROR'}({conditional!r}) {targets}")
        remaining -= p
    return lines


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 3).flatmap(lambda k: st.tuples(
    st.permutations(range(7)).map(lambda p: tuple(p[:k])),
    st.lists(st.tuples(st.text("IXYZ", min_size=k, max_size=k), st.floats(0.0, 1.0)), min_size=1, max_size=8),
)), st.booleans())
def test_cached_channel_templates_give_the_term_by_term_lines(drawn, uniform):
    from welinq_core.qec.stim_sampler import _pauli_channel_lines
    from welinq_core.noise.channels import depolarizing_terms

    qubits, raw = drawn
    if uniform and len(qubits) <= 2:
        terms = depolarizing_terms(raw[0][1] * 0.5, len(qubits))
    else:
        total = sum(p for _, p in raw)
        if total <= 0:
            return
        terms = tuple((lab, p / total) for lab, p in raw)
    op = Operation(name="pauli_channel", qubits=qubits, pauli_terms=terms)
    assert _pauli_channel_lines(op) == _reference_channel_lines(op)
    moved = op.on_qubits(tuple(q + 10 for q in qubits))  # same template, other qubits
    assert _pauli_channel_lines(moved) == _reference_channel_lines(moved)


@pytest.mark.parametrize("width", [5, 8, 10, 13])
def test_final_measurements_are_used_packed_as_stim_gives_them(width):
    """Classical bit i = measurement i: stim's packed bytes are used directly, the
    register cut to ``width`` bits."""
    n = 13
    ops = [Operation(name="h", qubits=(0,))] + [Operation(name="cx", qubits=(q, q + 1)) for q in range(n - 1)]
    ops += [Operation(name="pauli_channel", qubits=(q,), pauli_terms=(("I", 0.8), ("X", 0.2))) for q in range(n)]
    ops += [Operation(name="measure", qubits=(q,), clbits=(q,)) for q in range(n)]
    circuit = Circuit(num_qubits=n, num_clbits=n, operations=ops)
    assert to_stim(circuit).clbit_records == tuple(range(n))
    memory = sample_memory(circuit, shots=300, seed=7, num_clbits=width)
    assert memory == _reference_memory(circuit, 300, 7, width)
    assert max(memory) < 2**width and len(set(memory)) > 10
