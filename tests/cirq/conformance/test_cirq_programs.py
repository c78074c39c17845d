"""Cirq programs written the way Cirq's own examples write them, with the simulator line swapped.

Each program below follows one of Cirq's example programs (Bernstein-Vazirani, Grover, QAOA
max-cut with cut values computed from ``(-1) ** bitstrings``, quantum teleportation, phase
estimation, the noisy simulation with ``cirq.ConstantQubitNoiseModel(cirq.amplitude_damp(...))``)
and takes the simulator as its argument. On ideal clusters the distributions must equal
``cirq.Simulator``'s: exactly where the answer is deterministic or a final state is compared,
otherwise by a chi-square test of the samples against the exact probabilities. On noisy presets
the programs must still run and return results of the right shape.
"""

from __future__ import annotations

import itertools

import cirq
import networkx as nx
import numpy as np
import pytest
import sympy
from scipy.stats import chisquare

from welinq_core import Cluster
from cirq_welinq import ClusterSimulator

P_MIN = 1e-3  # chi-square p-value below which two distributions are declared different


def _ideal(num_qpus: int, per_qpu: int, topology: str = "line") -> Cluster:
    return Cluster.homogeneous(num_qpus=num_qpus, data_qubits_per_qpu=per_qpu, topology=topology)


def _exact_probabilities(circuit: cirq.Circuit, measured: list[cirq.Qid], noise=None) -> np.ndarray:
    """Probabilities of the big-endian integers of ``measured`` after ``circuit`` (no measurements)."""
    others = sorted(circuit.all_qubits() - set(measured))
    rho = cirq.DensityMatrixSimulator(noise=noise, dtype=np.complex128).simulate(
        circuit, qubit_order=[*measured, *others]
    ).final_density_matrix
    diag = np.real(np.diag(rho)).reshape(2 ** len(measured), -1).sum(axis=1)
    return diag / diag.sum()


def _assert_same_distribution(values: np.ndarray, exact: np.ndarray) -> None:
    counts = np.bincount(np.asarray(values, dtype=np.int64), minlength=len(exact))
    support = exact > 1e-12
    assert counts[~support].sum() == 0, "samples outside the exact support"
    if support.sum() > 1:
        expected = counts.sum() * exact[support] / exact[support].sum()
        assert chisquare(counts[support], expected).pvalue > P_MIN


# ---- Bernstein-Vazirani (examples/bernstein_vazirani.py) -----------------------------------------


def bv_oracle(input_qubits, output_qubit, secret_factor_bits, secret_bias_bit):
    if secret_bias_bit:
        yield cirq.X(output_qubit)
    for qubit, bit in zip(input_qubits, secret_factor_bits):
        if bit:
            yield cirq.CNOT(qubit, output_qubit)


def bv_circuit(input_qubits, output_qubit, oracle):
    c = cirq.Circuit()
    c.append([cirq.X(output_qubit), cirq.H(output_qubit), cirq.H.on_each(*input_qubits)])
    c.append(oracle)
    c.append([cirq.H.on_each(*input_qubits), cirq.measure(*input_qubits, key="result")])
    return c


def bitstring(bits):
    return "".join(str(int(b)) for b in bits)


def bernstein_vazirani(simulator, secret=(1, 0, 1, 1, 0, 1, 1, 0), bias=1, repetitions=3):
    input_qubits = [cirq.GridQubit(i, 0) for i in range(len(secret))]
    output_qubit = cirq.GridQubit(len(secret), 0)
    circuit = bv_circuit(input_qubits, output_qubit, bv_oracle(input_qubits, output_qubit, secret, bias))
    result = simulator.run(circuit, repetitions=repetitions)
    frequencies = result.histogram(key="result", fold_func=bitstring)
    return frequencies.most_common(1)[0][0], frequencies


def test_bernstein_vazirani_reads_the_secret_like_cirq() -> None:
    secret = "10110110"
    sim = ClusterSimulator(_ideal(3, 3), seed=1)
    assert bernstein_vazirani(sim) == bernstein_vazirani(cirq.Simulator(seed=1))
    assert bernstein_vazirani(sim)[0] == secret
    assert sim.last_report.remote_gates > 0
    assert bernstein_vazirani(ClusterSimulator(seed=1))[0] == secret  # the default cluster


# ---- Grover (examples/grover.py) -----------------------------------------------------------------


def grover_oracle(input_qubits, output_qubit, x_bits):
    yield (cirq.X(q) for (q, bit) in zip(input_qubits, x_bits) if not bit)
    yield cirq.TOFFOLI(input_qubits[0], input_qubits[1], output_qubit)
    yield (cirq.X(q) for (q, bit) in zip(input_qubits, x_bits) if not bit)


