"""Surface-code memories split over QPUs: detectors, distance, thresholds, noise channels, bad input."""

from __future__ import annotations

import numpy as np
import pymatching
import pytest
import stim
from hypothesis import given
from hypothesis import strategies as st

from welinq_core import QPU, Cluster, Link
from welinq_core.errors import InsufficientQubitsError, NoRouteError, OptionsError, PhysicsParameterError
from welinq_core.qec import (
    BulkNoise,
    InterfaceNoise,
    surface_code_layout,
    surface_code_memory,
    surface_code_memory_on_cluster,
)


def _canonical_dem(circuit: stim.Circuit) -> dict[tuple, float]:
    """Error mechanisms keyed by detector coordinates (independent of qubit/detector numbering)."""
    dem = circuit.detector_error_model(flatten_loops=True)
    coords = dem.get_detector_coordinates()
    out: dict[tuple, float] = {}
    for inst in dem.flattened():
        if inst.type != "error":
            continue
        key = tuple(sorted((tuple(coords[t.val]) if t.is_relative_detector_id() else ("L", t.val)
                            for t in inst.targets_copy() if not t.is_separator()), key=str))
        p, q = inst.args_copy()[0], out.get(key, 0.0)
        out[key] = q * (1 - p) + p * (1 - q)
    return out


@pytest.mark.parametrize("basis", ["z", "x"])
@pytest.mark.parametrize("distance, rounds", [(3, 1), (3, 4), (5, 3)])
@pytest.mark.parametrize("seam", ["vertical", "horizontal"])
def test_matches_stims_generated_circuit_when_the_seam_is_like_the_bulk(basis, distance, rounds, seam):
    p = 0.002
    ours = surface_code_memory(distance=distance, rounds=rounds, bulk_error=p, interface_error=p,
                               num_qpus=2, basis=basis, seam=seam)
    ref = stim.Circuit.generated(f"surface_code:rotated_memory_{basis}", distance=distance, rounds=rounds,
                                 after_clifford_depolarization=p, before_round_data_depolarization=p,
                                 before_measure_flip_probability=p, after_reset_flip_probability=p)
    a, b = _canonical_dem(ours), _canonical_dem(ref)
    assert a.keys() == b.keys()
    assert max(abs(a[k] - b[k]) for k in a) < 1e-12


@pytest.mark.parametrize("kwargs", [
    dict(distance=3, rounds=3, num_qpus=3, basis="z"),
    dict(distance=5, rounds=2, num_qpus=2, basis="x", seam="horizontal"),
    dict(distance=5, rounds=5, num_qpus=4, basis="z", noise_model="si1000", interface_channel="remote_cnot"),
    dict(distance=7, rounds=1, num_qpus=1, basis="x"),
])
def test_zero_noise_gives_silent_detectors_and_no_logical_error(kwargs):
    circuit = surface_code_memory(bulk_error=0.0, interface_error=0.0, **kwargs)
    det, obs = circuit.compile_detector_sampler(seed=3).sample(200, separate_observables=True)
    assert circuit.num_detectors > 0 and not det.any() and not obs.any()


@pytest.mark.parametrize("channel", ["depolarizing", "remote_cnot"])
@pytest.mark.parametrize("model", ["uniform", "si1000"])
@pytest.mark.parametrize("distance, num_qpus, seam", [(3, 2, "vertical"), (5, 3, "horizontal"), (5, 5, "vertical")])
def test_detector_error_model_decomposes_and_keeps_the_full_distance(channel, model, distance, num_qpus, seam):
    circuit = surface_code_memory(distance=distance, rounds=distance, bulk_error=0.001, interface_error=0.1,
                                  num_qpus=num_qpus, seam=seam, noise_model=model, interface_channel=channel)
    # raises on non-deterministic detectors or observables, or on undecomposable errors
    circuit.detector_error_model(decompose_errors=True)
    assert len(circuit.shortest_graphlike_error()) == distance


def _logical_error_rate(distance: int, bulk: float, interface: float, shots: int, seed: int) -> float:
    circuit = surface_code_memory(distance=distance, rounds=distance, bulk_error=bulk, interface_error=interface)
    matching = pymatching.Matching.from_detector_error_model(circuit.detector_error_model(decompose_errors=True))
    det, obs = circuit.compile_detector_sampler(seed=seed).sample(shots, separate_observables=True)
    return float(np.mean(np.any(matching.decode_batch(det) != obs, axis=1)))


