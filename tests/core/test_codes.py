"""Error-correction awareness: logical QPUs and the physical Bell pairs of remote logical gates."""

from __future__ import annotations

import pytest

from welinq_core import QPU, Circuit, Cluster, ClusterSpecError, Link, Operation
from welinq_core.codes import LogicalEncoding
from welinq_core.pipeline import compile_program


@pytest.mark.parametrize("d", [1, 3, 5, 7])
def test_surface_code_costs(d):
    enc = LogicalEncoding.surface_code(distance=d)
    assert enc.bell_pairs_per_logical_pair == d * d
    assert enc.physical_qubits_per_logical == 2 * d * d - 1


def test_report_counts_physical_pairs_per_hop():
    enc = LogicalEncoding.surface_code(distance=3)
    cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=1, topology="line",
                                  qpu=QPU(name="t", num_data_qubits=1, encoding=enc))
    c = Circuit(num_qubits=2, operations=[Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 1))])
    report = compile_program(c, cluster, assignment=("qpu0", "qpu2")).report
    assert report.total_bell_pairs == 2  # two hops
    assert report.physical_bell_pairs_per_link == {"qpu0-qpu1": 9, "qpu1-qpu2": 9}
    assert report.total_physical_bell_pairs == 18
    assert Cluster.from_json(cluster.to_json()) == cluster


def test_linked_qpus_must_share_a_code():
    a = QPU(name="a", num_data_qubits=1, encoding=LogicalEncoding.surface_code(distance=3))
    b = QPU(name="b", num_data_qubits=1, encoding=LogicalEncoding.surface_code(distance=5))
    with pytest.raises(ClusterSpecError, match="different encodings"):
        Cluster(qpus=[a, b], links={("a", "b"): Link()})


def test_bad_distance():
    with pytest.raises(ClusterSpecError, match="distance=0 must be an integer >= 1"):
        LogicalEncoding.surface_code(distance=0)
