"""Routes for Bell pairs over the cluster network, with a choice of link weight.

A remote gate between QPUs that are not neighbours uses one elementary pair per
hop, joined by entanglement swapping at the inner QPUs. Which route is "shortest"
depends on what matters:

* ``"hops"``: fewest links, i.e. fewest pairs and swaps (the lowering's choice);
* ``"latency"``: least one-way classical latency (fibre length, 5 us/km);
* ``"infidelity"``: least sum of -log F over the links, i.e. the largest product
  of link fidelities.

For Werner links the swapped pair's Werner parameter is the product
w = prod w_i (docs/physics.md 2.5); :func:`route_pair` gives the exact Bell-diagonal
state of a route from fresh link pairs (no storage time, no classical transit:
the scheduler adds those).

Examples:
    >>> from welinq_core.cluster import Cluster, Link, QPU
    >>> qpus = [QPU(name=n, num_data_qubits=1) for n in "abc"]
    >>> cluster = Cluster(qpus=qpus, links={("a", "b"): Link(bell_pair_fidelity=0.8),
    ...     ("b", "c"): Link(bell_pair_fidelity=0.99), ("a", "c"): Link(bell_pair_fidelity=0.9, length_km=30.0)})
    >>> shortest_route(cluster, "a", "c", weight="infidelity"), shortest_route(cluster, "a", "c", weight="latency")
    (('a', 'c'), ('a', 'b', 'c'))
    >>> round(route_pair(cluster, ("a", "b", "c")).fidelity, 4)
    0.7927
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import networkx as nx

from welinq_core.cluster import Cluster, Link
from welinq_core.errors import NoRouteError, OptionsError
from welinq_core.physics.bell_pair import BellPair
from welinq_core.physics.swapping import swap_chain

__all__ = ["ROUTE_WEIGHTS", "link_weight", "route_links", "route_pair", "shortest_route"]

#: Accepted values of the ``weight`` argument.
ROUTE_WEIGHTS = ("hops", "latency", "infidelity")


def link_weight(link: Link, weight: str = "hops") -> float:
    """The cost of one link under a route weight.

    Args:
        link: The link.
        weight: One of :data:`ROUTE_WEIGHTS`. Defaults to ``"hops"``.

    Returns:
        1 for ``"hops"``, ``link.latency_s`` for ``"latency"``, ``-log(F)`` for
        ``"infidelity"`` (0 for a perfect link).

    Raises:
        OptionsError: On an unknown weight.

    Examples:
        >>> link_weight(Link(bell_pair_fidelity=0.5), "infidelity") == math.log(2)
        True
    """
    if weight == "hops":
        return 1.0
    if weight == "latency":
        return link.latency_s
    if weight == "infidelity":
        return -math.log(link.bell_pair_fidelity)
    raise OptionsError(f"route weight={weight!r} is unknown; choose one of {ROUTE_WEIGHTS}")


def shortest_route(cluster: Cluster, source: str, target: str, *, weight: str = "hops") -> tuple[str, ...]:
    """The QPU names along the cheapest route from ``source`` to ``target``.

    Ties are broken deterministically by networkx's Dijkstra on the cluster's
    (sorted) link order.

    Args:
        cluster: The cluster.
        source: First QPU.
        target: Last QPU.
        weight: One of :data:`ROUTE_WEIGHTS`. Defaults to ``"hops"``.

    Raises:
        OptionsError: On an unknown weight.
        NoRouteError: If a QPU is unknown or the two are not connected.

    Examples:
        >>> shortest_route(Cluster.homogeneous(num_qpus=4, data_qubits_per_qpu=1, topology="line"),
        ...                "qpu0", "qpu3")
        ('qpu0', 'qpu1', 'qpu2', 'qpu3')
    """
    if weight not in ROUTE_WEIGHTS:
        raise OptionsError(f"route weight={weight!r} is unknown; choose one of {ROUTE_WEIGHTS}")
    graph = cluster.network()
    for u, v, data in graph.edges(data=True):
        data["weight"] = link_weight(data["link"], weight)
    try:
        return tuple(nx.shortest_path(graph, source, target, weight="weight"))
    except (nx.NetworkXNoPath, nx.NodeNotFound) as err:
        raise NoRouteError(
            f"no network route from QPU {source!r} to {target!r} in cluster {cluster.name!r}; "
            f"QPUs are {list(cluster.qpu_names)}, add a link between them",
            qpu_a=source,
            qpu_b=target,
        ) from err


def route_links(cluster: Cluster, route: Sequence[str]) -> tuple[Link, ...]:
    """The links along a route, in order.

    Raises:
        ClusterSpecError: If two consecutive QPUs are not linked.

    Examples:
        >>> len(route_links(Cluster.preset("ideal-4-line"), ("qpu0", "qpu1", "qpu2")))
        2
    """
    return tuple(cluster.link(a, b) for a, b in zip(route, route[1:]))


def route_pair(
    cluster: Cluster,
    route: Sequence[str],
    *,
    bsm_depolarizing: float = 0.0,
    readout_error_z: float = 0.0,
    readout_error_x: float = 0.0,
) -> BellPair:
    """End-to-end Bell-diagonal pair of a route: fresh link pairs swapped in order.

    Uses each link's :attr:`~welinq_core.cluster.Link.pauli_probabilities` and
    :func:`~welinq_core.physics.swap_chain`; storage and classical-transit ageing are
    not included (see :func:`welinq_core.schedule.schedule` for those).

    Args:
        cluster: The cluster.
        route: QPU names, at least two.
        bsm_depolarizing: Two-qubit depolarizing probability of each swap's BSM.
        readout_error_z: Flip probability of each swap's Z-correction bit.
        readout_error_x: Flip probability of each swap's X-correction bit.

    Raises:
        NoRouteError: If the route has fewer than two QPUs.
        ClusterSpecError: If two consecutive QPUs are not linked.

    Examples:
        >>> cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=1, topology="line",
        ...                               link=Link(bell_pair_fidelity=0.9))
        >>> round(route_pair(cluster, ("qpu0", "qpu1", "qpu2")).fidelity, 6)  # F1 F2 + (1-F1)(1-F2)/3
        0.813333
    """
    route = tuple(route)
    if len(route) < 2:
        raise NoRouteError(
            f"route={route!r} needs at least two QPUs (source and target)",
            qpu_a=route[0] if route else "",
            qpu_b=route[-1] if route else "",
        )
    pairs = [BellPair.from_probabilities(link.pauli_probabilities) for link in route_links(cluster, route)]
    return swap_chain(
        pairs,
        bsm_depolarizing=bsm_depolarizing,
        readout_error_z=readout_error_z,
        readout_error_x=readout_error_x,
    )
