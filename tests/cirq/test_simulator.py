"""Tests of cirq_welinq.ClusterSimulator against cirq.Simulator (exact where possible)."""

from __future__ import annotations

import warnings

import cirq
import numpy as np
import pytest
import sympy

import welinq_core.pipeline
from welinq_core import Cluster, Link
from welinq_core.errors import InsufficientQubitsError, OptionsError, UnboundParameterError, UnsupportedGateError
from welinq_core.pipeline import compile_program
from welinq_core.reference import simulate as reference_simulate
from cirq_welinq import ClusterSimulator, circuit_from_cirq

# Gates of the random circuits: all map onto the core's gate set (ISWAP via decomposition).
GATE_DOMAIN = {
    cirq.H: 1, cirq.T: 1, cirq.S: 1, cirq.X: 1, cirq.Y: 1, cirq.X**0.5: 1, cirq.rz(0.7): 1, cirq.ry(1.1): 1,
    cirq.CNOT: 2, cirq.CZ: 2, cirq.SWAP: 2, cirq.ISWAP: 2, cirq.CZ**0.3: 2, cirq.ZZ**0.4: 2,
}
CLUSTERS = {
    "2x3": Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3),
    "3x2-line": Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=2, topology="line"),
}


def _random_circuit(seed: int, num_qubits: int = 6, moments: int = 8) -> cirq.Circuit:
    return cirq.testing.random_circuit(
        qubits=cirq.LineQubit.range(num_qubits), n_moments=moments, op_density=0.9,
        gate_domain=GATE_DOMAIN, random_state=seed,
    )


def _assert_counts_match(counts: dict[int, int], probs: np.ndarray, repetitions: int) -> None:
    """Each outcome's count is within 5 binomial standard deviations (plus 1) of its mean."""
    for outcome, p in enumerate(probs):
        sigma = np.sqrt(repetitions * p * (1 - p))
        assert abs(counts.get(outcome, 0) - repetitions * p) <= 5 * sigma + 1, (outcome, p, counts)


# ---- exact agreement with cirq.Simulator on seeded random circuits ------------------------------


@pytest.mark.parametrize("cluster_name", sorted(CLUSTERS))
@pytest.mark.parametrize("mode", ["explicit", "effective"])
@pytest.mark.parametrize("seed", range(6))
def test_final_state_vector_equals_cirq(cluster_name: str, mode: str, seed: int) -> None:
    circuit = _random_circuit(seed)
    sim = ClusterSimulator(CLUSTERS[cluster_name], mode=mode, seed=seed, dtype=np.complex128)
    result = sim.simulate(circuit)
    assert isinstance(result, cirq.StateVectorTrialResult)
    expected = cirq.Simulator(dtype=np.complex128).simulate(circuit).final_state_vector
    cirq.testing.assert_allclose_up_to_global_phase(result.final_state_vector, expected, atol=1e-8)
    assert result.qubit_map == {q: i for i, q in enumerate(sorted(circuit.all_qubits()))}
    if seed == 0:
        assert sim.last_report.remote_gates > 0  # the random circuits do cross QPUs


@pytest.mark.parametrize("seed", range(4))
def test_exact_probabilities_of_the_compiled_program_equal_cirq(seed: int) -> None:
    circuit = _random_circuit(seed, num_qubits=5, moments=6) + cirq.measure(*cirq.LineQubit.range(5), key="m")
    ir, _, _ = circuit_from_cirq(circuit)
    compiled = compile_program(ir, CLUSTERS["3x2-line"], mode="explicit", seed=0)
    assert compiled.circuit.num_qubits > 5
    got = reference_simulate(compiled.circuit, keep_clbits=compiled.num_user_clbits).probabilities()
    psi = cirq.Simulator(dtype=np.complex128).simulate(circuit[:-1]).final_state_vector
    expected = np.abs(psi) ** 2
    # Reference keys are Qiskit-style strings (clbit 0 rightmost); clbit i is Cirq's qubit i.
    got_vec = np.zeros(32)
    for key, p in got.items():
        got_vec[int(key[::-1], 2)] = p
    np.testing.assert_allclose(got_vec, expected, atol=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_sampled_counts_match_cirq_probabilities(seed: int) -> None:
    qubits = cirq.LineQubit.range(5)
    circuit = _random_circuit(seed, num_qubits=5, moments=5) + cirq.measure(*qubits, key="m")
    probs = np.abs(cirq.Simulator(dtype=np.complex128).simulate(circuit[:-1]).final_state_vector) ** 2
    sim = ClusterSimulator(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3), seed=seed)
    reps = 300
    _assert_counts_match(sim.run(circuit, repetitions=reps).histogram(key="m"), probs, reps)


