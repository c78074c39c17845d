"""Threshold collection on a Dask cluster (two local worker processes started by the tests)
and on a process pool: the same statistics as sinter's own collection, resumable in sinter's CSV."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("sinter")
pytest.importorskip("pymatching")

from welinq_core.qec.collect import collect_memory, logical_error_points, memory_tasks, read_stats  # noqa: E402

TASKS = dict(distances=[3], bulk_errors=[0.004], interface_errors=[0.02, 0.1])


def _same_shape(ours, reference, shots):
    assert [s.strong_id for s in ours] == [s.strong_id for s in reference]
    assert [s.json_metadata for s in ours] == [s.json_metadata for s in reference]
    for a, b in zip(ours, reference):
        assert a.shots == b.shots == shots and a.discards == 0 and a.decoder == "pymatching"
        p = (a.errors + b.errors) / (2 * shots)
        assert abs(a.errors - b.errors) <= 5 * math.sqrt(2 * shots * p * (1 - p)) + 3  # two binomials agree


def test_dask_collection_matches_sinter(dask_client):
    tasks = memory_tasks(**TASKS)
    ours = collect_memory(tasks, max_shots=2000, max_errors=10**6, executor=dask_client)
    reference = collect_memory(memory_tasks(**TASKS), max_shots=2000, max_errors=10**6, num_workers=1)
    _same_shape(ours, reference, 2000)
    points = logical_error_points(ours)
    assert [p.interface_error for p in points] == [0.02, 0.1]
    assert points[0].per_shot < points[1].per_shot  # a worse seam gives more logical errors


def test_executor_collection_resumes_from_its_csv(process_pool, tmp_path):
    csv = tmp_path / "qec.csv"
    first = collect_memory(memory_tasks(**TASKS), csv_path=csv, max_shots=600, max_errors=10**6,
                           executor=process_pool)
    lines = csv.read_text().splitlines()
    assert len(lines) == 3  # sinter's header and one line per task
    again = collect_memory(memory_tasks(**TASKS), csv_path=csv, max_shots=600, max_errors=10**6,
                           executor=process_pool)
    assert csv.read_text().splitlines() == lines  # nothing left to do: nothing sampled, nothing written
    assert [(s.shots, s.errors) for s in again] == [(s.shots, s.errors) for s in first]
    more = collect_memory(memory_tasks(**TASKS), csv_path=csv, max_shots=1000, max_errors=10**6,
                          executor=process_pool)
    assert [s.shots for s in more] == [1000, 1000]
    merged = {s.strong_id: s for s in read_stats(csv)}  # sinter reads the file as its own
    assert [merged[s.strong_id].shots for s in more] == [1000, 1000]
    assert [merged[s.strong_id].errors for s in more] == [s.errors for s in more]


def test_cli_qec_on_a_dask_scheduler(dask_client, tmp_path, capsys):
    from qiskit_welinq.cli import main

    csv = tmp_path / "qec.csv"
    address = dask_client.scheduler.address
    assert main(["qec", "--distances", "3", "--bulk", "0.004", "--interface", "0.02,0.1", "--max-shots", "500",
                 "--csv", str(csv), "--dask-scheduler", address]) == 0
    table = capsys.readouterr().out
    assert table.count("| 3 | 3 | 0.004 |") == 2
    assert [s.shots for s in read_stats(csv)] == [500, 500]
    assert main(["qec", "--distances", "3", "--max-shots", "10", "--dask-scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in capsys.readouterr().err
