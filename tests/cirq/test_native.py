"""ClusterSimulator feels like cirq.Simulator: record dtypes/shapes/keys, the default cluster,
non-Pauli channels with link noise, and clear errors for what cannot be represented."""

from __future__ import annotations

import cirq
import numpy as np
import pytest
import sympy

from welinq_core import Cluster, Link
from welinq_core.circuit import Circuit, Operation
from welinq_core.cluster_presets import DEFAULT_CLUSTER_PRESET
from welinq_core.errors import CircuitError, UnsupportedGateError
from welinq_core.pipeline import compile_program
from welinq_core.reference import simulate as reference_simulate
from cirq_welinq import ClusterSimulator, circuit_from_cirq
from cirq_welinq.simulator import record_dtype

Q = cirq.LineQubit.range(4)
TWO_QPUS = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2)
NOISY = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, link=Link(bell_pair_fidelity=0.9, length_km=0.01))
SPLIT = ("qpu0", "qpu1", "qpu0", "qpu1")


def _split(circuit: cirq.AbstractCircuit) -> tuple[str, ...]:
    """Alternate the circuit's qubits (in sorted order) between the two QPUs."""
    return SPLIT[: len(circuit.all_qubits())]

# Circuits that take each of cirq.Simulator's sampling paths (int8 and uint8 records).
SHAPES = {
    "terminal": cirq.Circuit(cirq.H(Q[0]), cirq.CNOT(Q[0], Q[1]), cirq.measure(Q[2], key="z"),
                             cirq.measure(Q[1], Q[0], key="a", invert_mask=(True,))),
    "repeated-key": cirq.Circuit(cirq.H(Q[0]), cirq.CNOT(Q[0], Q[3]), cirq.measure(Q[0], Q[1], key="a"),
                                 cirq.measure(Q[3], Q[2], key="a"), cirq.measure(Q[1], key="b")),
    "mid-circuit": cirq.Circuit(cirq.H(Q[0]), cirq.measure(Q[0], key="first"), cirq.CNOT(Q[0], Q[1]),
                                cirq.measure(Q[1], Q[0], key="second")),
    "classical-control": cirq.Circuit(cirq.H(Q[0]), cirq.measure(Q[0], key="c"),
                                      cirq.X(Q[1]).with_classical_controls("c"), cirq.measure(Q[1], key="t")),
    "reset": cirq.Circuit(cirq.X(Q[0]), cirq.reset(Q[0]), cirq.CNOT(Q[0], Q[1]), cirq.measure(Q[0], Q[1], key="m")),
    "channel": cirq.Circuit(cirq.X(Q[0]), cirq.amplitude_damp(0.3).on(Q[0]), cirq.measure(Q[0], key="m")),
}


def _summary(records: dict[str, np.ndarray]) -> list[tuple[str, np.dtype, tuple[int, ...]]]:
    return [(k, v.dtype, v.shape) for k, v in records.items()]


@pytest.mark.parametrize("name", SHAPES)
@pytest.mark.parametrize("noise", [None, cirq.depolarize(0.01)], ids=["no-noise", "noise-model"])
def test_records_have_cirq_simulator_dtypes_shapes_and_key_order(name: str, noise) -> None:
    circuit = SHAPES[name]
    ours = ClusterSimulator(TWO_QPUS, seed=1, noise=noise, assignment=_split(circuit)).run(circuit, repetitions=7)
    ref = cirq.Simulator(seed=1, noise=noise).run(circuit, repetitions=7)
    assert _summary(ours.records) == _summary(ref.records)
    if all(v.shape[1] == 1 for v in ref.records.values()):  # 2D views exist without repeated keys
        assert _summary(ours.measurements) == _summary(ref.measurements)
        assert list(ours.data.columns) == list(ref.data.columns)
    assert record_dtype(circuit, cirq.NoiseModel.from_noise_model_like(noise)) == ref.records[next(iter(ref.records))].dtype