def grover_circuit(input_qubits, output_qubit, oracle):
    c = cirq.Circuit()
    c.append([cirq.X(output_qubit), cirq.H(output_qubit), cirq.H.on_each(*input_qubits)])
    c.append(oracle)
    c.append(cirq.H.on_each(*input_qubits))
    c.append(cirq.X.on_each(*input_qubits))
    c.append(cirq.H.on(input_qubits[1]))
    c.append(cirq.CNOT(input_qubits[0], input_qubits[1]))
    c.append(cirq.H.on(input_qubits[1]))
    c.append(cirq.X.on_each(*input_qubits))
    c.append(cirq.H.on_each(*input_qubits))
    c.append(cirq.measure(*input_qubits, key="result"))
    return c


@pytest.mark.parametrize("x_bits", list(itertools.product((0, 1), repeat=2)))
def test_grover_finds_every_marked_item_with_the_toffoli_across_qpus(x_bits) -> None:
    inputs = [cirq.GridQubit(i, 0) for i in range(2)]
    output = cirq.GridQubit(2, 0)
    circuit = grover_circuit(inputs, output, grover_oracle(inputs, output, x_bits))
    sim = ClusterSimulator(_ideal(3, 1), seed=2)
    frequencies = sim.run(circuit, repetitions=10).histogram(key="result", fold_func=bitstring)
    assert frequencies == cirq.Simulator(seed=2).run(circuit, repetitions=10).histogram(key="result", fold_func=bitstring)
    assert frequencies == {bitstring(x_bits): 10}
    assert sim.last_report.remote_gates > 0


# ---- QAOA max-cut (examples/qaoa.py), with a sympy sweep --------------------------------------------


def rzz(rads):
    return cirq.ZZPowGate(exponent=2 * rads / np.pi, global_shift=-0.5)


def qaoa_max_cut_circuit(qubits, betas, gammas, graph):
    return cirq.Circuit(
        cirq.H.on_each(*qubits),
        [
            [(rzz(-0.5 * gamma).on(qubits[i], qubits[j]) for i, j in graph.edges), cirq.rx(2 * beta).on_each(*qubits)]
            for beta, gamma in zip(betas, gammas)
        ],
        cirq.measure(*qubits, key="m"),
    )


def cut_values(bitstrings, graph):
    mat = nx.adjacency_matrix(graph, nodelist=sorted(graph.nodes))
    vecs = (-1) ** bitstrings
    vals = 0.5 * np.sum(vecs * (mat @ vecs.T).T, axis=-1)
    return 0.5 * (graph.size() - vals)


def test_qaoa_sweep_distributions_and_cut_values_equal_cirq() -> None:
    graph = nx.random_regular_graph(3, 6, seed=7)
    qubits = cirq.LineQubit.range(6)
    beta, gamma = sympy.symbols("beta gamma")
    circuit = qaoa_max_cut_circuit(qubits, [beta], [gamma], graph)
    sweep = cirq.Zip(cirq.Linspace("beta", 0.2, 0.9, 3), cirq.Linspace("gamma", 0.4, 1.6, 3))
    sim = ClusterSimulator(_ideal(3, 2), seed=8)
    results = sim.run_sweep(circuit, params=sweep, repetitions=3000)
    assert sim.last_report.remote_gates > 0
    for result, resolver in zip(results, cirq.to_resolvers(sweep)):
        assert result.params == resolver
        bits = result.measurements["m"]
        values = cut_values(bits, graph)
        assert values.min() >= 0 and values.max() <= graph.size()  # int8 bits: no wrap-around
        unitary_part = cirq.resolve_parameters(circuit[:-1], resolver)
        exact = _exact_probabilities(unitary_part, qubits)
        _assert_same_distribution(result.data["m"].to_numpy(), exact)
        all_bits = np.array(list(itertools.product((0, 1), repeat=6)), dtype=np.int8)
        exact_mean = float(exact @ cut_values(all_bits, graph))
        sigma = np.std(cut_values(all_bits, graph)) / np.sqrt(len(values))
        assert abs(np.mean(values) - exact_mean) < 5 * sigma


# ---- teleportation (examples/quantum_teleportation.py) -------------------------------------------


def teleportation_circuit(ran_x, ran_y):
    circuit = cirq.Circuit()
    msg, alice, bob = cirq.LineQubit.range(3)
    circuit.append([cirq.H(alice), cirq.CNOT(alice, bob)])
    circuit.append([cirq.X(msg) ** ran_x, cirq.Y(msg) ** ran_y])
    circuit.append([cirq.CNOT(msg, alice), cirq.H(msg)])
    circuit.append(cirq.measure(msg, key="msg"))
    circuit.append(cirq.measure(alice, key="alice"))
    circuit.append(cirq.X(bob).with_classical_controls("alice"))
    circuit.append(cirq.Z(bob).with_classical_controls("msg"))
    return circuit


