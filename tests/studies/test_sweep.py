"""Sweeps: the grid, the numbers against closed forms, executors, resume, and bad input."""

from __future__ import annotations

import inspect
import math
import subprocess
import sys
from pathlib import Path

import pytest
from qiskit import QuantumCircuit

import qiskit_welinq
from qiskit_welinq import studies
from qiskit_welinq.studies import point_cluster, sweep_keys
from welinq_core import Cluster, Link
from welinq_core.errors import (
    ClusterSpecError,
    ExecutorUnavailableError,
    OptionsError,
    SweepFileError,
    SweepPointError,
)
from welinq_core.executor import connect_dask

sweep = qiskit_welinq.sweep

BASE = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3, topology="line", link=Link(length_km=1.0))
VARY = {"link.bell_pair_fidelity": [1.0, 0.85], "link.length_km": [0.0, 20.0]}


def ghz(n: int, name: str = "") -> QuantumCircuit:
    qc = QuantumCircuit(n, n, name=name or f"ghz{n}")
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure(range(n), range(n))
    return qc


def run(tmp_path=None, executor=None, name="r.csv", **kw):
    kw.setdefault("vary", VARY)
    out = None if tmp_path is None else tmp_path / name
    return sweep([ghz(4), ghz(5)], BASE, shots=800, seed=3, executor=executor, out=out,
                 success={"ghz4": ["0000", "1111"], "ghz5": ["00000", "11111"]}, progress=False, **kw)


def test_sweep_is_the_function_on_the_package():
    # ``qiskit_welinq.sweep(...)`` is callable whatever was imported before (no submodule shadows it)
    assert inspect.isfunction(qiskit_welinq.sweep) and qiskit_welinq.sweep is studies.sweep
    code = (
        "import qiskit_welinq.cli.sweep, qiskit_welinq.studies, qiskit_welinq, inspect;"
        "print(inspect.isfunction(qiskit_welinq.sweep), qiskit_welinq.sweep.__module__)"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    assert out.stdout.split() == ["True", "qiskit_welinq.studies"]


def test_rows_match_closed_forms():
    table = run()
    assert len(table) == 8
    assert list(table["circuit"]) == ["ghz4", "ghz5"] * 4
    assert len(set(table["seed"])) == 8
    # one Bell pair per GHZ across the two QPUs; each Werner pair flips the parity w.p. 2(1-F)/3
    assert (table["bell_pairs"] == 1).all()
    for _, row in table.iterrows():
        f = row["link.bell_pair_fidelity"]
        p = 1 - 2 * (1 - f) / 3
        assert abs(row["success_probability"] - p) <= 4 * math.sqrt(p * (1 - p) / 800) + 1e-12
        assert 0 <= row["hellinger_fidelity"] <= 1
        if f == 1.0:
            assert row["success_probability"] == 1.0
    # a longer fibre makes the shot longer (classical latency of the protocol)
    short = table[(table["link.length_km"] == 0.0)]["makespan_s"].to_numpy()
    long = table[(table["link.length_km"] == 20.0)]["makespan_s"].to_numpy()
    assert (long > short).all()


def test_serial_equals_process_pool_and_dask(process_pool, dask_client):
    columns = ["seed", "success_probability", "hellinger_fidelity", "bell_pairs", "makespan_s"]
    serial = run()[columns]
    assert run(executor=process_pool)[columns].equals(serial)
    assert run(executor=dask_client)[columns].equals(serial)


def test_resume_after_interruption_recomputes_nothing(tmp_path, monkeypatch):
    full = run(tmp_path, name="full.csv")
    calls = []
    real = studies.run_point

    def interrupted(point):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(point.index)
        return real(point)

    monkeypatch.setattr(studies, "run_point", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path)
    lines = (tmp_path / "r.csv").read_text().splitlines()
    assert len(lines) == 1 + 3  # header and the three finished points

    calls.clear()
    monkeypatch.setattr(studies, "run_point", lambda p: (calls.append(p.index), real(p))[1])
    resumed = run(tmp_path)
    assert sorted(calls) == [3, 4, 5, 6, 7]  # only the points not in the file
    lines = (tmp_path / "r.csv").read_text().splitlines()
    assert len(lines) == 1 + 8 and len(set(lines)) == len(lines)
    columns = ["seed", "success_probability", "bell_pairs"]
    assert resumed[columns].equals(full[columns])
    calls.clear()
    run(tmp_path)  # complete: nothing to do, nothing written
    assert calls == [] and len((tmp_path / "r.csv").read_text().splitlines()) == 9


def test_files_that_cannot_be_resumed(tmp_path):
    run(tmp_path, vary={"link.bell_pair_fidelity": [1.0]})
    path = tmp_path / "r.csv"
    good = path.read_bytes()
    with pytest.raises(SweepFileError, match="different sweep.*varies"):
        run(tmp_path, vary={"link.length_km": [1.0]})
    with pytest.raises(SweepFileError, match="different sweep.*not among"):
        sweep(ghz(3), BASE, vary={"link.bell_pair_fidelity": [1.0]}, shots=800, out=path, progress=False)
    with pytest.raises(SweepFileError, match="shots="):
        sweep([ghz(4), ghz(5)], BASE, vary={"link.bell_pair_fidelity": [1.0]}, shots=10, out=path)
    assert path.read_bytes() == good
    path.write_bytes(good + b"1.0,ghz4,oops\n")
    with pytest.raises(SweepFileError, match="line 4 has 3 fields"):
        run(tmp_path, vary={"link.bell_pair_fidelity": [1.0]})
    path.write_bytes(good.replace(b"ghz4,", b"ghz4,", 1).replace(b"\n1.0,", b"\nabc,", 1))
    with pytest.raises(SweepFileError, match="line 2 is malformed"):
        run(tmp_path, vary={"link.bell_pair_fidelity": [1.0]})
    path.write_bytes(b"x,y\n1,2\n")
    with pytest.raises(SweepFileError, match="not a welinq sweep file"):
        run(tmp_path, vary={"link.bell_pair_fidelity": [1.0]})
    assert path.read_bytes() == b"x,y\n1,2\n"


def test_bad_vary_and_points(tmp_path):
    with pytest.raises(OptionsError, match="'link.fidelity' is unknown.*link.bell_pair_fidelity"):
        run(vary={"link.fidelity": [0.9]})
    with pytest.raises(OptionsError, match="is empty"):
        run(vary={"link.length_km": []})
    with pytest.raises(OptionsError, match="not a finite number"):
        run(vary={"link.length_km": ["far"]})
    with pytest.raises(ClusterSpecError, match=r"sweep point \{link.bell_pair_fidelity=1.5\}"):
        run(vary={"link.bell_pair_fidelity": [1.5]})
    assert "qpu.two_qubit_gate_error" in sweep_keys() and "num_qpus" in sweep_keys()
    # a point whose cluster is too small fails with its name; rows already written stay
    with pytest.raises(SweepPointError, match=r"num_qpus=1.*ghz4"):
        run(tmp_path, vary={"num_qpus": [2, 1]})
    assert len((tmp_path / "r.csv").read_text().splitlines()) == 3


def test_cluster_shape_keys():
    c = point_cluster(BASE, {"num_qpus": 4, "data_qubits_per_qpu": "fit", "qpu.two_qubit_gate_error": 0.01}, 10)
    assert c.num_qpus == 4 and [q.num_data_qubits for q in c.qpus] == [3] * 4
    assert all(q.two_qubit_gate_error == 0.01 for q in c.qpus)
    assert sorted(k for k, _ in c.links) == [("qpu0", "qpu1"), ("qpu1", "qpu2"), ("qpu2", "qpu3")]
    pair = Link(bell_pair_fidelity=0.9, bell_pair_probabilities=(0.9, 0.0, 0.0, 0.1))
    kept = point_cluster(BASE.with_link(pair), {"link.bell_pair_fidelity": 0.8}, 4).links[0][1]
    assert kept.bell_pair_probabilities == pytest.approx((0.8, 0.0, 0.0, 0.2))


def test_unreachable_dask_scheduler_fails_fast():
    with pytest.raises(ExecutorUnavailableError, match="127.0.0.1:9.*dask scheduler"):
        connect_dask("tcp://127.0.0.1:9", timeout_s=1)


def test_hellinger_fidelity_does_not_depend_on_the_order_of_the_counts():
    # Counts gathered from workers arrive in another order than a serial run's; the row must
    # be bit-identical all the same (same seed, same table, whatever the executor).
    import numpy as np

    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(512))
    ideal = {k: float(p) for k, p in enumerate(probs)}
    counts = {int(k): int(n) for k, n in enumerate(rng.multinomial(10_000, probs)) if n}
    values = set()
    for _ in range(20):
        keys = list(counts)
        rng.shuffle(keys)
        values.add(studies.hellinger_fidelity({k: counts[k] for k in keys}, ideal))
    assert len(values) == 1
    exact = math.fsum(math.sqrt(n / 10_000 * ideal[k]) for k, n in counts.items()) ** 2
    assert values == {exact}