def test_run_sweep_and_sample_match_cirq_simulator_layout() -> None:
    t = sympy.Symbol("t")
    circuit = cirq.Circuit(cirq.X(Q[0]) ** t, cirq.CNOT(Q[0], Q[1]), cirq.measure(Q[1], key="k"), cirq.measure(Q[0], key="m"))
    sweep = cirq.Linspace("t", 0, 1, 3)
    ours = ClusterSimulator(TWO_QPUS, seed=2, assignment=_split(circuit))
    ref = cirq.Simulator(seed=2)
    got, want = ours.run_sweep(circuit, sweep, repetitions=5), ref.run_sweep(circuit, sweep, repetitions=5)
    assert [_summary(r.records) for r in got] == [_summary(r.records) for r in want]
    assert [r.params for r in got] == [r.params for r in want]
    df, df_ref = ours.sample(circuit, repetitions=5, params=sweep), ref.sample(circuit, repetitions=5, params=sweep)
    assert list(df.columns) == list(df_ref.columns) and list(df.dtypes) == list(df_ref.dtypes)
    assert df.shape == df_ref.shape


def test_ordinary_arithmetic_on_bits_works() -> None:
    """np.mean(1 - 2 * bits) and (-1) ** bits, as Cirq's own qaoa.py computes cut values."""
    circuit = cirq.Circuit(cirq.X(Q[0]), cirq.CNOT(Q[0], Q[1]), cirq.measure(Q[0], Q[1], key="m"))
    bits = ClusterSimulator(TWO_QPUS, seed=3, assignment=_split(circuit)).run(circuit, repetitions=10).measurements["m"]
    assert np.mean(1 - 2 * bits) == -1.0
    assert ((-1) ** bits == -1).all()


def test_no_argument_uses_the_documented_default_preset() -> None:
    from qiskit_welinq import ClusterBackend

    sim = ClusterSimulator()
    assert sim.cluster == Cluster.preset(DEFAULT_CLUSTER_PRESET)
    assert ClusterBackend().cluster == Cluster.preset(DEFAULT_CLUSTER_PRESET)
    circuit = cirq.Circuit(cirq.H(Q[0]), cirq.CNOT(Q[0], Q[1]), cirq.measure(Q[0], Q[1], key="m"))
    counts = ClusterSimulator(seed=4).run(circuit, repetitions=200).histogram(key="m")
    assert set(counts) == {0, 3}
    # The default holds circuits as wide as its 32 data qubits (what the effective mode simulates
    # is then the engine's limit, not the cluster's).
    assert sim.cluster.num_data_qubits == 32


# ---- non-Pauli channels --------------------------------------------------------------------------


class _Custom2q(cirq.Gate):
    """A two-qubit Kraus channel nobody here wrote: correlated amplitude damping."""

    def _num_qubits_(self) -> int:
        return 2

    def _kraus_(self):
        g = 0.35
        k0 = np.diag([1, 1, 1, np.sqrt(1 - g)]).astype(complex)
        k1 = np.zeros((4, 4), complex)
        k1[0, 3] = np.sqrt(g)
        return [k0, k1]


CHANNELS = {
    "amplitude_damp": cirq.amplitude_damp(0.3),
    "generalized_amplitude_damp": cirq.generalized_amplitude_damp(0.3, 0.2),
    "phase_damp": cirq.phase_damp(0.4),
    "kraus_channel": cirq.KrausChannel([np.diag([1, np.sqrt(0.5)]), np.array([[0, np.sqrt(0.5)], [0, 0]])]),
    "non_pauli_mixture": cirq.MixedUnitaryChannel([(0.7, np.eye(2)), (0.3, cirq.unitary(cirq.H))]),
    "custom_two_qubit": _Custom2q(),
}


def _with_channel(channel: cirq.Gate) -> cirq.Circuit:
    """Remote gates before and after the channel, which sits on a packet's control qubit."""
    qs = Q[:2] if cirq.num_qubits(channel) == 2 else Q[:1]
    return cirq.Circuit(
        cirq.H(Q[0]), cirq.ry(0.7).on(Q[2]), cirq.CNOT(Q[0], Q[1]), cirq.CZ(Q[0], Q[3]),
        channel.on(*qs), cirq.CNOT(Q[0], Q[3]), cirq.CZ(Q[2], Q[1]), cirq.ry(0.4).on(Q[0]),
    )


@pytest.mark.parametrize("name", CHANNELS)
@pytest.mark.parametrize("mode", ["effective", "explicit"])
def test_channels_on_an_ideal_cluster_equal_cirq_density_matrix_simulator(name: str, mode: str) -> None:
    circuit = _with_channel(CHANNELS[name])
    sim = ClusterSimulator(TWO_QPUS, mode=mode, dtype=np.complex128, assignment=SPLIT)
    got = sim.simulate(circuit, qubit_order=Q)
    want = cirq.DensityMatrixSimulator(dtype=np.complex128).simulate(circuit, qubit_order=Q)
    assert isinstance(got, cirq.DensityMatrixTrialResult)
    np.testing.assert_allclose(got.final_density_matrix, want.final_density_matrix, atol=1e-9)
    assert sim.last_report.remote_gates >= 3


