"""QPU templates per hardware modality, with typical published numbers.

Each function returns a :class:`~welinq_core.cluster.QPU` *template* whose noise,
durations and coherence times :meth:`Cluster.homogeneous(..., qpu=template)
<welinq_core.cluster.Cluster.homogeneous>` copies onto every QPU. The numbers are
rounded "typical" values read from the sources named below (headline medians of
full systems, not best single-pair records); they are meant for what-if studies,
and every one can be overridden with :func:`dataclasses.replace`. Our noise model
maps them as: depolarizing after each gate with probability ``*_gate_error``, a
bit flip before each measurement (``readout_error``) and Pauli-twirled T1/T2
idling (``welinq_core.noise.idle_pauli_probabilities``).

Examples:
    >>> from welinq_core.cluster import Cluster
    >>> cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=4, qpu=neutral_atom())
    >>> cluster.qpus[0].two_qubit_gate_error
    0.005
    >>> sorted(PRESETS)
    ['neutral_atom', 'superconducting', 'trapped_ion']
"""

from __future__ import annotations

from collections.abc import Callable

from welinq_core.cluster import QPU

__all__ = ["neutral_atom", "trapped_ion", "superconducting", "PRESETS"]


def neutral_atom(num_data_qubits: int = 16, num_comm_qubits: int = 2) -> QPU:
    """Rydberg-atom array (87Rb, hyperfine qubits), Harvard/QuEra generation of 2023-2024.

    Sources: Evered et al., Nature 622, 268 (2023) (parallel CZ fidelity 99.5 %,
    ~250 ns gates); Bluvstein et al., Nature 626, 58 (2024) (logical processor on
    reconfigurable arrays: single-qubit Raman gates ~99.9 %, hyperfine coherence
    T2 ~1 s with dynamical decoupling, site-resolved imaging of ~0.5 ms with ~99 %
    fidelity). Atom moves between zones (~100s of us) are not modelled.
    """
    return QPU(
        name="neutral_atom",
        num_data_qubits=num_data_qubits,
        num_comm_qubits=num_comm_qubits,
        modality="neutral-atom",
        single_qubit_gate_error=1e-3,
        two_qubit_gate_error=5e-3,
        readout_error=1e-2,
        single_qubit_gate_duration_s=1e-6,
        two_qubit_gate_duration_s=250e-9,
        measurement_duration_s=500e-6,
        t1_s=4.0,
        t2_s=1.5,
    )


def trapped_ion(num_data_qubits: int = 16, num_comm_qubits: int = 2) -> QPU:
    """Trapped-ion QCCD processor (hyperfine qubits), Quantinuum H2 / Oxford class.

    Sources: Moses et al., PRX 13, 041052 (2023) (Quantinuum H2: two-qubit gate
    infidelity ~1e-3 (median 0.9e-3 to 2e-3 across zones), single-qubit ~3e-5,
    SPAM ~1e-3); Main et al., Nature 638, 383 (2025) (Oxford two-module network:
    local gates of tens of us, memory qubits holding coherence for seconds).
    Hyperfine qubits do not relax on experimental time scales (T1 set to 1 hour);
    T2 of a few seconds (memory error ~1e-4 per ms of idling). Transport and
    cooling are not modelled.
    """
    return QPU(
        name="trapped_ion",
        num_data_qubits=num_data_qubits,
        num_comm_qubits=num_comm_qubits,
        modality="trapped-ion",
        single_qubit_gate_error=3e-5,
        two_qubit_gate_error=1.5e-3,
        readout_error=1e-3,
        single_qubit_gate_duration_s=10e-6,
        two_qubit_gate_duration_s=100e-6,
        measurement_duration_s=150e-6,
        t1_s=3600.0,
        t2_s=3.0,
    )


def superconducting(num_data_qubits: int = 16, num_comm_qubits: int = 2) -> QPU:
    """Superconducting transmon processor, Google Willow / IBM Heron class.

    Sources: Google Quantum AI, Nature 638, 920 (2025) ("Quantum error correction
    below the surface code threshold", Willow, 105 qubits: mean single-qubit error
    ~3.5e-4, CZ error ~3.3e-3, readout ~7.7e-3, T1 ~68 us, gate times ~25 ns (1q)
    and ~42 ns (2q), readout ~0.5-0.7 us); IBM Heron r2 datasheets report similar
    median two-qubit errors (~3e-3) with T1 ~ 200-300 us. Communication qubits and
    microwave-optical transduction are NOT modelled here (see docs/physics.md 3,
    ``sc_transduction_2025``: remote links are the hard part for this modality).
    """
    return QPU(
        name="superconducting",
        num_data_qubits=num_data_qubits,
        num_comm_qubits=num_comm_qubits,
        modality="superconducting",
        single_qubit_gate_error=3.5e-4,
        two_qubit_gate_error=3.3e-3,
        readout_error=7.7e-3,
        single_qubit_gate_duration_s=25e-9,
        two_qubit_gate_duration_s=42e-9,
        measurement_duration_s=600e-9,
        t1_s=68e-6,
        t2_s=90e-6,
    )


#: Preset name -> template factory.
PRESETS: dict[str, Callable[..., QPU]] = {
    "neutral_atom": neutral_atom,
    "trapped_ion": trapped_ion,
    "superconducting": superconducting,
}
