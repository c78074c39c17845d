"""Route weights and the swapped state of a route."""

from __future__ import annotations

import math

import pytest

from welinq_core import Cluster, Link, QPU
from welinq_core.errors import NoRouteError, OptionsError
from welinq_core.lowering import route as lowering_route
from welinq_core.physics import BellPair, swap_chain
from welinq_core.routing import ROUTE_WEIGHTS, link_weight, route_links, route_pair, shortest_route


def _triangle() -> Cluster:
    """a-c direct is short but poor; a-b-c is long but good."""
    qpus = [QPU(name=n, num_data_qubits=1) for n in "abc"]
    return Cluster(qpus=qpus, links={
        ("a", "c"): Link(bell_pair_fidelity=0.80, length_km=1.0),
        ("a", "b"): Link(bell_pair_fidelity=0.99, length_km=20.0),
        ("b", "c"): Link(bell_pair_fidelity=0.99, length_km=20.0),
    })


def test_each_weight_picks_its_route():
    c = _triangle()
    assert shortest_route(c, "a", "c") == ("a", "c")
    assert shortest_route(c, "a", "c", weight="latency") == ("a", "c")
    assert shortest_route(c, "a", "c", weight="infidelity") == ("a", "b", "c")
    # and the infidelity route really gives the better swapped pair
    assert route_pair(c, ("a", "b", "c")).fidelity > route_pair(c, ("a", "c")).fidelity


def test_latency_weight_prefers_short_fibre_over_few_hops():
    qpus = [QPU(name=n, num_data_qubits=1) for n in "abc"]
    c = Cluster(qpus=qpus, links={("a", "c"): Link(length_km=100.0), ("a", "b"): Link(length_km=1.0),
                                  ("b", "c"): Link(length_km=1.0)})
    assert shortest_route(c, "a", "c") == ("a", "c")
    assert shortest_route(c, "a", "c", weight="latency") == ("a", "b", "c")


def test_hops_matches_the_lowering_route_length():
    c = Cluster.homogeneous(num_qpus=6, data_qubits_per_qpu=1, topology="grid")
    for target in c.qpu_names[1:]:
        assert len(shortest_route(c, "qpu0", target)) == len(lowering_route(c, "qpu0", target))


def test_link_weights():
    link = Link(bell_pair_fidelity=0.9, length_km=3.0)
    assert link_weight(link) == 1.0
    assert link_weight(link, "latency") == pytest.approx(1.5e-5)
    assert link_weight(link, "infidelity") == pytest.approx(-math.log(0.9))
    assert link_weight(Link(), "infidelity") == 0.0
    assert ROUTE_WEIGHTS == ("hops", "latency", "infidelity")


def test_unknown_weight_and_unreachable_qpu():
    c = _triangle()
    with pytest.raises(OptionsError, match="weight='fastest' is unknown"):
        shortest_route(c, "a", "c", weight="fastest")
    with pytest.raises(OptionsError, match="choose one of"):
        link_weight(Link(), "fastest")
    with pytest.raises(NoRouteError, match="no network route from QPU 'a' to 'z'"):
        shortest_route(c, "a", "z")
    with pytest.raises(NoRouteError, match="at least two QPUs"):
        route_pair(c, ("a",))


def test_route_pair_is_the_swap_chain_of_the_links():
    probs = (0.9, 0.05, 0.02, 0.03)
    link = Link(bell_pair_fidelity=0.9, bell_pair_probabilities=probs)
    c = Cluster.homogeneous(num_qpus=4, data_qubits_per_qpu=1, topology="line", link=link)
    route = shortest_route(c, "qpu0", "qpu3")
    assert len(route_links(c, route)) == 3
    expected = swap_chain([BellPair.from_probabilities(probs)] * 3)
    assert route_pair(c, route).probabilities == pytest.approx(expected.probabilities, abs=1e-12)
    werner = Cluster.homogeneous(num_qpus=4, data_qubits_per_qpu=1, topology="line",
                                 link=Link(bell_pair_fidelity=0.95))
    w = (4 * 0.95 - 1) / 3
    assert route_pair(werner, route).fidelity == pytest.approx(0.25 + 0.75 * w**3, abs=1e-12)
    noisy = route_pair(werner, route, bsm_depolarizing=0.02)
    assert noisy.fidelity == pytest.approx(0.25 + 0.75 * w**3 * 0.98**2, abs=1e-12)