# ---- results look exactly like cirq.Simulator's ---------------------------------------------------


def test_deterministic_records_equal_cirq_including_repeated_keys_and_invert_mask() -> None:
    a, b, c = cirq.LineQubit.range(3)
    circuit = cirq.Circuit(
        cirq.X(a),
        cirq.CNOT(a, c),
        cirq.measure(a, b, key="ab", invert_mask=(False, True)),
        cirq.measure(c, key="r"),
        cirq.X(c).with_classical_controls("ab"),
        cirq.measure(c, key="r"),
        cirq.reset(a),
        cirq.measure(a, key="r"),
    )
    expected = cirq.Simulator(seed=1).run(circuit, repetitions=7)
    got = ClusterSimulator(Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=1), seed=1).run(
        circuit, repetitions=7
    )
    assert isinstance(got, cirq.ResultDict)
    assert got.records.keys() == expected.records.keys()
    for key in expected.records:
        assert got.records[key].shape == expected.records[key].shape
        np.testing.assert_array_equal(got.records[key], expected.records[key])
    assert got.records["r"].shape == (7, 3, 1)


def test_zero_repetitions_sample_and_histogram() -> None:
    q = cirq.LineQubit.range(2)
    circuit = cirq.Circuit(cirq.X(q[0]), cirq.CNOT(*q), cirq.measure(*q, key="m"))
    sim = ClusterSimulator(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1), seed=0)
    assert sim.run(circuit, repetitions=0).records["m"].shape[0] == 0
    frame = sim.sample(circuit, repetitions=5)
    assert frame["m"].tolist() == [3] * 5
    with pytest.raises(ValueError, match="no measurements"):
        sim.run(cirq.Circuit(cirq.X(q[0])))


def test_seeds_are_reproducible_and_none_follows_numpy_global_state() -> None:
    q = cirq.LineQubit.range(4)
    circuit = cirq.Circuit(cirq.H.on_each(*q), cirq.CZ(q[0], q[3]), cirq.H.on_each(*q), cirq.measure(*q, key="m"))
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2)
    r1 = ClusterSimulator(cluster, seed=11).run(circuit, repetitions=30)
    r2 = ClusterSimulator(cluster, seed=11).run(circuit, repetitions=30)
    r3 = ClusterSimulator(cluster, seed=12).run(circuit, repetitions=30)
    np.testing.assert_array_equal(r1.records["m"], r2.records["m"])
    assert not np.array_equal(r1.records["m"], r3.records["m"])
    np.random.seed(200)
    g1 = ClusterSimulator(cluster).run(circuit, repetitions=30)
    np.random.seed(200)
    g2 = ClusterSimulator(cluster).run(circuit, repetitions=30)
    np.testing.assert_array_equal(g1.records["m"], g2.records["m"])
    rs = np.random.RandomState(5)
    r4 = ClusterSimulator(cluster, seed=rs).run(circuit, repetitions=30)
    r5 = ClusterSimulator(cluster, seed=np.random.RandomState(5)).run(circuit, repetitions=30)
    np.testing.assert_array_equal(r4.records["m"], r5.records["m"])


