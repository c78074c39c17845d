"""Ready-made clusters, by name.

Each preset is a function returning a fresh :class:`~welinq_core.cluster.Cluster`;
:func:`cluster_preset_names` lists them and :func:`register_cluster_preset` adds one.

Examples:
    >>> cluster_preset("ideal").num_data_qubits
    16
    >>> "ideal-4-line" in cluster_preset_names()
    True
"""

from __future__ import annotations

from collections.abc import Callable

from welinq_core.cluster import QPU, Cluster, Link
from welinq_core.errors import ClusterSpecError
from welinq_core.physics.presets import metro_link_model

__all__ = ["DEFAULT_CLUSTER_PRESET", "cluster_preset", "cluster_preset_names", "register_cluster_preset"]

#: The cluster used when none is given (``ClusterSimulator()``, ``ClusterBackend()``): 4 QPUs
#: x 8 data qubits on a ring of perfect links. Results equal an ideal simulator's exactly,
#: circuits of up to 32 qubits fit, and the report still shows the partition and the Bell
#: pairs each link would have to supply. Pass a preset name or a Cluster for noisy links.
DEFAULT_CLUSTER_PRESET = "ideal-4-ring"

_REGISTRY: dict[str, tuple[Callable[[], Cluster], str]] = {}


def register_cluster_preset(name: str, factory: Callable[[], Cluster], description: str) -> None:
    """Add a named preset (its factory is called each time the preset is requested)."""
    if name in _REGISTRY:
        raise ClusterSpecError(f"cluster preset {name!r} is already registered")
    _REGISTRY[name] = (factory, description)


def cluster_preset_names() -> tuple[str, ...]:
    """Names of the registered presets, sorted."""
    return tuple(sorted(_REGISTRY))


def cluster_preset_description(name: str) -> str:
    """One-line description of a preset."""
    return _lookup(name)[1]


def cluster_preset(name: str) -> Cluster:
    """The preset cluster called ``name``.

    Raises:
        ClusterSpecError: If no preset has that name (the message lists them).
    """
    return _lookup(name)[0]()


def _lookup(name: str) -> tuple[Callable[[], Cluster], str]:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ClusterSpecError(
            f"no cluster preset named {name!r}; presets are {list(cluster_preset_names())} "
            "(or give a path to a cluster JSON file)"
        ) from None


register_cluster_preset(
    "ideal",
    lambda: Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=8, name="ideal"),
    "2 QPUs x 8 data qubits, one perfect link with unlimited rate",
)
register_cluster_preset(
    "ideal-4-line",
    lambda: Cluster.homogeneous(num_qpus=4, data_qubits_per_qpu=6, topology="line", name="ideal-4-line"),
    "4 QPUs x 6 data qubits on a line of perfect links (remote gates between ends are swapped)",
)
register_cluster_preset(
    "ideal-4-ring",
    lambda: Cluster.homogeneous(num_qpus=4, data_qubits_per_qpu=8, topology="ring", name="ideal-4-ring"),
    "4 QPUs x 8 data qubits on a ring of perfect links",
)
register_cluster_preset(
    "werner-0.97",
    lambda: Cluster.homogeneous(
        num_qpus=2,
        data_qubits_per_qpu=8,
        link=Link(bell_pair_fidelity=0.97, bell_pair_rate_hz=200.0, length_km=0.002),
        name="werner-0.97",
    ),
    "2 QPUs x 8 data qubits, one 2 m link with Werner pairs of fidelity 0.97 at 200 Hz",
)


# ---- presets built on the sourced physics link presets (welinq_core.physics.presets) --------
# QPU sizes, gate durations, gate errors and data-qubit coherence below are typical
# published orders of magnitude, chosen here as assumptions; each description says which
# numbers are measured, claimed or projected.

def _trapped_ion_qpu() -> QPU:
    return QPU(
        name="ion", num_data_qubits=4, num_comm_qubits=2, modality="trapped-ion",
        single_qubit_gate_error=1e-4, two_qubit_gate_error=2e-3, readout_error=1e-3,
        single_qubit_gate_duration_s=1e-5, two_qubit_gate_duration_s=2e-4,
        measurement_duration_s=4e-4, t1_s=None, t2_s=1.0,
    )


def _neutral_atom_qpu(*, data_qubits: int, two_qubit_gate_error: float) -> QPU:
    return QPU(
        name="atom", num_data_qubits=data_qubits, num_comm_qubits=2, modality="neutral-atom",
        single_qubit_gate_error=5e-4, two_qubit_gate_error=two_qubit_gate_error, readout_error=5e-3,
        single_qubit_gate_duration_s=1e-6, two_qubit_gate_duration_s=5e-7,
        measurement_duration_s=5e-4, t1_s=None, t2_s=1.0,
    )