@pytest.mark.parametrize("mode", ["effective", "explicit"])
def test_teleportation_delivers_the_message_state(mode: str) -> None:
    ran_x, ran_y = 0.37, 0.81
    sim = ClusterSimulator(_ideal(3, 1), seed=9, mode=mode)
    q0 = cirq.LineQubit(0)
    message = sim.simulate(cirq.Circuit([cirq.X(q0) ** ran_x, cirq.Y(q0) ** ran_y]))
    expected = cirq.bloch_vector_from_state_vector(message.final_state_vector, 0)
    final = sim.simulate(teleportation_circuit(ran_x, ran_y))
    teleported = cirq.bloch_vector_from_state_vector(final.final_state_vector, 2)
    np.testing.assert_allclose(teleported, expected, atol=1e-5)
    assert sim.last_report.remote_gates > 0
    # The Bell-measurement outcomes are uniform, as with cirq.Simulator.
    run = sim.run(teleportation_circuit(ran_x, ran_y), repetitions=300)
    outcomes = 2 * run.measurements["msg"][:, 0] + run.measurements["alice"][:, 0]
    _assert_same_distribution(outcomes, np.full(4, 0.25))


# ---- phase estimation (examples/phase_estimator.py) ----------------------------------------------


def run_estimate(simulator, unknown_gate, qnum, repetitions):
    ancilla = cirq.LineQubit(-1)
    qubits = cirq.LineQubit.range(qnum)
    oracle_raised_to_power = [unknown_gate.on(ancilla).controlled_by(qubits[i]) ** (2**i) for i in range(qnum)]
    circuit = cirq.Circuit(
        cirq.H.on_each(*qubits),
        oracle_raised_to_power,
        cirq.qft(*qubits, without_reverse=True) ** -1,
        cirq.measure(*qubits, key="phase"),
    )
    return circuit, simulator.run(circuit, repetitions=repetitions)


def example_gate(phi):
    return cirq.MatrixGate(matrix=np.array([[np.exp(2 * np.pi * 1.0j * phi), 0], [0, 1]]))


@pytest.mark.parametrize("phi", [0.3, 0.75])
def test_phase_estimation_distribution_equals_cirq(phi: float) -> None:
    sim = ClusterSimulator(_ideal(2, 3), seed=10)
    circuit, result = run_estimate(sim, example_gate(phi), 4, 2000)
    qubits = cirq.LineQubit.range(4)
    exact = _exact_probabilities(circuit[:-1], qubits)
    _assert_same_distribution(result.data["phase"].to_numpy(), exact)
    mode = result.data["phase"].mode()[0]
    assert mode == int(np.argmax(exact))
    assert sim.last_report.remote_gates > 0


# ---- noisy simulation (examples/noisy_simulation_example.py) -------------------------------------


def noisy_circuit_demo(simulator_factory, amplitude_damp, repetitions=500):
    q = cirq.NamedQubit("q")
    circuit = cirq.Circuit(cirq.measure(q, key="initial_state"), cirq.X(q), cirq.measure(q, key="after_not_gate"))
    simulator = simulator_factory(noise=cirq.ConstantQubitNoiseModel(cirq.amplitude_damp(amplitude_damp)))
    return simulator.run(circuit, repetitions=repetitions)


@pytest.mark.parametrize("rate", [0.0, 0.4, 0.5, 1.0])
def test_noisy_simulation_with_amplitude_damping(rate: float) -> None:
    ours = noisy_circuit_demo(lambda noise: ClusterSimulator(seed=11, noise=noise), rate)
    ref = noisy_circuit_demo(lambda noise: cirq.DensityMatrixSimulator(seed=11, noise=noise), rate, repetitions=20)
    assert ours.histogram(key="initial_state") == {0: 500}
    # One damping step follows the X moment: P(1) = 1 - rate.
    _assert_same_distribution(ours.data["after_not_gate"].to_numpy(), np.array([rate, 1 - rate]))
    assert [(k, v.dtype, v.shape[1:]) for k, v in ours.records.items()] == [(k, v.dtype, v.shape[1:]) for k, v in ref.records.items()]


def test_distributed_bell_pair_with_amplitude_damping_noise_model() -> None:
    a, b = cirq.LineQubit.range(2)
    circuit = cirq.Circuit(cirq.H(a), cirq.CNOT(a, b), cirq.measure(a, b, key="m"))
    noise = cirq.ConstantQubitNoiseModel(cirq.amplitude_damp(0.2))
    sim = ClusterSimulator(_ideal(2, 1), seed=12, noise=noise)
    result = sim.run(circuit, repetitions=4000)
    assert sim.last_report.remote_gates == 1
    _assert_same_distribution(result.data["m"].to_numpy(), _exact_probabilities(circuit[:-1], [a, b], noise=noise))


# ---- noisy presets: the programs run and keep their shapes ---------------------------------------


@pytest.mark.parametrize("preset", ["demo", "oxford-ions-2025"])
def test_programs_run_on_noisy_presets(preset: str) -> None:
    sim = ClusterSimulator(preset, seed=13)
    top, frequencies = bernstein_vazirani(sim, secret=(1, 0, 1), bias=0, repetitions=200)
    assert sum(frequencies.values()) == 200 and top == "101"
    circuit, result = run_estimate(sim, example_gate(0.25), 2, 200)
    assert result.measurements["phase"].shape == (200, 2) and result.measurements["phase"].dtype == np.int8
    assert result.data["phase"].mode()[0] == 1  # 0.25 * 2**2
