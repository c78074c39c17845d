"""Shots that draw their own schedules: one rendering for all shots vs one circuit per key.

On clusters whose links generate pairs at a finite rate into decohering memories
(the ``demo`` and ``oxford-ions-2025`` presets), every shot draws its own schedule and
from it its own fixed link and idle errors (:mod:`welinq_core.shot_schedules`). This
times the sampling of one compiled program (partitioning excluded: both paths share it)

* ``per key``: one noise rendering, conversion and Aer call per combination of fixed
  errors (``welinq_core.shots.RENDER_ONCE = False``, the previous path);
* ``render once``: one rendering whose drawn locations carry the fixed errors, every
  minor group run through the parameterised slot template (the default);

in the same process with the same seed, and prints a markdown table with the load average.

Circuits nobody here wrote: QASMBench ``sat_n11`` (pass its path) and MQT Bench ``qpeexact``.

Reproduce:
    python benchmarks/per_shot_schedules.py --qasm /path/to/QASMBench/medium/sat_n11.qasm --shots 100
    python benchmarks/per_shot_schedules.py --mqt qpeexact:8 --shots 2000 --preset demo oxford-ions-2025
"""

from __future__ import annotations

import argparse
import os
import time

from qiskit import QuantumCircuit, transpile

import welinq_core.shots as shots_module
from qiskit_welinq import ClusterBackend
from qiskit_welinq.backend import circuit_ir
from qiskit_welinq.engine import sample_program
from welinq_core.pipeline import compile_program


def _circuit(args: argparse.Namespace) -> QuantumCircuit:
    if args.qasm:
        qc = QuantumCircuit.from_qasm_file(args.qasm)
        qc.name = os.path.splitext(os.path.basename(args.qasm))[0]
        return qc
    from mqt.bench import BenchmarkLevel, get_benchmark

    name, n = args.mqt.split(":")
    qc = get_benchmark(name, BenchmarkLevel.ALG, int(n))
    qc.name = f"{name}-{n}"
    return qc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qasm", help="a QASM file (e.g. QASMBench's sat_n11.qasm)")
    parser.add_argument("--mqt", default="qpeexact:8", help="MQT Bench NAME:QUBITS (without --qasm)")
    parser.add_argument("--shots", type=int, default=2000)
    parser.add_argument("--preset", nargs="+", default=["demo"])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    qc = _circuit(args)
    print(f"load average {os.getloadavg()[0]:.1f}; {qc.name}, {args.shots} shots, seed {args.seed}\n")
    print("| preset | per key (s) | groups | render once (s) | groups | speed-up |")
    print("|---|---:|---:|---:|---:|---:|")
    for preset in args.preset:
        backend = ClusterBackend(preset)
        tq = transpile(qc, backend, seed_transpiler=1)
        compiled = compile_program(circuit_ir(tq), backend.cluster, seed=0, draw_per_shot=True)
        row = []
        for render_once in (False, True):
            shots_module.RENDER_ONCE = render_once
            t = time.perf_counter()
            res = sample_program(compiled, shots=args.shots, seed=args.seed, progress=False)
            row.append((time.perf_counter() - t, res.metadata.get("shot_groups", 1)))
        shots_module.RENDER_ONCE = True
        (t_old, g_old), (t_new, g_new) = row
        print(f"| {preset} | {t_old:.1f} | {g_old} | {t_new:.1f} | {g_new} | {t_old / t_new:.1f}x |", flush=True)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
