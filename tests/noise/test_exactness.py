"""Explicit protocol vs effective rendering: same data-qubit state, to 1e-9.

With perfect local operations the comparison uses ``welinq_core.reference.simulate``
(exact mixture of pure states). With local gate/readout/idle noise the reference's
branches stop merging on non-Clifford states, so ``_dm.simulate_dm`` (an exact
density-matrix simulator with classical records, tests only) is used instead.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _dm import data_dm
from welinq_core.circuit import Circuit, Operation
from welinq_core.cluster import QPU, Cluster, Link
from welinq_core.errors import OptionsError
from welinq_core.lowering import lower
from welinq_core.noise import add_noise, default_pair_states
from welinq_core.physics import BellPair, QuantumMemory, age, convolve_pauli
from welinq_core.reference import simulate

GATES_1Q = [("h", 0), ("t", 0), ("s", 0), ("rz", 1), ("ry", 1), ("x", 0), ("sx", 0)]
GATES_2Q = [("cx", 0), ("cz", 0), ("cp", 1), ("crz", 1), ("rzz", 1), ("cy", 0)]


def _bds(draw):
    w = [draw(st.floats(0.0, 1.0)) for _ in range(4)]
    w[0] += 2.0  # keep pairs mostly good, like real links
    s = sum(w)
    return tuple(x / s for x in w)


@st.composite
def programs(draw, clifford_only=False):
    n = draw(st.integers(2, 4))
    nq = draw(st.integers(2, 3))
    ops = []
    one = [g for g in GATES_1Q if not clifford_only or g[0] in ("h", "s", "x", "sx")]
    two = [g for g in GATES_2Q if not clifford_only or g[0] in ("cx", "cz", "cy")]
    for _ in range(draw(st.integers(3, 9))):
        if draw(st.booleans()):
            name, k = draw(st.sampled_from(one))
            q = draw(st.integers(0, n - 1))
            ops.append(Operation(name=name, qubits=(q,), params=tuple(draw(st.floats(-3, 3)) for _ in range(k))))
        else:
            name, k = draw(st.sampled_from(two))
            a = draw(st.integers(0, n - 1))
            b = draw(st.integers(0, n - 2))
            b = b + 1 if b >= a else b
            ops.append(Operation(name=name, qubits=(a, b), params=tuple(draw(st.floats(-3, 3)) for _ in range(k))))
    cluster = Cluster.homogeneous(num_qpus=nq, data_qubits_per_qpu=n, topology="line")
    assignment = tuple(f"qpu{draw(st.integers(0, nq - 1))}" for _ in range(n))
    # Start from a random product state so every gate matters.
    prep = [Operation(name="ry", qubits=(q,), params=(0.3 + 0.7 * q,)) for q in range(n)]
    circuit = Circuit(num_qubits=n, operations=prep + ops)
    prog = lower(circuit, cluster, assignment)
    states = [_bds(draw) for _ in range(prog.num_bell_pairs)]
    return prog, states


@given(programs())
def test_effective_equals_explicit_perfect_local_ops(case):
    prog, states = case
    n = prog.circuit.num_qubits
    ex = add_noise(prog, mode="explicit", pair_states=states)
    ef = add_noise(prog, mode="effective", pair_states=states)
    assert ef.summary["effective_exact"] is True
    a = simulate(ex.circuit, keep_clbits=0).density_matrix(range(n))
    b = simulate(ef.circuit, keep_clbits=0).density_matrix(range(n))
    assert np.abs(a - b).max() < 1e-9


def _noisy_cluster(nq: int, n: int) -> Cluster:
    qpu = QPU(name="t", num_data_qubits=n, single_qubit_gate_error=0.01, two_qubit_gate_error=0.03,
              readout_error=0.02, t1_s=2e-4, t2_s=1e-4)
    link = Link(bell_pair_fidelity=0.9, bell_pair_probabilities=(0.9, 0.05, 0.03, 0.02), length_km=2.0,
                memory=QuantumMemory.depolarizing(time_s=1e-3))
    return Cluster.homogeneous(num_qpus=nq, data_qubits_per_qpu=n, topology="line", link=link, qpu=qpu)


@given(programs(), st.booleans())
def test_effective_equals_explicit_with_local_and_idle_noise(case, scheduler_idle):
    prog0, states = case
    n = prog0.circuit.num_qubits
    cluster = _noisy_cluster(prog0.cluster.num_qpus, n)
    # (local noise inside a restoring window has no data-qubit rendering: ordinary packets here)
    prog = lower(prog0.circuit, cluster, prog0.assignment, windows=False)
    idle = None
    if scheduler_idle:  # the scheduler's form: (step, qubit, seconds)
        idle = [(s, q, 1e-5 * (1 + s % 3)) for s in range(len(prog.steps)) for q in range(n) if (s + q) % 2]
    ex = add_noise(prog, mode="explicit", pair_states=states, idle_durations=idle)
    ef = add_noise(prog, mode="effective", pair_states=states, idle_durations=idle)
    assert ef.summary["effective_exact"] is True
    a = data_dm(ex.circuit, n)
    b = data_dm(ef.circuit, n)
    assert abs(np.trace(a) - 1) < 1e-9
    assert np.abs(a - b).max() < 1e-9


@given(programs(clifford_only=True))
def test_clifford_programs_need_no_randomness_qubits(case):
    prog, states = case
    cluster = _noisy_cluster(prog.cluster.num_qpus, prog.circuit.num_qubits)
    prog = lower(prog.circuit, cluster, prog.assignment, windows=False)  # local noise: no windows
    ef = add_noise(prog, mode="effective", pair_states=states)
    assert ef.summary["randomness_qubits"] == 0
    assert ef.summary["renderings"]["conditional"] == 0
    assert ef.circuit.num_qubits == prog.circuit.num_qubits
    assert not ef.circuit.has_mid_circuit_measurement()


def test_measured_distributions_agree_with_readout_noise():
    """User measurements (with readout error) give the same exact distribution."""
    ops = [Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 1)),
           Operation(name="cp", qubits=(0, 2), params=(0.9,)), Operation(name="h", qubits=(2,)),
           Operation(name="cx", qubits=(1, 2))]
    ops += [Operation(name="measure", qubits=(q,), clbits=(q,)) for q in range(3)]
    c = Circuit(num_qubits=3, num_clbits=3, operations=ops)
    cluster = _noisy_cluster(3, 3)
    prog = lower(c, cluster, ("qpu0", "qpu1", "qpu2"))
    from _dm import clbit_distribution

    a = clbit_distribution(add_noise(prog, mode="explicit").circuit, 3)
    b = clbit_distribution(add_noise(prog, mode="effective").circuit, 3)
    assert set(a) == set(b)
    assert max(abs(a[k] - b[k]) for k in a) < 1e-9


def _packet_case(gate: str, params: tuple[float, ...]):
    ops = [Operation(name="h", qubits=(0,)), Operation(name="ry", qubits=(1,), params=(0.4,)),
           Operation(name="ry", qubits=(2,), params=(1.4,))]
    for t in (1, 2, 1):
        ops.append(Operation(name=gate, qubits=(0, t), params=params))
    c = Circuit(num_qubits=3, operations=ops)
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2)
    return lower(c, cluster, ("qpu0", "qpu1", "qpu1"))


def test_one_copy_serving_three_non_clifford_gates_is_exact_with_shared_randomness():
    prog = _packet_case("cp", (0.7,))
    assert [p.num_gates for p in prog.packets] == [3]
    states = [BellPair.werner(0.9).probabilities]
    ef = add_noise(prog, mode="effective", pair_states=states)
    assert ef.summary["renderings"]["conditional"] == 1 and ef.summary["randomness_qubits"] == 1
    a = simulate(add_noise(prog, mode="explicit", pair_states=states).circuit, keep_clbits=0).density_matrix(range(3))
    b = simulate(ef.circuit, keep_clbits=0).density_matrix(range(3))
    assert np.abs(a - b).max() < 1e-12


@pytest.mark.parametrize("gate,params,expected", [("cp", (0.7,), 0.0275), ("crz", (1.1,), 0.0397)])
def test_static_rendering_is_approximate_and_says_so(gate, params, expected):
    """The static rendering drops the copy-flip correlation for non-Clifford packets.

    Measured here (Werner F=0.9, one copy serving 3 gates): trace distance to the
    explicit protocol 2.75e-2 (cp(0.7)) and 3.97e-2 (crz(1.1)), i.e. of order 1-F = 0.1
    times the weight of the dropped flips (p_X + p_Y = 0.067).
    """
    prog = _packet_case(gate, params)
    states = [BellPair.werner(0.9).probabilities]
    ex = add_noise(prog, mode="explicit", pair_states=states)
    ef = add_noise(prog, mode="effective", pair_states=states, effective_rendering="static")
    assert ef.summary["effective_exact"] is False and ef.summary["renderings"]["approximate"] == 1
    assert ef.circuit.num_qubits == 3 and not ef.circuit.has_mid_circuit_measurement()
    a = simulate(ex.circuit, keep_clbits=0).density_matrix(range(3))
    b = simulate(ef.circuit, keep_clbits=0).density_matrix(range(3))
    trace_distance = 0.5 * np.abs(np.linalg.eigvalsh(a - b)).sum()
    assert trace_distance == pytest.approx(expected, abs=1e-3)


def test_single_cx_packet_is_the_documented_two_qubit_channel():
    c = Circuit(num_qubits=2, operations=[Operation(name="cx", qubits=(0, 1))])
    prog = lower(c, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1), ("qpu0", "qpu1"))
    ef = add_noise(prog, mode="effective", pair_states=[(0.91, 0.04, 0.03, 0.02)])
    assert [op.name for op in ef.circuit] == ["cx", "pauli_channel"]
    ch = ef.circuit.operations[1]
    assert ch.qubits == (0, 1)
    assert dict(ch.pauli_terms) == pytest.approx({"II": 0.91, "IX": 0.04, "ZX": 0.03, "ZI": 0.02})
    c = Circuit(num_qubits=2, operations=[Operation(name="cz", qubits=(0, 1))])
    prog = lower(c, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1), ("qpu0", "qpu1"))
    ch = add_noise(prog, mode="effective", pair_states=[(0.91, 0.04, 0.03, 0.02)]).circuit.operations[1]
    control = prog.packets[0].control  # CZ: X -> Z_t, Y -> Z_c Z_t, Z -> Z_c
    terms = dict(ch.pauli_terms)
    zc = "ZI" if ch.qubits[0] == control else "IZ"
    zt = "IZ" if zc == "ZI" else "ZI"
    assert terms == pytest.approx({"II": 0.91, zt: 0.04, "ZZ": 0.03, zc: 0.02})


def test_multi_hop_effective_pair_is_the_pauli_convolution_of_its_hops():
    c = Circuit(num_qubits=3, operations=[Operation(name="cx", qubits=(0, 2))])
    link = Link(bell_pair_fidelity=0.95)
    cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=1, topology="line", link=link)
    prog = lower(c, cluster, ("qpu0", "qpu1", "qpu2"))
    assert len(prog.packets[0].bell_pairs) == 2
    ef = add_noise(prog, mode="effective")
    f = ef.summary["packets"][0]["effective_pair_fidelity"]
    assert f == pytest.approx(0.95 * 0.95 + 0.05 * 0.05 / 3, abs=1e-12)  # Werner swap, physics.md 2.5
    ex = add_noise(prog, mode="explicit")
    assert ex.summary["channels"]["pair"] == 2  # each hop's pair is its own channel in explicit mode


def test_default_pair_states_are_the_delivered_pairs_never_aged_twice():
    # a hand-made link states its delivered pair; the schedule ages it only from delivery on
    mem = QuantumMemory.depolarizing(time_s=1e-3)
    link = Link(bell_pair_fidelity=0.97, length_km=20.0, memory=mem)
    c = Circuit(num_qubits=2, operations=[Operation(name="cz", qubits=(0, 1))])
    prog = lower(c, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, link=link), ("qpu0", "qpu1"))
    (state,) = default_pair_states(prog)
    assert state == pytest.approx(BellPair.werner(0.97).probabilities, abs=1e-15)
    # a physics link's pair is already aged over the herald latency: 50 km midpoint, 1 ms memory
    from welinq_core.physics import HeraldedLinkModel

    model = HeraldedLinkModel(length_km=50.0, collection_efficiency=0.1, visibility=0.95, memory=mem)
    phys = Link.from_physics(model)
    prog = lower(c, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, link=phys), ("qpu0", "qpu1"))
    (state,) = default_pair_states(prog)
    f_expected = 0.25 + (0.975 - 0.25) * np.exp(-2 * 250e-6 / 1e-3)  # each qubit waits L/c = 250 us once
    assert state[0] == pytest.approx(f_expected, abs=1e-12)
    assert state == pytest.approx(model.delivered_pair.probabilities, abs=1e-15)


def test_swap_node_noise_is_folded_into_the_swapped_pair():
    qpu = QPU(name="t", num_data_qubits=1, two_qubit_gate_error=0.03, single_qubit_gate_error=0.0, readout_error=0.01)
    cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=1, topology="line", qpu=qpu,
                                  link=Link(bell_pair_fidelity=0.99))
    c = Circuit(num_qubits=3, operations=[Operation(name="cz", qubits=(0, 2))])
    prog = lower(c, cluster, ("qpu0", "qpu1", "qpu2"))
    ef = add_noise(prog, mode="effective")
    w = BellPair.werner(0.99).probabilities
    q = 4 * 0.03 / 15
    expected = convolve_pauli(convolve_pauli(w, w), (1 - 3 * q, q, q, q))
    expected = convolve_pauli(convolve_pauli(expected, (0.99, 0, 0, 0.01)), (0.99, 0.01, 0, 0))
    assert ef.summary["packets"][0]["effective_pair"] == pytest.approx(list(expected), abs=1e-12)


def test_bad_pair_states_are_rejected_with_the_fix():
    c = Circuit(num_qubits=2, operations=[Operation(name="cz", qubits=(0, 1))])
    prog = lower(c, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1), ("qpu0", "qpu1"))
    with pytest.raises(OptionsError, match="one .* per ledger pair"):
        add_noise(prog, mode="effective", pair_states=[])
    with pytest.raises(OptionsError, match="summing to 1"):
        add_noise(prog, mode="effective", pair_states=[(0.5, 0.1, 0.1, 0.1)])
    with pytest.raises(OptionsError, match="unknown"):
        add_noise(prog, mode="fast")


# ----------------------------------------------------------------------------- shared-randomness forms
@settings(max_examples=40, deadline=None)
@given(programs(), st.sampled_from(["purified", "measured"]))
def test_purified_and_measured_forms_equal_explicit(case, form):
    """Both exact forms of shared randomness reproduce the explicit protocol to 1e-9."""
    prog0, states = case
    n = prog0.circuit.num_qubits
    prog = lower(prog0.circuit, _noisy_cluster(prog0.cluster.num_qpus, n), prog0.assignment,
                 windows=False)  # local noise: no windows
    ex = add_noise(prog, mode="explicit", pair_states=states)
    ef = add_noise(prog, mode="effective", pair_states=states, effective_rendering=form)
    assert ef.summary["effective_exact"] is True
    shared = ef.summary["renderings"]["conditional"] > 0
    assert ef.summary["randomness"] == (form if shared else None)
    if form == "purified":  # static: no measurement or condition; resets only recycle randomness qubits
        assert not ef.circuit.has_mid_circuit_measurement()
        assert not any(op.name == "measure" or op.condition is not None for op in ef.circuit)
        assert all(q >= n for op in ef.circuit if op.name == "reset" for q in op.qubits)
        assert ef.circuit.num_clbits == prog.circuit.num_clbits
    assert np.abs(data_dm(ex.circuit, n) - data_dm(ef.circuit, n)).max() < 1e-9


def test_default_exact_rendering_of_a_non_clifford_packet_is_static():
    prog = _packet_case("crz", (1.1,))
    states = [BellPair.werner(0.9).probabilities]
    ef = add_noise(prog, mode="effective", pair_states=states)
    assert ef.summary["randomness"] == "purified" and ef.summary["randomness_qubits"] == 1
    assert ef.circuit.num_qubits == 4 and not ef.circuit.has_mid_circuit_measurement()
    # The randomness qubit only ever controls flips of the packet's control qubit 0.
    assert {op.qubits for op in ef.circuit if op.is_gate and 3 in op.qubits and op.name != "pauli_channel"} == {(3, 0)}
    a = simulate(add_noise(prog, mode="explicit", pair_states=states).circuit, keep_clbits=0).density_matrix(range(3))
    b = simulate(ef.circuit, keep_clbits=0).density_matrix(range(3))
    assert np.abs(a - b).max() < 1e-12


def test_exact_rendering_falls_back_to_measured_when_purifying_needs_too_many_qubits(monkeypatch):
    import welinq_core.noise as noise
    import welinq_core.noise.effective

    monkeypatch.setattr(noise.effective, "PURIFY_MAX_EXTRA_QUBITS", -1)
    prog = _packet_case("cp", (0.7,))
    states = [BellPair.werner(0.9).probabilities]
    ef = add_noise(prog, mode="effective", pair_states=states)
    assert ef.summary["randomness"] == "measured" and ef.circuit.has_mid_circuit_measurement()
    a = simulate(add_noise(prog, mode="explicit", pair_states=states).circuit, keep_clbits=0).density_matrix(range(3))
    b = simulate(ef.circuit, keep_clbits=0).density_matrix(range(3))
    assert np.abs(a - b).max() < 1e-12
