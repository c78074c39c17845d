"""Parallel sweeps: wall time of a sweep on 2 worker processes vs serial, and the executor overhead.

1. ``sweep``: a 48-point sweep (4 link fidelities x 4 fibre lengths x 3 QPU counts)
   of a 12-qubit noisy circuit (GHZ-12 with local gate and readout noise, a Clifford
   circuit that the engine samples with stim; ``--circuit qft`` for a QFT on a random
   product state, far slower per point), 10,000 shots per point, on links of 1 kHz whose
   pairs wait in a memory with a 100 ms depolarizing time (so every shot draws its own
   schedule, as a study of memories needs); wall time serial, on a
   ``ProcessPoolExecutor`` with 2 workers and on a local Dask cluster with 2 worker
   processes (one simulator thread per worker). Ratio = parallel / serial.
2. ``overhead``: one small run (GHZ-6 on a noisy 2-QPU cluster, 1,000 shots) through
   ``ClusterBackend.run`` serially and with ``executor=`` a warm 1-worker process
   pool and a thread pool (a job of one task runs in the calling process); then the
   same job split in two tasks (``shots_per_task=500``), which are handed to the
   executor: the cost of the hand-over. Median of interleaved repetitions, ratio to serial.

The serial sweep runs with the simulator's default threading (all cores), the parallel
ones with one thread per worker: it compares what a user gets from each. Each is warm
before its timing starts (imports done, workers started, ``warm_worker`` run on them), as
in a session that keeps its pool or Dask cluster; a cold worker pays a second or two of
imports on its first task.

Not a test: run it (prints markdown tables and the machine's load).

Reproduce:
    python benchmarks/sweep.py                 # both parts (several minutes)
    python benchmarks/sweep.py --quick         # 12 points, 2,000 shots
    python benchmarks/sweep.py --only overhead
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import platform
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
from qiskit import QuantumCircuit

from qiskit_welinq import ClusterBackend
from qiskit_welinq import sweep
from welinq_core.cluster import QPU, Cluster, Link
from welinq_core.physics import QuantumMemory
from qiskit_welinq.executor import warm_worker

#: Pairs wait in a memory that decoheres, so every shot draws its own schedule (the waits matter).
MEMORY = QuantumMemory.depolarizing(time_s=0.1)
NOISY_QPU = QPU(name="q", num_data_qubits=6, single_qubit_gate_error=1e-3, two_qubit_gate_error=1e-2,
                readout_error=1e-2)


def qft_on_product_state(n: int, seed: int = 1) -> QuantumCircuit:
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(n, n, name=f"qft{n}")
    for q in range(n):
        qc.rx(float(rng.uniform(0, math.pi)), q)
    for j in range(n):
        qc.h(j)
        for k in range(j + 1, n):
            qc.cp(math.pi / 2 ** (k - j), k, j)
    qc.measure(range(n), range(n))
    return qc


def ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, n, name=f"ghz{n}")
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure(range(n), range(n))
    return qc


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def bench_sweep(quick: bool, use_dask: bool, circuit_name: str = "ghz") -> list[tuple[str, float, int]]:
    vary = {
        "link.bell_pair_fidelity": [0.9, 0.95, 0.98, 0.99],
        "link.length_km": [0.0, 10.0, 25.0, 50.0],
        "num_qpus": [2, 3, 4],
        "data_qubits_per_qpu": ["fit"],
    }
    shots = 10_000
    if quick:
        vary["link.bell_pair_fidelity"] = [0.9, 0.99]
        vary["link.length_km"] = [0.0, 50.0]
        shots = 2000
    base = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=6, topology="line",
                               link=Link(bell_pair_fidelity=0.97, bell_pair_rate_hz=1000.0, memory=MEMORY), qpu=NOISY_QPU)
    circuit = qft_on_product_state(12) if circuit_name == "qft" else ghz(12)
    runs: list[tuple[str, float, int]] = []
    tables = {}

    def timed(label, executor):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            table = sweep(circuit, base, vary, shots=shots, seed=7, executor=executor,
                          out=os.path.join(tmp, "r.csv"), progress=False)
            runs.append((label, time.perf_counter() - start, len(table)))
            tables[label] = table

    # Every executor is warm before its timing starts (imports done, workers started), as
    # in a long-lived session: the serial run by a one-point sweep, the workers by warm_worker.
    sweep(circuit, base, {"num_qpus": [2]}, shots=100, seed=1, out=None, progress=False)
    timed("serial", None)
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["qiskit_welinq.executor", "qiskit_welinq.studies"])
    with ProcessPoolExecutor(2, mp_context=ctx, initializer=warm_worker) as pool:
        list(pool.map(abs, [1, 2]))  # start the workers outside the timing
        timed("2 processes", pool)
    if use_dask:
        import distributed

        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                      dashboard_address=None, silence_logs=50) as cluster, \
                distributed.Client(cluster) as client:
            client.run(warm_worker)
            timed("dask, 2 workers", client)
    cols = ["seed", "hellinger_fidelity", "bell_pairs"]
    for label, table in tables.items():
        assert table[cols].equals(tables["serial"][cols]), f"{label} differs from serial"
    return runs


def bench_overhead(repeats: int) -> list[tuple[str, float]]:
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3, topology="line",
                                  link=Link(bell_pair_fidelity=0.97), qpu=NOISY_QPU)
    backend = ClusterBackend(cluster)
    qc = ghz(6)
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["qiskit_welinq.executor"])
    with ThreadPoolExecutor(1) as threads, ProcessPoolExecutor(1, mp_context=ctx) as procs:
        runs = {  # label: (executor, shots_per_task)
            "serial": (None, None),
            "ThreadPoolExecutor(1)": (threads, None),
            "ProcessPoolExecutor(1)": (procs, None),
            "ThreadPoolExecutor(1), job split in 2 tasks": (threads, 500),
            "ProcessPoolExecutor(1), job split in 2 tasks": (procs, 500),
        }
        times: dict[str, list[float]] = {label: [] for label in runs}
        for ex, per_task in runs.values():  # warm up: compile cache, worker start
            backend.run(qc, shots=1000, seed_simulator=1, executor=ex, shots_per_task=per_task).result()
        for _ in range(repeats):
            for label, (ex, per_task) in runs.items():
                start = time.perf_counter()
                backend.run(qc, shots=1000, seed_simulator=1, executor=ex, shots_per_task=per_task).result()
                times[label].append(time.perf_counter() - start)
    base = statistics.median(times["serial"])
    return [(label, statistics.median(t) / base) for label, t in times.items()] + [("serial ms", base * 1e3)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=("sweep", "overhead"), default=None)
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--circuit", choices=("ghz", "qft"), default="ghz")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {platform.machine()}; {load()} at start")
    if args.only in (None, "overhead"):
        rows = bench_overhead(args.repeats)
        print("\n| executor (single small run) | time / serial |\n|---|---|")
        for label, value in rows[:-1]:
            print(f"| {label} | {value:.2f} |")
        print(f"(serial median {rows[-1][1]:.1f} ms; {load()})")
    if args.only in (None, "sweep"):
        runs = bench_sweep(args.quick, not args.no_dask, args.circuit)
        serial = runs[0][1]
        print(f"\n| sweep ({args.circuit}-12, noisy) | points | wall time | / serial |\n|---|---|---|---|")
        for label, seconds, points in runs:
            print(f"| {label} | {points} | {seconds:.1f} s | {seconds / serial:.2f} |")
        print(f"({load()} at the end)")


if __name__ == "__main__":
    main()
