"""The memory budget reads the process's own limits; sizes are refused before allocation."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from welinq_core import Cluster
from welinq_core.errors import OptionsError, SimulationTooLargeError
from welinq_core.resources import (
    BYTES_PER_SHOT,
    MINIMUM_BUDGET_BYTES,
    check_network_size,
    check_shots,
    memory_budget_bytes,
    memory_limits,
    route_table_bytes,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_budget_follows_rlimit_as():
    limit = 3 * 2**30

    def cap():  # runs in the child before exec
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    code = ("import json; from welinq_core.resources import memory_limits, memory_budget_bytes; "
            "print(json.dumps([memory_limits(), memory_budget_bytes()]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
                         preexec_fn=cap, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    limits, budget = json.loads(out)
    assert 0 < limits["address_space"] < limit
    assert budget <= limits["address_space"]


def test_the_budget_is_the_smallest_limit():
    limits = memory_limits()
    assert memory_budget_bytes() == max(MINIMUM_BUDGET_BYTES, min(v for v in limits.values() if v is not None))


def test_an_exhausted_address_space_on_paper_still_runs_small_circuits(monkeypatch):
    # Under ``ulimit -v`` the address space reserved by thread stacks and arenas can leave
    # nothing on paper; a 5-qubit run must not be refused for needing "0.0 GiB".
    from qiskit import QuantumCircuit

    from qiskit_welinq import ClusterBackend
    from welinq_core import resources

    monkeypatch.setattr(resources, "_address_space_left", lambda: 0)
    assert memory_budget_bytes() == MINIMUM_BUDGET_BYTES
    qc = QuantumCircuit(5)
    qc.h(0)
    for i in range(4):
        qc.cx(i, i + 1)
    qc.rz(0.3, 2)
    qc.measure_all()
    counts = ClusterBackend("demo").run(qc, shots=100, seed_simulator=1).result().get_counts()
    assert sum(counts.values()) == 100
    with pytest.raises(SimulationTooLargeError, match="GiB"):
        check_shots(10**9)


def test_shots_are_checked_against_the_budget():
    assert check_shots(np.int64(1000), budget_bytes=2**30) == 1000
    most = int(2**30 * 0.6) // BYTES_PER_SHOT
    assert check_shots(most, budget_bytes=2**30) == most
    with pytest.raises(SimulationTooLargeError, match=f"at most {most} shots") as info:
        check_shots(most + 1, budget_bytes=2**30)
    assert info.value.required_bytes == (most + 1) * BYTES_PER_SHOT
    with pytest.raises(OptionsError, match="the limit of this welinq"):
        check_shots(10**12)
    for bad in (0, -1, 2.0, "5", True, None):
        with pytest.raises(OptionsError):
            check_shots(bad)


def test_route_tables_are_refused_before_they_are_built():
    line = Cluster.homogeneous(num_qpus=3000, data_qubits_per_qpu=1, topology="line")
    assert route_table_bytes(line) > 50 * 2**30
    with pytest.raises(SimulationTooLargeError, match="3000 QPUs: routing between every pair"):
        check_network_size(line)
    check_network_size(Cluster.homogeneous(num_qpus=50, data_qubits_per_qpu=1, topology="line"))


def test_a_large_cluster_plans_only_the_qubits_a_circuit_uses():
    from welinq_core.circuit import Circuit, Operation
    from welinq_core.pipeline import compile_program

    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1_000_000)
    ops = [Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 1))]
    compiled = compile_program(Circuit(num_qubits=2, operations=ops), cluster, assignment=["qpu0", "qpu1"])
    assert compiled.circuit.num_qubits <= 4


def test_a_cirq_device_too_large_to_list_is_refused_first():
    from cirq_welinq import ClusterSimulator
    from qiskit_welinq import ClusterBackend

    huge = Cluster.homogeneous(num_qpus=10, data_qubits_per_qpu=1_000_000, topology="line")
    with pytest.raises(SimulationTooLargeError, match="10000000 data qubits: the Cirq device lists every qubit"):
        ClusterSimulator(huge)
    backend = ClusterBackend(huge)  # the Target is built on first use only
    with pytest.raises(SimulationTooLargeError, match="10000000 data qubits would list every qubit"):
        backend.target