def test_simulate_with_measurements_initial_state_and_qubit_order() -> None:
    a, b, c = cirq.LineQubit.range(3)
    circuit = cirq.Circuit(cirq.CNOT(a, c), cirq.ry(0.4).on(b), cirq.CZ(b, c), cirq.measure(a, key="a"))
    sim = ClusterSimulator(Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=1), seed=2, dtype=np.complex128)
    for order in (cirq.QubitOrder.DEFAULT, [c, a, b]):
        got = sim.simulate(circuit, qubit_order=order, initial_state=0b100)
        expected = cirq.Simulator(dtype=np.complex128).simulate(circuit, qubit_order=order, initial_state=0b100)
        cirq.testing.assert_allclose_up_to_global_phase(
            got.final_state_vector, expected.final_state_vector, atol=1e-8
        )
        assert got.measurements["a"].tolist() == expected.measurements["a"].tolist()
    vec = cirq.testing.random_superposition(8, random_state=3)
    got = sim.simulate(circuit[:-1], initial_state=vec).final_state_vector
    expected = cirq.Simulator(dtype=np.complex128).simulate(circuit[:-1], initial_state=vec).final_state_vector
    cirq.testing.assert_allclose_up_to_global_phase(got, expected, atol=1e-8)


def test_expectation_values_and_amplitudes_equal_cirq() -> None:
    q = cirq.LineQubit.range(4)
    circuit = _random_circuit(3, num_qubits=4, moments=6)
    observables = [cirq.Z(q[0]) * cirq.Z(q[3]), 0.5 * cirq.X(q[1]) + cirq.Y(q[2])]
    sim = ClusterSimulator(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2), dtype=np.complex128)
    got = sim.simulate_expectation_values(circuit, observables)
    expected = cirq.Simulator(dtype=np.complex128).simulate_expectation_values(circuit, observables)
    np.testing.assert_allclose(got, expected, atol=1e-8)
    amps = sim.compute_amplitudes(circuit, bitstrings=[0, 5, 15])
    ref = cirq.Simulator(dtype=np.complex128).compute_amplitudes(circuit, bitstrings=[0, 5, 15])
    np.testing.assert_allclose(np.abs(amps), np.abs(ref), atol=1e-8)
    with pytest.raises(ValueError, match="terminal measurements"):
        sim.simulate_expectation_values(circuit + cirq.measure(q[0]), observables)


def test_noise_model_gives_density_matrix_equal_to_cirq_density_matrix_simulator() -> None:
    q = cirq.LineQubit.range(4)
    circuit = cirq.Circuit(cirq.H(q[0]), [cirq.CNOT(q[i], q[i + 1]) for i in range(3)], cirq.ry(0.3).on(q[2]))
    noise = cirq.ConstantQubitNoiseModel(cirq.depolarize(0.05))
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2)
    expected = cirq.DensityMatrixSimulator(noise=noise, dtype=np.complex128).simulate(circuit)
    for mode in ("explicit", "effective"):
        got = ClusterSimulator(cluster, noise=noise, mode=mode, dtype=np.complex128).simulate(circuit)
        assert isinstance(got, cirq.DensityMatrixTrialResult)
        np.testing.assert_allclose(got.final_density_matrix, expected.final_density_matrix, atol=1e-7)


@pytest.mark.parametrize("mode", ["explicit", "effective"])
def test_noisy_sampling_matches_density_matrix_probabilities(mode: str) -> None:
    q = cirq.LineQubit.range(3)
    circuit = cirq.Circuit(cirq.H(q[0]), cirq.CNOT(q[0], q[1]), cirq.CNOT(q[1], q[2]))
    noise = cirq.ConstantQubitNoiseModel(cirq.bit_flip(0.08))
    rho = cirq.DensityMatrixSimulator(noise=noise, dtype=np.complex128).simulate(circuit).final_density_matrix
    probs = np.real(np.diag(rho))
    sim = ClusterSimulator(Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=1), noise=noise, mode=mode, seed=4)
    reps = 400
    counts = sim.run(circuit + cirq.measure(*q, key="m"), repetitions=reps).histogram(key="m")
    # The noise model also acts after the measurement moment; that does not change the records.
    _assert_counts_match(counts, probs, reps)
    assert counts[1] + counts[6] > 0  # single flips do happen


