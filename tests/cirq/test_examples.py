"""Ordinary Cirq programs, run unchanged except for the simulator line.

Each program is written as Cirq's own examples write it and takes the simulator
as its only argument; the tests run it with ``cirq.Simulator`` and with
``ClusterSimulator`` on small clusters that force gates between QPUs.
"""

from __future__ import annotations

import cirq
import numpy as np
import pytest
import sympy

from welinq_core import Cluster
from cirq_welinq import ClusterSimulator


def _cluster(num_qpus: int, per_qpu: int, topology: str = "all-to-all") -> Cluster:
    return Cluster.homogeneous(num_qpus=num_qpus, data_qubits_per_qpu=per_qpu, topology=topology)


# ---- the programs -------------------------------------------------------------------------------


def bernstein_vazirani(simulator: cirq.Sampler, secret: tuple[int, ...] = (1, 0, 1, 1)) -> int:
    inputs = cirq.LineQubit.range(len(secret))
    output = cirq.NamedQubit("output")
    oracle = [cirq.CNOT(q, output) for q, bit in zip(inputs, secret) if bit]
    circuit = cirq.Circuit(
        cirq.X(output), cirq.H(output), cirq.H.on_each(*inputs), oracle, cirq.H.on_each(*inputs),
        cirq.measure(*inputs, key="result"),
    )
    result = simulator.run(circuit, repetitions=20)
    frequencies = result.histogram(key="result", fold_func=lambda bits: "".join(str(int(b)) for b in bits))
    return len(frequencies), frequencies.most_common(1)[0][0]


def grover(simulator: cirq.Sampler, marked: tuple[int, int] = (1, 0)) -> dict[str, int]:
    x0, x1 = cirq.LineQubit.range(2)
    y = cirq.GridQubit(5, 5)
    flips = [cirq.X(q) for q, bit in zip((x0, x1), marked) if not bit]
    oracle = [*flips, cirq.TOFFOLI(x0, x1, y), *flips]
    circuit = cirq.Circuit(
        cirq.X(y), cirq.H(y), cirq.H.on_each(x0, x1), oracle,
        cirq.H.on_each(x0, x1), cirq.X.on_each(x0, x1), cirq.H(x1), cirq.CNOT(x0, x1), cirq.H(x1),
        cirq.X.on_each(x0, x1), cirq.H.on_each(x0, x1),
        cirq.measure(x0, x1, key="result"),
    )
    result = simulator.run(circuit, repetitions=30)
    return result.histogram(key="result", fold_func=lambda bits: "".join(str(int(b)) for b in bits))


def teleportation(simulator: cirq.SimulatesFinalState, ry: float = 0.8, rz: float = 0.3) -> tuple:
    msg, alice, bob = cirq.NamedQubit("msg"), cirq.NamedQubit("alice"), cirq.NamedQubit("bob")
    circuit = cirq.Circuit(
        cirq.ry(ry).on(msg), cirq.rz(rz).on(msg),
        cirq.H(alice), cirq.CNOT(alice, bob),
        cirq.CNOT(msg, alice), cirq.H(msg),
        cirq.measure(msg, key="m"), cirq.measure(alice, key="a"),
        cirq.X(bob).with_classical_controls("a"), cirq.Z(bob).with_classical_controls("m"),
    )
    result = simulator.simulate(circuit, qubit_order=[msg, alice, bob])
    bob_state = cirq.partial_trace_of_state_vector_as_mixture(result.final_state_vector, keep_indices=[2])
    bloch = cirq.bloch_vector_from_state_vector(result.final_state_vector, index=2)
    return bloch, bob_state


def phase_estimation(simulator: cirq.Sampler, phase: float = 0.3125, bits: int = 4) -> float:
    u = cirq.MatrixGate(np.diag([1, np.exp(2j * np.pi * phase)]))
    register = cirq.LineQubit.range(bits)
    target = cirq.LineQubit(bits)
    circuit = cirq.Circuit(
        cirq.X(target),
        cirq.H.on_each(*register),
        [(u ** (2 ** (bits - 1 - i))).on(target).controlled_by(q) for i, q in enumerate(register)],
        cirq.qft(*register, inverse=True),
        cirq.measure(*register, key="phase"),
    )
    result = simulator.run(circuit, repetitions=20)
    best = result.histogram(key="phase").most_common(1)[0][0]
    return best / 2**bits


