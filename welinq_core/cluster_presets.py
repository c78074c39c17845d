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

from welinq_core.cluster import Cluster, Link
from welinq_core.errors import ClusterSpecError

__all__ = ["cluster_preset", "cluster_preset_names", "register_cluster_preset"]

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