# ---- sweeps compile (partition) once per structure ----------------------------------------------


def test_sweep_resolves_symbols_and_partitions_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = welinq_core.pipeline.partition_and_plan
    monkeypatch.setattr(
        welinq_core.pipeline, "partition_and_plan", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    q = cirq.LineQubit.range(4)
    t = sympy.Symbol("t")
    circuit = cirq.Circuit(
        cirq.H(q[0]), cirq.CNOT(q[0], q[3]), cirq.rx(t).on(q[3]), cirq.CZ(q[1], q[3]) ** t, cirq.measure(*q, key="m")
    )
    sim = ClusterSimulator(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2), seed=1)
    sweep = cirq.Linspace("t", 0, 1, 5)
    results = sim.run_sweep(circuit, sweep, repetitions=20)
    assert [r.params["t"] for r in results] == pytest.approx([0, 0.25, 0.5, 0.75, 1])
    assert len(calls) == 1
    assert sim.last_report.total_bell_pairs >= 1


def test_compile_returns_the_compiled_program() -> None:
    q = cirq.LineQubit.range(4)
    circuit = cirq.Circuit(cirq.H(q[0]), [cirq.CNOT(q[i], q[i + 1]) for i in range(3)], cirq.measure(*q, key="m"))
    sim = ClusterSimulator("ideal")
    compiled = sim.compile(circuit)
    assert compiled.num_user_clbits == 4 and compiled.report.to_dict()["cluster"] == sim.cluster.name
    assert sim.last_report is compiled.report
    assert "Bell pairs" in str(sim.last_report)
    assert "ClusterSimulator" in repr(sim)


# ---- bad input -----------------------------------------------------------------------------------


def test_too_many_qubits_raise_a_value_error() -> None:
    q = cirq.LineQubit.range(5)
    sim = ClusterSimulator(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2))
    with pytest.raises(ValueError, match="needs 5 data qubits but cluster .* has 4") as info:
        sim.run(cirq.Circuit(cirq.measure(*q, key="m")))
    assert isinstance(info.value, InsufficientQubitsError)


def test_unresolved_symbols_raise_value_error_naming_them() -> None:
    q = cirq.LineQubit.range(2)
    circuit = cirq.Circuit(cirq.rx(sympy.Symbol("alpha")).on(q[0]), cirq.measure(*q, key="m"))
    sim = ClusterSimulator(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1))
    with pytest.raises(UnboundParameterError, match=r"unresolved symbol\(s\) \['alpha'\]"):
        sim.run(circuit)
    with pytest.raises(ValueError, match="alpha"):
        sim.simulate(circuit, param_resolver={"beta": 1})
    assert sim.run(circuit, param_resolver={"alpha": np.pi}).measurements["m"].tolist() == [[1, 0]]


def test_unsupported_gates_qudits_and_options_raise_value_errors() -> None:
    q = cirq.LineQubit.range(2)
    sim = ClusterSimulator(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1))
    with pytest.raises(UnsupportedGateError, match="channel .* acts on 4 qubits"):
        ClusterSimulator("ideal").run(
            cirq.Circuit(cirq.depolarize(0.1, n_qubits=4).on(*cirq.LineQubit.range(4)), cirq.measure(q[0], key="m"))
        )
    qutrit = cirq.LineQid(0, dimension=3)
    with pytest.raises(ValueError, match="qudit"):
        sim.simulate(cirq.Circuit(cirq.MatrixGate(np.eye(3), qid_shape=(3,)).on(qutrit)))
    with pytest.raises(OptionsError, match="mode='fast' is unknown"):
        ClusterSimulator("ideal", mode="fast")
    class NoKraus(cirq.Gate):  # neither unitary nor a channel: nothing can represent it
        def _num_qubits_(self) -> int:
            return 1

    with pytest.raises(UnsupportedGateError, match="not supported"):
        ClusterSimulator("ideal").run(cirq.Circuit(NoKraus().on(q[0]), cirq.measure(q[0], key="m")))