def test_sweep_points_draw_every_shots_schedule_as_backend_run_does():
    # Two one-qubit QPUs joined by a finite-rate link whose memory decoheres fast: each shot's
    # pair waits a random time. A sweep row must sample what ClusterBackend.run samples (every
    # shot draws its own schedule), not one schedule drawn for all shots.
    from qiskit_welinq.convert import circuit_from_qiskit
    from qiskit_welinq.engine import sample_program
    from welinq_core.cluster import QPU
    from welinq_core.physics import QuantumMemory
    from welinq_core.pipeline import compile_program

    qpu = QPU(name="q", num_data_qubits=1, t1_s=4e-3, t2_s=2e-3, two_qubit_gate_duration_s=2e-5,
              single_qubit_gate_duration_s=5e-6, measurement_duration_s=5e-5)
    link = Link(bell_pair_fidelity=0.95, bell_pair_rate_hz=3e3, memory=QuantumMemory.depolarizing(time_s=2e-3))
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, qpu=qpu, link=link)
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.ry(0.6, 1)
    qc.cp(1.1, 0, 1)
    qc.h(1)
    qc.cx(1, 0)
    qc.cp(0.8, 0, 1)
    qc.h(0)
    qc.measure([0, 1], [0, 1])
    table = sweep(qc, cluster, {"link.bell_pair_fidelity": [0.95]}, shots=2000, seed=3, out=None, progress=False,
                  observable=lambda bits: int(bits, 2))
    compiled = compile_program(circuit_from_qiskit(qc), cluster, seed=0, draw_per_shot=True)  # as the backend does
    assert compiled.per_shot_schedule
    memory = sample_program(compiled, shots=2000, seed=int(table["seed"].iloc[0])).memory
    assert table["observable_mean"].iloc[0] == math.fsum(memory) / 2000
