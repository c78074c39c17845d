"""A time limit returns the best plan found so far, and that plan is exactly what the lowering consumes.

No wall-clock assertion: the limits are far below what the work takes (or already in the
past), so the outcome does not depend on the machine's speed.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from welinq_core.circuit import Circuit, Operation
from welinq_core.cluster import Cluster
from welinq_core.lowering import canonicalize, lower
from welinq_core.lowering.planner import Planner, plan_with
from welinq_core.partitioning import partition_and_plan, partition_circuit
from welinq_core.partitioning import _kahypar
from welinq_core.partitioning.cost import plan_cost
from welinq_core.partitioning.hypergraph import build_packet_hypergraph


def _random_circuit(n: int, gates: int, seed: int) -> Circuit:
    rng = np.random.default_rng(seed)
    ops = []
    for _ in range(gates):
        a, b = (int(x) for x in rng.choice(n, size=2, replace=False))
        kind = int(rng.integers(3))
        if kind == 0:
            ops.append(Operation(name="cx", qubits=(a, b)))
        elif kind == 1:
            ops.append(Operation(name="cp", qubits=(a, b), params=(float(rng.uniform(0.1, 3.0)),)))
        else:
            ops.append(Operation(name="h", qubits=(a,)))
    return Circuit(num_qubits=n, operations=ops)


@pytest.fixture(scope="module")
def circuit() -> Circuit:
    return _random_circuit(12, 200, seed=7)


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=5)


def test_a_planner_past_its_deadline_is_abandoned(circuit, cluster):
    canonical = canonicalize(circuit)
    assignment = tuple(f"qpu{q % 3}" for q in range(circuit.num_qubits))
    planner = Planner(canonical, cluster, assignment, deadline=time.perf_counter() - 1.0)
    planner.plan()
    assert planner.aborted and not planner.finished
    assert plan_with(canonical, cluster, assignment, ("telegate",), deadline=time.perf_counter() - 1.0).aborted
    assert plan_cost(circuit, cluster, assignment, deadline=time.perf_counter() - 1.0) is None
    # Without a deadline (or with one far away) the same plan as before.
    far = plan_cost(circuit, cluster, assignment, deadline=time.perf_counter() + 3600.0)
    assert far.bell_pairs == plan_cost(circuit, cluster, assignment).bell_pairs


@pytest.mark.parametrize("protocols", ["telegate", "auto"])
def test_a_tiny_time_limit_still_returns_a_plan_the_lowering_consumes_exactly(circuit, cluster, protocols):
    limited, plan = partition_and_plan(circuit, cluster, seed=3, protocols=protocols, time_limit_s=1e-9)
    assert limited.time_limited
    program = lower(circuit, cluster, limited.assignment, protocols=limited.protocols, plan=plan)
    assert program.num_bell_pairs == limited.bell_pairs
    loads = {q: limited.assignment.count(q) for q in cluster.qpu_names}
    assert all(v <= 5 for v in loads.values())
    # Planned without a limit, with every planner option, the same placement costs no more.
    assert plan_cost(circuit, cluster, limited.assignment, protocols=protocols).bell_pairs <= limited.bell_pairs


def test_progress_names_each_stage_before_it_runs():
    seen: list[tuple[str, int]] = []
    circuit, cluster = _random_circuit(9, 60, seed=2), Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=4)
    partition_circuit(circuit, cluster, seed=3, protocols="telegate",
                      progress=lambda stage, best: seen.append((stage, best)))
    stages = [s for s, _ in seen]
    assert stages[:2] == ["preparing the circuit (canonical form, packet index)",
                          "planning the consecutive blocks placement"] and seen[1][1] == -1
    assert "baseline" in stages and any(s.startswith("refining") for s in stages)
    after = [b for s, b in seen if s == "baseline"]
    assert after and after[0] > 0


@pytest.mark.skipif(not _kahypar.available(), reason="kahypar not installed")
def test_kahypar_in_a_child_process_gives_the_same_blocks(circuit):
    hg = build_packet_hypergraph(circuit)
    caps = [5, 5, 5]
    here = _kahypar.kahypar_partition(hg, caps, seed=5)
    assert here is not None
    assert _kahypar.kahypar_partition(hg, caps, seed=5, timeout_s=600.0) == here
    assert _kahypar.kahypar_partition(hg, caps, seed=5, timeout_s=0.0) is None