def test_run_sweep_progress_bar_only_when_asked_or_long(capsys, monkeypatch):
    q = cirq.LineQubit.range(2)
    c = cirq.Circuit(cirq.rx(sympy.Symbol("a")).on(q[0]), cirq.CNOT(q[0], q[1]), cirq.measure(*q, key="m"))
    sweep = cirq.Linspace("a", 0, 1, 4)
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1)
    assert len(ClusterSimulator(cluster, seed=1).run_sweep(c, sweep, repetitions=5)) == 4
    assert "/4" not in capsys.readouterr().err  # short, and not a terminal: no bar
    ClusterSimulator(cluster, seed=1, progress=True).run_sweep(c, sweep, repetitions=5)
    assert "/4 [" in capsys.readouterr().err
    monkeypatch.setenv("WELINQ_PROGRESS", "0")
    ClusterSimulator(cluster, seed=1, progress=True).run_sweep(c, sweep, repetitions=5)
    assert "/4" not in capsys.readouterr().err
    with pytest.raises(OptionsError, match="progress"):
        ClusterSimulator(cluster, progress="yes")


def test_shots_draw_their_own_schedules_so_seeds_move_results_only_within_shot_noise():
    # Two one-qubit QPUs, a finite-rate link with a fast-decohering memory: the pair's wait is
    # random per shot. One schedule for all shots (drawn with seed_partition) gave <XX> of
    # 0.69 to 0.82 across seed_partition 0..3 at 8,000 repetitions (standard error 0.008).
    from welinq_core.cluster import QPU, Cluster, Link
    from welinq_core.physics import QuantumMemory

    qpu = QPU(name="q", num_data_qubits=1, t1_s=4e-3, t2_s=2e-3, two_qubit_gate_duration_s=2e-5,
              single_qubit_gate_duration_s=5e-6, measurement_duration_s=5e-5)
    link = Link(bell_pair_fidelity=0.95, bell_pair_rate_hz=3e3, memory=QuantumMemory.depolarizing(time_s=2e-3))
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, qpu=qpu, link=link)
    q = cirq.LineQubit.range(2)
    circuit = cirq.Circuit(cirq.H(q[0]), cirq.CNOT(q[0], q[1]), cirq.H.on_each(*q), cirq.measure(*q, key="m"))
    reps = 4000
    values = []
    for seed_partition, seed in ((0, 1), (1, 2), (2, 3), (3, 4)):
        sim = ClusterSimulator(cluster, seed=seed, seed_partition=seed_partition)
        bits = sim.run(circuit, repetitions=reps).measurements["m"]
        assert bits.shape == (reps, 2)
        values.append(float(np.mean(1 - 2 * (bits.sum(axis=1) % 2))))
    mean = float(np.mean(values))
    se = np.sqrt(max(1 - mean**2, 1e-12) / reps)
    assert max(values) - min(values) < 5 * np.sqrt(2) * se, values
    assert sim.last_compiled.per_shot_schedule


def test_a_small_circuit_gets_the_fewest_bell_pairs_of_any_placement():
    # Phase estimation as tutorial 05 writes it, on 3 QPUs of 2 qubits in a line: 3**5
    # placements, each priced by lowering it; the simulator's placement must be the cheapest
    # (the search had settled for 6 pairs where 5 suffice).
    import itertools

    from welinq_core.lowering import lower

    u = cirq.MatrixGate(np.diag([1, np.exp(2j * np.pi * 0.3)]))
    register, target = cirq.LineQubit.range(4), cirq.LineQubit(4)
    circuit = cirq.Circuit(
        cirq.X(target), cirq.H.on_each(*register),
        [(u ** (2 ** (3 - i))).on(target).controlled_by(q) for i, q in enumerate(register)],
        cirq.qft(*register, inverse=True), cirq.measure(*register, key="phase"))
    cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=2, topology="line")
    sim = ClusterSimulator(cluster, seed=1)
    sim.run(circuit, repetitions=10)
    ir, _, _ = circuit_from_cirq(circuit)
    names = cluster.qpu_names
    best = min(lower(ir, cluster, a, protocols="auto").num_bell_pairs
               for a in itertools.product(names, repeat=ir.num_qubits) if all(a.count(q) <= 2 for q in names))
    assert sim.last_report.total_bell_pairs == best == 5