def qaoa_sweep(simulator: cirq.SimulatesExpectationValues) -> tuple[list[float], list[cirq.Result]]:
    nodes = cirq.LineQubit.range(4)
    edges = [(nodes[i], nodes[(i + 1) % 4]) for i in range(4)]
    gamma, beta = sympy.symbols("gamma beta")
    circuit = cirq.Circuit(
        cirq.H.on_each(*nodes),
        [cirq.ZZ(a, b) ** gamma for a, b in edges],
        [cirq.X(q) ** beta for q in nodes],
    )
    sweep = cirq.Product(cirq.Linspace("gamma", 0.1, 0.5, 3), cirq.Linspace("beta", 0.2, 0.6, 2))
    cost = sum(0.5 * (1 - cirq.Z(a) * cirq.Z(b)) for a, b in edges)
    energies = [v[0].real for v in simulator.simulate_expectation_values_sweep(circuit, cost, sweep)]
    samples = simulator.run_sweep(circuit + cirq.measure(*nodes, key="cut"), sweep, repetitions=20)
    return energies, samples


def bell_inequality(simulator: cirq.Sampler, repetitions: int = 400) -> float:
    alice, bob = cirq.LineQubit(0), cirq.LineQubit(1)
    alice_referee, bob_referee = cirq.LineQubit(2), cirq.LineQubit(3)
    circuit = cirq.Circuit(
        cirq.H(alice), cirq.CNOT(alice, bob), cirq.X(alice) ** -0.25,
        cirq.H(alice_referee), cirq.H(bob_referee),
        cirq.CNOT(alice_referee, alice) ** 0.5, cirq.CNOT(bob_referee, bob) ** 0.5,
        cirq.measure(alice, key="a"), cirq.measure(bob, key="b"),
        cirq.measure(alice_referee, key="x"), cirq.measure(bob_referee, key="y"),
    )
    result = simulator.run(circuit, repetitions=repetitions)
    m = result.measurements
    wins = (m["a"][:, 0] ^ m["b"][:, 0]) == (m["x"][:, 0] & m["y"][:, 0])
    return float(np.mean(wins))


# ---- the tests ----------------------------------------------------------------------------------


def test_bernstein_vazirani_finds_the_secret_on_three_qpus() -> None:
    sim = ClusterSimulator(_cluster(3, 2), seed=1)
    assert bernstein_vazirani(sim) == bernstein_vazirani(cirq.Simulator(seed=1)) == (1, "1011")
    assert sim.last_report.remote_gates > 0


def test_grover_finds_the_marked_item_with_a_decomposed_toffoli() -> None:
    sim = ClusterSimulator(_cluster(3, 1), seed=2)
    assert grover(sim) == grover(cirq.Simulator(seed=2)) == {"10": 30}
    assert sim.last_report.remote_gates > 0


@pytest.mark.parametrize("mode", ["explicit", "effective"])
def test_teleportation_with_classical_controls_delivers_the_state(mode: str) -> None:
    sim = ClusterSimulator(_cluster(3, 1, "line"), seed=3, mode=mode)
    bloch, _ = teleportation(sim)
    expected, _ = teleportation(cirq.Simulator(seed=3))
    np.testing.assert_allclose(bloch, expected, atol=1e-5)
    np.testing.assert_allclose(bloch, [np.sin(0.8) * np.cos(0.3), np.sin(0.8) * np.sin(0.3), np.cos(0.8)], atol=1e-5)
    assert sim.last_report.remote_gates > 0


def test_phase_estimation_reads_the_phase() -> None:
    sim = ClusterSimulator(_cluster(2, 3), seed=4)
    assert phase_estimation(sim) == phase_estimation(cirq.Simulator(seed=4)) == 0.3125
    assert sim.last_report.total_bell_pairs > 0


def test_qaoa_sweep_energies_equal_cirq_and_samples_have_sweep_params() -> None:
    sim = ClusterSimulator(_cluster(2, 2), seed=5, dtype=np.complex128)
    energies, samples = qaoa_sweep(sim)
    expected, _ = qaoa_sweep(cirq.Simulator(seed=5, dtype=np.complex128))
    np.testing.assert_allclose(energies, expected, atol=1e-8)
    assert len(samples) == 6 and samples[-1].params["beta"] == pytest.approx(0.6)
    assert all(r.measurements["cut"].shape == (20, 4) for r in samples)
    assert sim.last_report.remote_gates > 0


def test_bell_inequality_is_violated_across_qpus() -> None:
    sim = ClusterSimulator(_cluster(2, 2), seed=6)
    win = bell_inequality(sim)
    # Quantum optimum cos^2(pi/8) = 0.854; the classical bound is 0.75. 400 shots: sigma = 0.018.
    assert abs(win - np.cos(np.pi / 8) ** 2) < 0.07
    assert win > 0.78
    assert sim.last_report.remote_gates > 0
