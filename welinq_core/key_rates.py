"""Quantum-safe view of a cluster: BBM92 key rates per link and per route.

For each link, the delivered pair and rate (:func:`welinq_core.delivered.delivered_pair`
and :func:`~welinq_core.delivered.delivered_rate_hz`: the raw pair and rate, or what the
link's own distillation policy hands out) give the QBER in Z and X, the secret fraction
and the secret key rate (:func:`welinq_core.physics.qkd.bbm92_key_rate`). For two QPUs
without a direct link, the shortest route's pair is the swap of its links' delivered
pairs (perfect swaps, :func:`~welinq_core.physics.swap_chain`) and its rate is the
slowest link's: both are upper bounds, since memory waiting and swap latency are not
included.
Formulas: docs/physics.md 2.9.

Examples:
    >>> from welinq_core.cluster import Cluster
    >>> rows = cluster_key_rates(Cluster.preset("werner-0.97"))
    >>> [(r.label, round(r.estimate.qber_z, 3), round(r.estimate.secret_key_rate_bps, 1)) for r in rows]
    [('qpu0-qpu1', 0.02, 69.4)]
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from welinq_core.cluster import Cluster
from welinq_core.delivered import delivered_pair, delivered_rate_hz
from welinq_core.physics.bell_pair import BellPair
from welinq_core.physics.qkd import DEFAULT_ERROR_CORRECTION_EFFICIENCY, KeyRateEstimate, bbm92_key_rate
from welinq_core.physics.swapping import swap_chain
from welinq_core.routing import shortest_route

__all__ = ["RouteKeyRate", "cluster_key_rates", "link_key_rates"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class RouteKeyRate:
    """Key-rate estimate of one link (``kind="link"``) or multi-hop route (``kind="route"``).

    Attributes:
        route: QPU names from one end to the other.
        kind: ``"link"`` or ``"route"``.
        estimate: The BBM92 estimate.
    """

    route: tuple[str, ...]
    kind: str
    estimate: KeyRateEstimate

    @property
    def label(self) -> str:
        """``"a-b"`` for a link, ``"a-x-b"`` for a route."""
        return "-".join(self.route)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-serialisable)."""
        return {"route": list(self.route), "kind": self.kind, **self.estimate.to_dict()}


def _estimate(pair: BellPair, rate: float | None, **kwargs: Any) -> KeyRateEstimate:
    return bbm92_key_rate(pair, rate, **kwargs)


def link_key_rates(cluster: Cluster, **kwargs: Any) -> tuple[RouteKeyRate, ...]:
    """One estimate per link of the cluster, in the cluster's link order.

    ``kwargs`` go to :func:`~welinq_core.physics.qkd.bbm92_key_rate`.

    Examples:
        >>> from welinq_core.cluster import Cluster
        >>> [r.label for r in link_key_rates(Cluster.preset("ideal-4-line"))]
        ['qpu0-qpu1', 'qpu1-qpu2', 'qpu2-qpu3']
    """
    out = []
    for a, b, _ in cluster.network().edges(data=True):
        a, b = sorted((a, b))
        pair, rate = _delivered(cluster, a, b)
        out.append(RouteKeyRate(route=(a, b), kind="link", estimate=_estimate(pair, rate, **kwargs)))
    return tuple(sorted(out, key=lambda r: r.route))


def _delivered(cluster: Cluster, a: str, b: str) -> tuple[BellPair, float | None]:
    link = cluster.link(a, b)
    qpus = (cluster.qpu(a), cluster.qpu(b))
    return delivered_pair(link, qpus=qpus), delivered_rate_hz(link, qpus=qpus)


def cluster_key_rates(
    cluster: Cluster,
    *,
    include_routes: bool = True,
    error_correction_efficiency: float = DEFAULT_ERROR_CORRECTION_EFFICIENCY,
    sifting_factor: float = 0.5,
    block_size: int | None = None,
) -> tuple[RouteKeyRate, ...]:
    """Estimates for every link and (optionally) every unlinked QPU pair's shortest route.

    Args:
        cluster: The cluster.
        include_routes: Also estimate multi-hop routes. Defaults to True.
        error_correction_efficiency: f >= 1. Defaults to 1.16.
        sifting_factor: Fraction of pairs whose bases agree. Defaults to 0.5.
        block_size: Pairs per block for the finite-size correction, or None (asymptotic).

    Examples:
        >>> from welinq_core.cluster import Cluster
        >>> rows = cluster_key_rates(Cluster.preset("demo"))
        >>> [(r.label, r.kind) for r in rows]
        [('qpu0-qpu1', 'link'), ('qpu1-qpu2', 'link'), ('qpu0-qpu1-qpu2', 'route')]
    """
    kwargs: dict[str, Any] = {"error_correction_efficiency": error_correction_efficiency,
                              "sifting_factor": sifting_factor, "block_size": block_size}
    rows = list(link_key_rates(cluster, **kwargs))
    if include_routes:
        graph = cluster.network()
        for a, b in itertools.combinations(cluster.qpu_names, 2):
            if graph.has_edge(a, b):
                continue
            try:
                route = shortest_route(cluster, a, b)
            except ValueError:  # not connected: no key
                continue
            hops = [_delivered(cluster, u, v) for u, v in itertools.pairwise(route)]
            finite = [rate for _, rate in hops if rate is not None]
            rows.append(RouteKeyRate(route=route, kind="route", estimate=_estimate(
                swap_chain([pair for pair, _ in hops]), min(finite) if finite else None, **kwargs)))
    return tuple(rows)