def test_a_final_state_for_one_drawn_schedule_says_so():
    from welinq_core.cluster import QPU, Cluster, Link
    from welinq_core.errors import OneScheduleWarning
    from welinq_core.physics import QuantumMemory

    qpu = QPU(name="q", num_data_qubits=1, t1_s=4e-3, t2_s=2e-3)
    link = Link(bell_pair_fidelity=0.95, bell_pair_rate_hz=3e3, memory=QuantumMemory.depolarizing(time_s=2e-3))
    q = cirq.LineQubit.range(2)
    circuit = cirq.Circuit(cirq.H(q[0]), cirq.CNOT(q[0], q[1]))
    random_waits = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, qpu=qpu, link=link)
    with pytest.warns(OneScheduleWarning, match="one drawn schedule"):
        ClusterSimulator(random_waits, seed=1).simulate(circuit)
    fixed_waits = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, qpu=qpu,
                                      link=Link(bell_pair_fidelity=0.95, memory=link.memory))
    with warnings.catch_warnings():
        warnings.simplefilter("error", OneScheduleWarning)
        ClusterSimulator(fixed_waits, seed=1).simulate(circuit)



def test_noisy_runs_use_a_density_matrix_only_when_it_pays(monkeypatch):
    """A density matrix costs ~4^n, trajectories ~repetitions x 2^n: a few repetitions of a
    noisy circuit run as state-vector trajectories (a 12-qubit density matrix per shot group
    took minutes), many repetitions of a small circuit as one density matrix; both sample the
    same distribution."""
    import cirq_welinq.simulator as simulator_module

    made: list[str] = []
    for cls in (cirq.Simulator, cirq.DensityMatrixSimulator):
        def spy(self, *args, _original=cls.__init__, _name=cls.__name__, **kwargs):
            made.append(_name)
            _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__init__", spy)
    q = cirq.LineQubit.range(4)
    circuit = cirq.Circuit(cirq.H(q[0]), [cirq.CNOT(q[i], q[i + 1]) for i in range(3)], cirq.T(q[3]),
                           cirq.H(q[3]), cirq.measure(*q, key="m"))
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, link=Link(bell_pair_fidelity=0.8))
    ClusterSimulator(cluster, seed=3).run(circuit, repetitions=4)
    assert made == ["Simulator"]
    made.clear()
    dm = ClusterSimulator(cluster, seed=3).run(circuit, repetitions=3000).histogram(key="m")
    assert made == ["DensityMatrixSimulator"]
    made.clear()
    monkeypatch.setattr(simulator_module, "_DENSITY_MATRIX_MAX_QUBITS", 0)
    sv = ClusterSimulator(cluster, seed=4).run(circuit, repetitions=3000).histogram(key="m")
    assert made == ["Simulator"]
    for k in set(dm) | set(sv):  # two samples of one law: each count within 5 sigma of the other
        p = (dm.get(k, 0) + sv.get(k, 0)) / 6000
        assert abs(dm.get(k, 0) - sv.get(k, 0)) <= 5 * np.sqrt(2 * 3000 * p * (1 - p)) + 2, (k, dm, sv)
    # noisy links leave GHZ outcomes on the wrong parity that ideal links never give
    assert sum(v for k, v in dm.items() if (k >> 1) not in (0, 7)) > 0