@pytest.mark.parametrize("name", ["amplitude_damp", "custom_two_qubit", "non_pauli_mixture"])
def test_channels_with_link_noise_agree_between_modes_and_with_the_reference(name: str) -> None:
    """Link noise is added as usual: effective == explicit == the core's reference simulator."""
    circuit = _with_channel(CHANNELS[name])
    states = {}
    for mode in ("effective", "explicit"):
        sim = ClusterSimulator(NOISY, mode=mode, dtype=np.complex128, assignment=SPLIT)
        states[mode] = sim.simulate(circuit, qubit_order=Q).final_density_matrix
        ir, _, _ = circuit_from_cirq(circuit, Q)
        compiled = compile_program(ir, NOISY, mode=mode, assignment=SPLIT)
        rho = reference_simulate(compiled.circuit, keep_clbits=0).density_matrix(range(4))
        np.testing.assert_allclose(states[mode], rho, atol=1e-6)
    np.testing.assert_allclose(states["effective"], states["explicit"], atol=1e-6)
    ideal = cirq.DensityMatrixSimulator(dtype=np.complex128).simulate(circuit, qubit_order=Q).final_density_matrix
    assert np.abs(states["effective"] - ideal).max() > 1e-3  # the links did add noise


def test_noise_model_of_amplitude_damping_samples_like_cirq() -> None:
    circuit = cirq.Circuit(cirq.X(Q[0]), cirq.CNOT(Q[0], Q[1]), cirq.measure(Q[0], Q[1], key="m"))
    noise = cirq.ConstantQubitNoiseModel(cirq.amplitude_damp(0.25))
    ours = ClusterSimulator(TWO_QPUS, seed=5, noise=noise, assignment=_split(circuit)).run(circuit, repetitions=4000)
    rho = cirq.DensityMatrixSimulator(noise=noise).simulate(circuit[:-1], qubit_order=Q[:2]).final_density_matrix
    # Noise after the measurement moment does not change the outcomes.
    exact = np.real(np.diag(rho))
    counts = np.bincount(ours.data["m"], minlength=4)
    from scipy.stats import chisquare

    keep = exact > 0
    assert counts[~keep].sum() == 0
    assert chisquare(counts[keep], 4000 * exact[keep] / exact[keep].sum()).pvalue > 1e-3


# ---- the IR operation ----------------------------------------------------------------------------


def test_kraus_operation_validates_and_roundtrips_through_json() -> None:
    k = [np.diag([1, np.sqrt(0.6)]), np.array([[0, np.sqrt(0.4)], [0, 0]])]
    op = Operation(name="kraus", qubits=(1,), kraus=tuple(tuple(map(tuple, m)) for m in k))
    c = Circuit(num_qubits=2, operations=[Operation(name="x", qubits=(1,)), op])
    assert Circuit.from_json(c.to_json()) == c
    rho = reference_simulate(c, keep_clbits=0).density_matrix([1])
    np.testing.assert_allclose(np.real(np.diag(rho)), [0.4, 0.6], atol=1e-12)
    with pytest.raises(CircuitError, match="not trace preserving"):
        Operation(name="kraus", qubits=(0,), kraus=(((1, 0), (0, 0.5)),))
    with pytest.raises(CircuitError, match="must be 4x4"):
        Operation(name="kraus", qubits=(0, 1), kraus=(((1, 0), (0, 1)),))


# ---- bad input -----------------------------------------------------------------------------------


def test_qubits_the_cluster_cannot_map_get_a_clear_error() -> None:
    qutrit = cirq.LineQid(0, dimension=3)
    with pytest.raises(CircuitError, match=r"qudit .*dimension 3.*qubits only"):
        ClusterSimulator().run(cirq.Circuit(cirq.measure(qutrit, key="m")))
    with pytest.raises(UnsupportedGateError, match="channel .* acts on 4 qubits"):
        ClusterSimulator().run(cirq.Circuit(cirq.depolarize(0.1, n_qubits=4).on(*Q), cirq.measure(Q[0], key="m")))
