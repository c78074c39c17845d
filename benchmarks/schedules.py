"""Per-shot schedule draws: vectorised over shots vs the event loop shot by shot (same process).

The case: a 12-qubit QFT round trip (benchmarks/overhead.py) on 3 QPUs in a line, links at
10 kHz with F = 0.97 and depolarizing memories (50 ms), the default settings of a run
(entanglement banks, prefetch 'auto'); every shot draws its own schedule. Both simulations
get the same random numbers and the script checks they return the same schedules.

Not a test (timings vary with the machine's load): run it.

Reproduce:
    python benchmarks/schedules.py                 # 1000 shots
    python benchmarks/schedules.py --shots 200
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from qiskit import transpile

sys.path.insert(0, os.path.dirname(__file__))
from overhead import qft_round_trip  # noqa: E402

from qiskit_welinq import ClusterBackend  # noqa: E402
from qiskit_welinq.convert import circuit_from_qiskit  # noqa: E402
from welinq_core import Cluster, Link  # noqa: E402
from welinq_core.physics import QuantumMemory  # noqa: E402
from welinq_core.pipeline import compile_program  # noqa: E402
from welinq_core.schedule_batch import ShotStreams, simulate_schedules, simulate_schedules_scalar  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shots", type=int, default=1000)
    ap.add_argument("--qubits", type=int, default=12)
    args = ap.parse_args()
    link = Link(bell_pair_fidelity=0.97, bell_pair_rate_hz=1e4, memory=QuantumMemory.depolarizing(time_s=0.05))
    cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=-(-args.qubits // 3), topology="line", link=link)
    qc = transpile(qft_round_trip(args.qubits), ClusterBackend(cluster), optimization_level=1, seed_transpiler=1)
    circuit = circuit_from_qiskit(qc)
    circuit = circuit[0] if isinstance(circuit, tuple) else circuit
    compiled = compile_program(circuit, cluster, seed=1, draw_per_shot=True)
    program, opts = compiled.program, compiled.schedule_settings
    streams = ShotStreams.draw(program, args.shots, np.random.default_rng(1))
    t0 = time.perf_counter()
    old = simulate_schedules_scalar(program, streams, **opts)
    t_old = time.perf_counter() - t0
    t0 = time.perf_counter()
    new = simulate_schedules(program, streams, **opts)
    t_new = time.perf_counter() - t0
    worst = max(float(np.max(np.abs(new.pair_probabilities - old.pair_probabilities))),
                float(np.max(np.abs(new.makespan_s - old.makespan_s))))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# Per-shot schedules, QFT-{args.qubits} round trip on 3 QPUs ({len(program.bell_pairs)} pairs, "
          f"{len(program.steps)} steps), {args.shots} shots, load average {load:.1f}\n")
    print("| simulation | time | per shot | ratio new/old |")
    print("|---|---|---|---|")
    print(f"| event loop, shot by shot | {t_old:.2f} s | {t_old / args.shots * 1e3:.2f} ms | 1 |")
    print(f"| vectorised over shots ({new.replayed_shots} shots replayed) | {t_new:.2f} s | "
          f"{t_new / args.shots * 1e3:.2f} ms | {t_new / t_old:.3f} |")
    print(f"\nLargest difference between the two: {worst:.1e} (same random numbers)")
    if worst > 1e-12:
        raise SystemExit("the vectorised schedules differ from the event loop's")


if __name__ == "__main__":
    main()