def test_logical_error_falls_with_distance_below_threshold():
    # 20,000 shots: about 120 failures at d=3 and 30 at d=5 (well separated)
    p3, p5 = (_logical_error_rate(d, 0.003, 0.003, 20_000, seed=11) for d in (3, 5))
    assert p5 < 0.6 * p3


def test_logical_error_falls_with_distance_with_a_noisy_seam():
    p3, p5 = (_logical_error_rate(d, 0.001, 0.03, 20_000, seed=12) for d in (3, 5))
    assert p5 < 0.7 * p3


@pytest.mark.parametrize("bulk, interface", [(0.02, 0.02), (0.001, 0.35)])
def test_logical_error_rises_with_distance_above_threshold(bulk, interface):
    p3, p5 = (_logical_error_rate(d, bulk, interface, 4_000, seed=13) for d in (3, 5))
    assert p5 > p3


@given(st.floats(0.501, 1.0), st.floats(0, 1), st.floats(0, 1))
def test_remote_cnot_channel_is_an_exact_product_of_independent_flips(fidelity, a, b):
    rest = 1 - fidelity
    pair = (fidelity, rest * a, rest * (1 - a) * b, rest * (1 - a) * (1 - b))
    channel = InterfaceNoise.remote_cnot(pair)
    parts = channel.independent_components()
    if parts is None:  # e.g. p_X = 0 < p_Y p_Z: independent flips cannot avoid X; the exact channel is kept
        from welinq_core.qec.memory import _append_channel

        c = stim.Circuit()
        _append_channel(c, channel, 0, 1)
        assert [inst.name for inst in c] == ["PAULI_CHANNEL_2"]
        return
    rebuilt = InterfaceNoise.from_terms({})
    for label, r in parts.items():
        rebuilt = rebuilt.then(InterfaceNoise.from_terms({label: r}))
    assert np.allclose(rebuilt.probabilities, channel.probabilities, atol=1e-12)
    assert set(channel.nonzero()) <= {"IX", "ZX", "ZI"}


@given(st.floats(0.501, 1.0))
def test_werner_remote_cnot_always_decomposes(fidelity):
    parts = InterfaceNoise.werner_remote_cnot(1 - fidelity).independent_components()
    assert parts is not None and set(parts) <= {"IX", "ZX", "ZI"}


@pytest.mark.parametrize("pair", [(0.8, 0.1, 0.04, 0.06), (0.75, 0.0, 0.125, 0.125)])
def test_remote_cnot_channel_matches_its_sampled_frequencies(pair):
    # the emitted instructions (CORRELATED_ERROR terms, or PAULI_CHANNEL_2) reproduce the channel
    from welinq_core.qec.memory import _append_channel

    p_i, p_x, p_y, p_z = pair
    channel = InterfaceNoise.remote_cnot(pair)
    c = stim.Circuit()
    _append_channel(c, channel, 0, 1)
    # X on the target flips M(1); Z on the control flips MX(0)
    c.append("MX", [0])
    c.append("M", [1])
    c = stim.Circuit("RX 0\nR 1\n") + c
    shots = c.compile_sampler(seed=5).sample(200_000)
    freq = {(zc, xt): np.mean((shots[:, 0] == zc) & (shots[:, 1] == xt)) for zc in (0, 1) for xt in (0, 1)}
    expected = {(0, 0): p_i, (0, 1): p_x, (1, 1): p_y, (1, 0): p_z}
    for k, v in expected.items():
        assert abs(freq[k] - v) <= 5 * np.sqrt(v * (1 - v) / 200_000)


def test_layout_interface_gates_are_the_cross_seam_cnots():
    layout = surface_code_layout(distance=5, num_qpus=3)
    assert sorted(set(layout.qpu_of.values())) == [0, 1, 2]
    counted = sum(layout.qpu_of[c] != layout.qpu_of[t] for layer in layout.cnot_layers for c, t in layer)
    assert counted == layout.interface_gates_per_round == sum(layout.interface_gates_per_seam().values())
    assert set(layout.interface_gates_per_seam()) == {(0, 1), (1, 2)}
    # every stabilizer has 2 or 4 data qubits; each data qubit is touched once per layer at most
    for layer in layout.cnot_layers:
        touched = [q for pair in layer for q in pair]
        assert len(touched) == len(set(touched))


