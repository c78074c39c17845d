"""Overhead of ClusterBackend vs plain Aer on the same noisy circuit (prints a markdown table).

Circuits (n = 12 by default): QAOA (3 layers of ``rzz`` on a ring + ``rx``), a QFT
round trip (random product state, QFT, inverse QFT), Quantum Volume of depth 4, and
GHZ. The SAME local noise acts on every qubit in both runs (1e-3 / 1e-2
depolarizing after every one-/two-qubit gate, 1 % readout flips):

* ``aer``: the monolithic circuit (transpiled to the backend's gates) on
  AerSimulator at its best settings: the fastest of the applicable methods
  (stabilizer for Clifford circuits, state vector with shot branching, density
  matrix up to 12 qubits), noise as an Aer NoiseModel;
* ``effective`` and ``explicit``: ClusterBackend on 3 QPUs (n/3 data qubits each,
  line, Werner links F = 0.97), everything included (partition, lowering,
  schedule, noise stage, per-shot draws, conversion, Aer).

``--floor`` measures instead what exact per-shot sampling without shared work costs Aer
itself: the monolithic circuit run as single-shot experiments (every shot its own trajectory,
as a shot group of one shot is) against one experiment of all shots with shot branching, in
CPU time on one Aer thread.

Not a test (timings vary with the machine's load): run it.

Reproduce:
    python benchmarks/overhead.py                          # n = 12, 10,000 shots
    python benchmarks/overhead.py --sizes 12 --shots 2000 --circuits qaoa
    python benchmarks/overhead.py --floor --circuits qaoa qft qv
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import QFTGate, quantum_volume
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel, depolarizing_error, pauli_error

from qiskit_welinq import ClusterBackend
from welinq_core.cluster import QPU, Cluster, Link

P1, P2, READOUT, BELL_F, NUM_QPUS = 1e-3, 1e-2, 1e-2, 0.97, 3


def ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, name=f"ghz{n}")
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure_all()
    return qc


def qaoa(n: int, layers: int = 3, seed: int = 1) -> QuantumCircuit:
    """QAOA on a ring: ``rzz`` cost layers and ``rx`` mixers."""
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(n, name=f"qaoa{n}")
    qc.h(range(n))
    for _ in range(layers):
        gamma, beta = rng.uniform(0.2, 1.2, 2)
        for i in range(n):
            qc.rzz(float(gamma), i, (i + 1) % n)
        qc.rx(float(beta), range(n))
    qc.measure_all()
    return qc


def qft_round_trip(n: int, seed: int = 1) -> QuantumCircuit:
    """Random product state, QFT, inverse QFT (ideally returns the product state)."""
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(n, name=f"qft-rt{n}")
    for q in range(n):
        qc.rx(float(rng.uniform(0, math.pi)), q)
    qc.append(QFTGate(n), range(n))
    qc.append(QFTGate(n).inverse(), range(n))
    qc.measure_all()
    return qc


def qv(n: int, depth: int = 4, seed: int = 1) -> QuantumCircuit:
    qc = quantum_volume(n, depth=depth, seed=seed)
    qc.name = f"qv{n}"
    qc.measure_all()
    return qc


CIRCUITS = {"qaoa": qaoa, "qft": qft_round_trip, "qv": qv, "ghz": ghz}


def noise_model(one_qubit: list[str], two_qubit: list[str]) -> NoiseModel:
    nm = NoiseModel()
    if one_qubit:
        nm.add_all_qubit_quantum_error(depolarizing_error(P1, 1), one_qubit)
    if two_qubit:
        nm.add_all_qubit_quantum_error(depolarizing_error(P2, 2), two_qubit)
    nm.add_all_qubit_quantum_error(pauli_error([("X", READOUT), ("I", 1 - READOUT)]), ["measure"])
    return nm


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def best_aer(qc: QuantumCircuit, shots: int) -> tuple[float, str]:
    ops = {i.operation.name: i.operation.num_qubits for i in qc.data if i.operation.name not in ("measure", "barrier")}
    nm = noise_model([g for g, k in ops.items() if k == 1], [g for g, k in ops.items() if k == 2])
    clifford = set(ops) <= {"h", "x", "y", "z", "s", "sdg", "cx", "cz", "cy", "swap", "sx", "sxdg", "id"}
    methods = ["stabilizer"] if clifford else ["statevector"] + (["density_matrix"] if qc.num_qubits <= 12 else [])
    best = (math.inf, "")
    for m in methods:
        sim = AerSimulator(method=m, noise_model=nm, shot_branching_enable=True)
        out = {}
        dt = timed(lambda: out.setdefault("r", sim.run(qc, shots=shots, seed_simulator=1).result()))
        if out["r"].success:  # a method that rejects the circuit's gates is no baseline
            best = min(best, (dt, m))
    if best[1] == "":
        raise RuntimeError(f"no Aer method ran {qc.name}")
    return best


def floor(qc: QuantumCircuit, shots: int, experiments: int = 256) -> tuple[float, float]:
    """CPU seconds per shot on one Aer thread (state vector, the benchmark's noise model): one
    experiment of ``shots`` shots with shot branching, and single-shot experiments (64 per call)."""
    ops = {i.operation.name: i.operation.num_qubits for i in qc.data if i.operation.name not in ("measure", "barrier")}
    nm = noise_model([g for g, k in ops.items() if k == 1], [g for g, k in ops.items() if k == 2])
    options = dict(method="statevector", noise_model=nm, shot_branching_enable=True, max_parallel_threads=1)
    t = time.process_time()
    AerSimulator(**options).run(qc, shots=shots, seed_simulator=1).result()
    shared = (time.process_time() - t) / shots
    sim = AerSimulator(**options, max_parallel_experiments=0)
    t = time.process_time()
    for k in range(experiments // 64):
        sim.run([qc] * 64, shots=1, seed_simulator=64 * k).result()
    return shared, (time.process_time() - t) / (64 * (experiments // 64))


def cluster(n: int) -> Cluster:
    per = -(-n // NUM_QPUS)
    qpu = QPU(name="t", num_data_qubits=per, single_qubit_gate_error=P1, two_qubit_gate_error=P2,
              readout_error=READOUT)
    return Cluster.homogeneous(num_qpus=NUM_QPUS, data_qubits_per_qpu=per, qpu=qpu, topology="line",
                               link=Link(bell_pair_fidelity=BELL_F))


def cluster_time(backend: ClusterBackend, qc: QuantumCircuit, shots: int, mode: str) -> tuple[float, str]:
    out = {}

    def run() -> None:
        out["r"] = backend.run(qc, shots=shots, seed_simulator=1, mode=mode).result()

    dt = timed(run)
    meta = out["r"].results[0].metadata
    groups = meta.get("shot_groups")
    return dt, meta["method"] + (f", {groups} groups" if groups and groups > 1 else "")


def _gmean(values: list[float]) -> float:
    return math.exp(sum(map(math.log, values)) / len(values))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[12])
    ap.add_argument("--shots", type=int, default=10_000)
    ap.add_argument("--circuits", nargs="+", default=["qaoa", "qft", "qv", "ghz"], choices=sorted(CIRCUITS))
    ap.add_argument("--modes", nargs="+", default=["effective", "explicit"])
    ap.add_argument("--floor", action="store_true",
                    help="Aer alone: all shots in one experiment vs every shot its own experiment")
    args = ap.parse_args()
    if args.floor:
        print(f"# Aer, {args.shots} shots: shot branching vs single-shot experiments (CPU, one thread)\n")
        print("| circuit | n | one experiment (ms/shot) | single-shot experiments (ms/shot) | ratio |")
        print("|---|---|---|---|---|")
        for name in args.circuits:
            for n in args.sizes:
                qc = transpile(CIRCUITS[name](n), ClusterBackend(cluster(n)), optimization_level=1, seed_transpiler=1)
                shared, alone = floor(qc, args.shots)
                print(f"| {name} | {n} | {shared * 1e3:.2f} | {alone * 1e3:.2f} | {alone / shared:.2f}x |", flush=True)
        return
    print(f"# ClusterBackend overhead vs Aer ({args.shots} shots, {NUM_QPUS} QPUs, F = {BELL_F} links; "
          f"python {platform.python_version()}, {platform.machine()})\n")
    head = "| circuit | n | Aer best (method) | " + " | ".join(f"{m} (method) | ratio" for m in args.modes) + " |"
    print(head)
    print("|" + "---|" * (3 + 2 * len(args.modes)))
    ratios: dict[str, list[float]] = {m: [] for m in args.modes}
    runs = [(name, n) for name in args.circuits for n in args.sizes]
    for name in args.circuits:
        for n in args.sizes:
            backend = ClusterBackend(cluster(n))
            qc = transpile(CIRCUITS[name](n), backend, optimization_level=1, seed_transpiler=1)
            ta, ma = best_aer(qc, args.shots)
            cells = []
            for mode in args.modes:
                # a first run: partition, lowering, schedule and noise are timed too
                t, m = cluster_time(backend, qc, args.shots, mode)
                ratios[mode].append(t / ta)
                cells.append(f"{t:.2f} s ({m}) | {t / ta:.2f}x")
            print(f"| {name} | {n} | {ta:.2f} s ({ma}) | " + " | ".join(cells) + " |", flush=True)
    for mode, rs in ratios.items():
        print(f"\nGeometric mean, {mode}: {_gmean(rs):.2f}x")
        hard = [r for r, (name, _) in zip(rs, runs) if name != "ghz"]  # GHZ is Clifford: stim
        if hard and len(hard) < len(rs):
            print(f"Geometric mean without GHZ (noisy non-Clifford circuits), {mode}: {_gmean(hard):.2f}x")
    print(f"\nReproduce: python benchmarks/overhead.py --sizes {' '.join(map(str, args.sizes))} "
          f"--shots {args.shots} --circuits {' '.join(args.circuits)} --modes {' '.join(args.modes)}")


if __name__ == "__main__":
    sys.exit(main())
