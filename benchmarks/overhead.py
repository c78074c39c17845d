"""Overhead of ClusterBackend vs plain Aer on the same noisy circuit (prints a markdown table).

For GHZ and a QFT-like circuit of n qubits (n = 10..24), with the SAME local noise
(1q/2q depolarizing after each gate, readout flips) on every qubit:

* ``aer``: the monolithic circuit on AerSimulator at its best settings: shot
  branching on, and the fastest of the applicable methods (stabilizer for
  Clifford circuits, density matrix up to 12 qubits, state vector), noise as an
  Aer NoiseModel;
* ``effective`` (exact rendering), ``effective static`` (no randomness qubits;
  approximate for packets of non-Clifford gates) and ``explicit``: ClusterBackend on 2 QPUs (n/2 data qubits each,
  Werner links F=0.97), everything included (partition, lowering, schedule,
  noise stage, conversion, Aer).

Targets (issue 4): effective <= 1.2x Aer, explicit <= 3x Aer. Not a test: run it.

Reproduce:
    python benchmarks/overhead.py                 # default sizes, 10,000 shots
    python benchmarks/overhead.py --sizes 10 16 --shots 2000
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel, depolarizing_error, pauli_error

from qiskit_welinq import ClusterBackend
from welinq_core.cluster import QPU, Cluster, Link

P1, P2, READOUT, BELL_F = 1e-3, 1e-2, 1e-2, 0.97
BASIS = ["h", "x", "rz", "cx", "cp", "sx", "t"]


def ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, n, name=f"ghz{n}")
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure(range(n), range(n))
    return qc


def qft_like(n: int, seed: int = 1) -> QuantumCircuit:
    """Random product state, then a QFT with controlled phases to the 3 nearest qubits."""
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(n, n, name=f"qft{n}")
    for q in range(n):
        qc.rx(float(rng.uniform(0, math.pi)), q)
    for j in range(n):
        qc.h(j)
        for k in range(j + 1, min(n, j + 4)):
            qc.cp(math.pi / 2 ** (k - j), k, j)
    qc.measure(range(n), range(n))
    return qc


def noise_model() -> NoiseModel:
    nm = NoiseModel()
    nm.add_all_qubit_quantum_error(depolarizing_error(P1, 1), ["h", "x", "rz", "sx", "t", "rx", "u"])
    nm.add_all_qubit_quantum_error(depolarizing_error(P2, 2), ["cx", "cp"])
    nm.add_all_qubit_quantum_error(pauli_error([("X", READOUT), ("I", 1 - READOUT)]), ["measure"])
    return nm


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def best_aer(qc: QuantumCircuit, shots: int, clifford: bool) -> tuple[float, str]:
    nm = noise_model()
    methods = ["stabilizer"] if clifford else ["statevector"] + (["density_matrix"] if qc.num_qubits <= 12 else [])
    best = (math.inf, "")
    for m in methods:
        sim = AerSimulator(method=m, noise_model=nm, shot_branching_enable=True)
        tq = transpile(qc, sim, optimization_level=0)
        dt = timed(lambda: sim.run(tq, shots=shots, seed_simulator=1).result())
        best = min(best, (dt, m))
    return best


def cluster_time(qc: QuantumCircuit, shots: int, mode: str, rendering: str = "exact") -> tuple[float, str, int]:
    n = qc.num_qubits
    qpu = QPU(name="t", num_data_qubits=(n + 1) // 2, single_qubit_gate_error=P1, two_qubit_gate_error=P2,
              readout_error=READOUT)
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=(n + 1) // 2, qpu=qpu,
                                  link=Link(bell_pair_fidelity=BELL_F))
    backend = ClusterBackend(cluster, mode=mode, effective_rendering=rendering)
    out = {}

    def run() -> None:
        out["r"] = backend.run(qc, shots=shots, seed_simulator=1).result()

    dt = timed(run)
    meta = out["r"].results[0].metadata
    form = (meta["welinq"].get("noise") or {}).get("randomness")  # purified / measured shared randomness
    return dt, meta["method"] + (f", {form}" if form else ""), meta["simulated_qubits"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 16, 20, 24])
    ap.add_argument("--shots", type=int, default=10_000)
    ap.add_argument("--circuits", nargs="+", default=["ghz", "qft"])
    args = ap.parse_args()
    print(f"# ClusterBackend overhead vs Aer ({args.shots} shots; python {platform.python_version()}, "
          f"{platform.machine()})\n")
    print("| circuit | n | Aer best (method) | effective (method, qubits) | ratio | effective static "
          "| ratio | explicit (method, qubits) | ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.circuits:
        for n in args.sizes:
            qc = ghz(n) if name == "ghz" else qft_like(n)
            ta, ma = best_aer(qc, args.shots, clifford=(name == "ghz"))
            te, me, qe = cluster_time(qc, args.shots, "effective")
            ts, ms, qs = cluster_time(qc, args.shots, "effective", "static")
            tx, mx, qx = cluster_time(qc, args.shots, "explicit")
            print(f"| {name} | {n} | {ta:.2f} s ({ma}) | {te:.2f} s ({me}, {qe}) | {te / ta:.2f}x | "
                  f"{ts:.2f} s ({ms}, {qs}) | {ts / ta:.2f}x | "
                  f"{tx:.2f} s ({mx}, {qx}) | {tx / ta:.2f}x |", flush=True)
    print("\nTargets: effective <= 1.2x, explicit <= 3x the Aer time.")
    print(f"Reproduce: python benchmarks/overhead.py --sizes {' '.join(map(str, args.sizes))} "
          f"--shots {args.shots} --circuits {' '.join(args.circuits)}")


if __name__ == "__main__":
    sys.exit(main())
