"""The true cost of a plan: exactly what :func:`welinq_core.lowering.lower` consumes.

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> from welinq_core.cluster import Cluster
    >>> c = Circuit(num_qubits=3, operations=[Operation(name="cz", qubits=(0, 2))])
    >>> line = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=1, topology="line")
    >>> plan_cost(c, line, ("qpu0", "qpu1", "qpu2"))
    PlanCost(bell_pairs=2, nonlocal_gates=1, infidelity=0.0)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import networkx as nx

from welinq_core.circuit import Circuit
from welinq_core.cluster import Cluster
from welinq_core.errors import OptionsError
from welinq_core.lowering import canonicalize
from welinq_core.lowering.planner import AUTO, auto_plans

__all__ = ["OBJECTIVES", "PlanCost", "plan_cost", "distance_matrix"]

#: Objectives the partitioner can minimise.
OBJECTIVES = ("ebits", "fidelity")


@dataclasses.dataclass(frozen=True)
class PlanCost:
    """Cost of lowering a circuit with one assignment.

    Attributes:
        bell_pairs: Bell pairs consumed (the ledger length of the lowering).
        nonlocal_gates: Gates executed through packets.
        infidelity: Sum over consumed pairs of ``1 - bell_pair_fidelity`` of the link
            that makes it: the expected number of faulty pairs to first order.
        protocols: The protocol set the lowering must use to consume exactly these pairs.
        plan: The finished :class:`~welinq_core.lowering.planner.Planner` these numbers
            are read from (None when not kept): ``lower(..., plan=cost.plan)`` assembles
            the program from it instead of planning again.
    """

    bell_pairs: int
    nonlocal_gates: int
    infidelity: float
    protocols: tuple[str, ...] = dataclasses.field(default=("telegate",), repr=False)
    plan: Any = dataclasses.field(default=None, repr=False, compare=False)

    def without_plan(self) -> PlanCost:
        """The same cost without its plan (to keep many costs without their plans' memory)."""
        return self if self.plan is None else dataclasses.replace(self, plan=None)

    def key(self, objective: str) -> tuple[float, float]:
        """Sort key: smaller is better for ``objective``."""
        if objective == "fidelity":
            return (round(self.infidelity, 12), self.bell_pairs)
        return (self.bell_pairs, round(self.infidelity, 12))


def check_objective(objective: str) -> None:
    """Raise :class:`OptionsError` for an unknown objective."""
    if objective not in OBJECTIVES:
        raise OptionsError(f"objective={objective!r} is unknown; choose one of {OBJECTIVES}")


def plan_cost(circuit: Circuit, cluster: Cluster, assignment: Sequence[str], *,
              protocols: Sequence[str] | str = AUTO, objective: str = "ebits",
              unbeatable: PlanCost | None = None, place_unused_qubits: bool = True,
              deadline: float | None = None) -> PlanCost | None:
    """Run the lowering's planner (no rendering) and read its ledger; the plan comes along.

    With ``protocols="auto"`` (default) the planner runs with each set of
    :data:`~welinq_core.lowering.planner.AUTO_SETS` and the best plan (for ``objective``) is returned; its ``protocols`` say which
    set reproduces it in :func:`~welinq_core.lowering.lower`, and ``lower(..., plan=cost.plan)``
    builds the program from this very plan.

    ``unbeatable``: a cost no plan can beat in either objective (fewest pairs there can
    be, each on the best link); once a set meets it the remaining sets are not planned
    (they could only tie, and a tie keeps the earlier set).

    ``place_unused_qubits``: see :func:`~welinq_core.lowering.lower` (False for a placement
    the caller fixed on purpose).

    ``deadline``: a ``time.perf_counter()`` value after which plans still running are
    abandoned; the best finished one is returned, or None when none finished.
    """
    canonical = canonicalize(circuit)
    infid: dict[tuple[str, str], float] = {k: 1.0 - link.bell_pair_fidelity for k, link in cluster.links}
    best: PlanCost | None = None
    # Under "ebits" only the fewest pairs count, so a set may stop once it is worse than the best.
    for ps, planner in auto_plans(canonical, cluster, assignment, protocols, bound=objective == "ebits",
                                  relocate=place_unused_qubits, deadline=deadline):
        cost = PlanCost(
            bell_pairs=len(planner.pairs),
            nonlocal_gates=sum(len(p["gates"]) for p in planner.packet_info),
            infidelity=float(sum(infid[p.link] for p in planner.pairs)),
            protocols=ps,
            plan=planner,
        )
        if best is None or cost.key(objective) < best.key(objective):
            best = cost
        if unbeatable is not None and cost.bell_pairs <= unbeatable.bell_pairs \
                and round(cost.infidelity, 12) <= round(unbeatable.infidelity, 12):
            break
    return best


def distance_matrix(cluster: Cluster, objective: str = "ebits") -> list[list[float]]:
    """Cost of one linked copy between QPUs ``i`` and ``j`` (in ``cluster.qpu_names`` order).

    ``"ebits"``: pairs on the route (hops). ``"fidelity"``: the route's summed
    ``1 - bell_pair_fidelity`` plus ``1e-3`` per hop, so that ideal links still
    prefer fewer pairs. Routes are the lowering's (fewest hops).
    """
    check_objective(objective)
    g = cluster.network()
    names = list(cluster.qpu_names)
    paths = dict(nx.all_pairs_shortest_path(g))
    out = []
    for a in names:
        row = []
        for b in names:
            path = paths[a][b]
            hops = len(path) - 1
            if objective == "ebits":
                row.append(float(hops))
            else:
                bad = sum(1.0 - g.edges[u, v]["link"].bell_pair_fidelity for u, v in zip(path, path[1:]))
                row.append(bad + 1e-3 * hops)
        out.append(row)
    return out
