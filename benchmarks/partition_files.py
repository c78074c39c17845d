"""CPU seconds of ``welinq partition`` on large published QASM files, against Qiskit's own transpile.

For each file and QPU count k (capacity floor(n/k)+1 data qubits per QPU, all-to-all, default
communication qubits, seed 1), runs the ``welinq partition`` command in this process (reading,
conversion, partitioning, lowering and the claimed == consumed check: what a user waits for)
and measures its CPU seconds; the baseline is ``qiskit.transpile`` of the same file at
optimisation level 1 to ``{u, cx}`` (what any Qiskit user pays for such a file anyway), timed in
the same process. Prints a markdown table and the command that reproduces it.

    python benchmarks/partition_files.py --qasmbench PATH/TO/QASMBench            # the default files
    python benchmarks/partition_files.py --qasmbench QASMBench --qpus 3 --time-limit 10
    python benchmarks/partition_files.py FILE.qasm ... --qpus 2 3 4

PATH/TO/QASMBench is a clone of github.com/pnnl/QASMBench. Timing is CPU time of this
process (``time.process_time``): KaHyPar, when it runs in a child process on a large
hypergraph, is not counted; its wall time is in the "wall" column.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import time
from pathlib import Path

#: Files of QASMBench with many operations (relative to the clone's root).
DEFAULT_FILES = (
    "large/adder_n118/adder_n118.qasm",
    "large/qugan_n111/qugan_n111.qasm",
    "large/multiplier_n45/multiplier_n45.qasm",
    "large/adder_n433/adder_n433.qasm",
    "large/multiplier_n75/multiplier_n75.qasm",
    "large/square_root_n45/square_root_n45.qasm",
    "medium/bwt_n21.qasm",
)


def _num_qubits(path: Path) -> int:
    return sum(int(m) for m in re.findall(r"^\s*qreg\s+\w+\[(\d+)\]", path.read_text(), flags=re.M))


def _transpile_seconds(path: Path) -> float:
    from qiskit import transpile

    from qiskit_welinq.cli._common import load_qasm

    qc = load_qasm(str(path), max_qubits=10**6)
    t0 = time.process_time()
    transpile(qc, basis_gates=["u", "cx"], optimization_level=1, seed_transpiler=1)
    return time.process_time() - t0


def _partition(path: Path, k: int, time_limit: float | None) -> tuple[dict, float, float]:
    from qiskit_welinq.cli import main

    n = _num_qubits(path)
    argv = ["partition", str(path), "--qpus", str(k), "--qubits-per-qpu", str(n // k + 1), "--seed", "1",
            "--json", "--quiet"]
    if time_limit is not None:
        argv += ["--time-limit", str(time_limit)]
    out = io.StringIO()
    c0, w0 = time.process_time(), time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    if code != 0:
        raise SystemExit(f"welinq partition failed on {path} (exit {code})")
    return json.loads(out.getvalue()), cpu, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", help="QASM files (default: the QASMBench files listed in the module)")
    ap.add_argument("--qasmbench", type=Path, help="root of a QASMBench clone (for the default files)")
    ap.add_argument("--qpus", type=int, nargs="+", default=[3])
    ap.add_argument("--time-limit", type=float, default=None)
    args = ap.parse_args()
    if args.files:
        files = [Path(f) for f in args.files]
    elif args.qasmbench is not None:
        files = [args.qasmbench / f for f in DEFAULT_FILES]
    else:
        ap.error("give QASM files or --qasmbench PATH")
    print("| file | n | operations | k | Bell pairs | time-limited | welinq partition CPU s | wall s "
          "| transpile (level 1) CPU s | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for path in files:
        lines = sum(1 for _ in path.open())
        base = _transpile_seconds(path)
        for k in args.qpus:
            data, cpu, wall = _partition(path, k, args.time_limit)
            print(f"| {path.stem} | {_num_qubits(path)} | {lines:,} lines | {k} | {data['bell_pairs']} "
                  f"| {'yes' if data['time_limited'] else 'no'} | {cpu:.1f} | {wall:.1f} | {base:.1f} "
                  f"| {cpu / base:.1f}x |", flush=True)
    cmd = "python benchmarks/partition_files.py " + (" ".join(args.files) if args.files else
                                                      f"--qasmbench {args.qasmbench}")
    cmd += " --qpus " + " ".join(map(str, args.qpus))
    if args.time_limit is not None:
        cmd += f" --time-limit {args.time_limit}"
    print(f"\n`{cmd}`")


if __name__ == "__main__":
    main()