def _cluster(fidelity: float = 0.95, num_qpus: int = 2, size: int = 40) -> Cluster:
    qpu = QPU(name="q", num_data_qubits=size, two_qubit_gate_error=0.001, single_qubit_gate_error=0.0001,
              readout_error=0.002)
    return Cluster.homogeneous(num_qpus=num_qpus, data_qubits_per_qpu=size, qpu=qpu,
                               link=Link(bell_pair_fidelity=fidelity), topology="line")


def test_cluster_form_takes_noise_from_links_and_qpus_and_counts_pairs():
    cluster = _cluster(0.95, num_qpus=3)
    exp = surface_code_memory_on_cluster(cluster, distance=5, rounds=5)
    assert exp.qpu_names == cluster.qpu_names
    assert exp.bell_pairs_per_round == {k: float(v) for k, v in zip(
        [("qpu0", "qpu1"), ("qpu1", "qpu2")], exp.layout.interface_gates_per_seam().values())}
    for channel in exp.interface.values():
        assert channel.nonzero().keys() == {"IX", "ZX", "ZI"}
        assert channel.total == pytest.approx(0.05)
    assert exp.bulk["qpu0"] == BulkNoise(two_qubit=0.001, single_qubit=0.0001, measurement=0.002)
    exp.circuit.detector_error_model(decompose_errors=True)
    assert len(exp.circuit.shortest_graphlike_error()) == 5
    det, obs = surface_code_memory_on_cluster(_cluster(1.0), distance=3, rounds=2).circuit \
        .without_noise().compile_detector_sampler(seed=1).sample(50, separate_observables=True)
    assert not det.any() and not obs.any()


def test_cluster_form_distillation_raises_fidelity_and_costs_pairs():
    plain = surface_code_memory_on_cluster(_cluster(0.9), distance=3, rounds=3)
    distilled = surface_code_memory_on_cluster(_cluster(0.9), distance=3, rounds=3, distillation_rounds=2)
    key = ("qpu0", "qpu1")
    assert distilled.pair_fidelity[key] > plain.pair_fidelity[key] == pytest.approx(0.9)
    assert distilled.bell_pairs_per_round[key] > 4 * plain.bell_pairs_per_round[key]


def test_cluster_form_refuses_small_qpus_and_unlinked_neighbours():
    with pytest.raises(InsufficientQubitsError, match="needs"):
        surface_code_memory_on_cluster(_cluster(size=8), distance=3, rounds=3)
    cluster = _cluster(num_qpus=3)
    with pytest.raises(NoRouteError, match="share no link"):
        surface_code_memory_on_cluster(cluster, distance=3, rounds=3, qpus=("qpu0", "qpu2", "qpu1"))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(distance=4), OptionsError, "distance=4 must be an odd"),
    (dict(distance=1), OptionsError, "distance=1"),
    (dict(distance=3.0), OptionsError, "distance=3.0"),
    (dict(bulk_error=-0.1), PhysicsParameterError, "bulk_error=-0.1"),
    (dict(interface_error=1.2), PhysicsParameterError, "interface_error=1.2"),
    (dict(num_qpus=4), OptionsError, "num_qpus=4 exceeds distance=3"),
    (dict(num_qpus=0), OptionsError, "num_qpus=0"),
    (dict(rounds=0), OptionsError, "rounds=0"),
    (dict(basis="y"), OptionsError, "basis='y'"),
    (dict(seam="diagonal"), OptionsError, "seam='diagonal'"),
    (dict(noise_model="si999"), OptionsError, "noise_model='si999'"),
    (dict(interface_channel="teleport"), OptionsError, "interface_channel='teleport'"),
])
def test_bad_input_names_the_value(kwargs, error, match):
    args = dict(distance=3, rounds=3, bulk_error=0.001, interface_error=0.01) | kwargs
    with pytest.raises(error, match=match):
        surface_code_memory(**args)
    assert issubclass(error, ValueError)