def _oxford_2025_qpu() -> QPU:
    """The QPUs of ``oxford-ions-2025``, built from the error budget
    (:data:`~welinq_core.physics.presets.OXFORD_2025_BUDGET`, docs/physics.md 3.1): the
    mixed-species interface sets the two-qubit gate error, the 43Ca+ memory the dephasing
    time; readout and single-qubit errors and the durations are assumptions."""
    from welinq_core.physics.presets import OXFORD_2025_BUDGET as budget

    return QPU(
        name="ion", num_data_qubits=4, num_comm_qubits=2, modality="trapped-ion",
        single_qubit_gate_error=budget["single_qubit_gate_error"],
        two_qubit_gate_error=budget["two_qubit_gate_error"], readout_error=budget["readout_error"],
        single_qubit_gate_duration_s=1e-5, two_qubit_gate_duration_s=2e-4,
        measurement_duration_s=4e-4, t1_s=None, t2_s=budget["circuit_qubit_t2_s"],
    )


register_cluster_preset(
    "oxford-ions-2025",
    lambda: Cluster.homogeneous(
        num_qpus=2, data_qubits_per_qpu=4, qpu=_oxford_2025_qpu(),
        link=Link.from_preset("trapped_ion_oxford_2025"), name="oxford-ions-2025",
    ),
    "2 trapped-ion QPUs x 4, 2 m link, from an error budget: F=0.97 measured (Main et al., Nature 2025); "
    "mixed-species interface 0.977 and memory F=0.81 after 10 s measured (Drmota et al. 2023); 10 Hz "
    "rate, readout and single-qubit errors assumed",
)
register_cluster_preset(
    "welinq-datacentre",
    lambda: Cluster.homogeneous(
        num_qpus=4, data_qubits_per_qpu=8, qpu=_neutral_atom_qpu(data_qubits=8, two_qubit_gate_error=5e-3),
        link=Link.from_preset("neutral_atom_welinq_datacentre"), name="welinq-datacentre",
    ),
    "4 neutral-atom QPUs x 8, all-to-all 100 m links: F=0.9, 95% memory efficiency, 1 ms "
    "storage are company claims (Welinq); 1 kHz rate and QPU numbers assumed",
)
register_cluster_preset(
    "metro-50km",
    lambda: Cluster.homogeneous(
        num_qpus=2, data_qubits_per_qpu=8, qpu=_neutral_atom_qpu(data_qubits=8, two_qubit_gate_error=5e-3),
        link=Link.from_physics(metro_link_model()), name="metro-50km",
    ),
    "2 neutral-atom QPUs x 8, 50 km with frequency conversion to 1550 nm: projection from the "
    "heralding model (F~0.97, ~8 Hz, 1 ms memory cutoff); QPU numbers assumed",
)
register_cluster_preset(
    "ft-ready",
    lambda: Cluster.homogeneous(
        num_qpus=4, data_qubits_per_qpu=16, topology="ring",
        qpu=_neutral_atom_qpu(data_qubits=16, two_qubit_gate_error=1e-3),
        link=Link.from_preset("ft_ready_projection"), name="ft-ready",
    ),
    "4 neutral-atom QPUs x 16 on a ring: F=0.99 at 1 MHz is a projection (Sinclair et al. "
    "2024); QPU numbers assumed",
)


def _superconducting_transducer_cluster() -> Cluster:
    from welinq_core.qpu_presets import superconducting

    return Cluster.homogeneous(
        num_qpus=2, data_qubits_per_qpu=8, qpu=superconducting(num_data_qubits=8),
        link=Link.from_preset("superconducting_transducer_projection"), name="superconducting-transducer",
    )


register_cluster_preset(
    "superconducting-transducer",
    _superconducting_transducer_cluster,
    "2 superconducting QPUs x 8 joined through microwave-optical transducers: projection (efficiency "
    "0.5, 1e-3 noise photons; measured transducers today give no entanglement); QPU numbers assumed",
)


def _demo_cluster() -> Cluster:
    from welinq_core.physics.memory import QuantumMemory
    from welinq_core.qpu_presets import neutral_atom

    link = Link(
        bell_pair_fidelity=0.97,
        bell_pair_rate_hz=1000.0,
        length_km=0.01,
        memory=QuantumMemory.depolarizing(time_s=0.5),
    )
    return Cluster.homogeneous(
        num_qpus=3, data_qubits_per_qpu=4, topology="line", link=link, qpu=neutral_atom(), name="demo"
    )


register_cluster_preset(
    "demo",
    _demo_cluster,
    "3 neutral-atom QPUs x 4 on a line, 10 m links with F=0.97 Werner pairs at 1 kHz and 0.5 s memories "
    "(synthetic, for the demo)",
)
