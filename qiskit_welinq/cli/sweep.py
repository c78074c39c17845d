"""``welinq sweep CIRCUIT.qasm ... --vary KEY=VALUES``: a resumable parameter sweep to a CSV file.

Values of ``--vary`` are a comma-separated list (``0.9,0.95,0.99``), an inclusive
range ``START:STOP:COUNT`` (``0:50:6`` is 0, 10, 20, 30, 40, 50), or names for
``topology`` (and ``fit`` for ``data_qubits_per_qpu``). Running the same command
again skips the points already in ``--out``.
"""

from __future__ import annotations

import argparse
import os

from qiskit_welinq.cli._common import RawDescriptionHelpFormatter, load_cluster, load_qasm, positive_int
from welinq_core.errors import OptionsError

__all__ = ["register", "parse_vary", "parse_values"]


def register(sub) -> None:  # noqa: ANN001
    """Add the ``sweep`` subcommand to the parser's subcommands."""
    p = sub.add_parser(
        "sweep", help="run circuits over a grid of cluster parameters (resumable CSV)",
        description=__doc__.split("\n", 2)[2], formatter_class=RawDescriptionHelpFormatter,
    )
    p.add_argument("circuits", nargs="+", metavar="CIRCUIT.qasm", help="OpenQASM 2 or 3 files")
    p.add_argument("--cluster", default="ideal", help="preset name or cluster JSON file (the base of the sweep)")
    p.add_argument("--vary", action="append", required=True, metavar="KEY=VALUES",
                   help="e.g. link.bell_pair_fidelity=0.9,0.95,0.99 or link.length_km=0:50:6 (repeatable)")
    p.add_argument("--shots", type=positive_int, default=1000, help="shots per point and circuit")
    p.add_argument("--seed", type=int, default=None, help="seed of the whole sweep (default: fresh entropy)")
    p.add_argument("--out", default="results.csv", help="CSV file to append to and resume from")
    p.add_argument("--success", default=None, metavar="BITS,BITS",
                   help="bitstrings counted as success (Qiskit order, classical bit 0 rightmost)")
    p.add_argument("--observable", default=None, metavar="ZZII", help="I/Z label whose mean is reported")
    p.add_argument("--mode", default="effective", choices=("effective", "explicit"),
                   help="effective: exact channels on the data qubits; explicit: simulate the communication qubits")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--dask-scheduler", default=None, metavar="ADDRESS",
                       help="run the points on a Dask cluster (e.g. tcp://10.0.0.5:8786)")
    where.add_argument("--processes", type=positive_int, default=None, metavar="N",
                       help="run the points on N local worker processes")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)


def parse_values(key: str, text: str) -> list:
    """The values of one ``--vary`` argument.

    Examples:
        >>> parse_values("link.length_km", "0:50:6")
        [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
        >>> parse_values("num_qpus", "2,3,4")
        [2.0, 3.0, 4.0]
        >>> parse_values("topology", "line,ring")
        ['line', 'ring']
    """
    text = text.strip()
    if not text:
        raise OptionsError(f"--vary {key}= has no values; give e.g. {key}=1,2,3 or {key}=0:10:5")
    if ":" in text:
        parts = text.split(":")
        try:
            start, stop, count = float(parts[0]), float(parts[1]), int(parts[2])
            if len(parts) != 3:
                raise ValueError
        except (ValueError, IndexError) as err:
            raise OptionsError(
                f"--vary {key}={text!r}: a range is START:STOP:COUNT (e.g. 0:50:6 for 0, 10, ..., 50)"
            ) from err
        if count < 1:
            raise OptionsError(f"--vary {key}={text!r}: COUNT must be at least 1")
        if count == 1:
            return [start]
        return [start + (stop - start) * i / (count - 1) for i in range(count)]
    values = []
    for item in text.split(","):
        item = item.strip()
        if key == "topology" or (key == "data_qubits_per_qpu" and item == "fit"):
            values.append(item)
            continue
        try:
            values.append(float(item))
        except ValueError as err:
            raise OptionsError(f"--vary {key}: {item!r} is not a number; give numbers such as 0.9,0.95") from err
    return values


def parse_vary(items: list[str]) -> dict[str, list]:
    """``["key=values", ...]`` as a ``vary`` mapping (keys are checked by the sweep)."""
    vary: dict[str, list] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise OptionsError(f"--vary {item!r} must be KEY=VALUES, e.g. link.bell_pair_fidelity=0.9,0.99")
        if key in vary:
            raise OptionsError(f"--vary {key} is given twice; give all its values in one --vary")
        vary[key] = parse_values(key, text)
    return vary


def cmd_sweep(args: argparse.Namespace) -> int:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from qiskit_welinq import sweep
    from qiskit_welinq.executor import warm_worker
    from welinq_core.executor import connect_dask

    vary = parse_vary(args.vary)
    circuits = []
    for path in args.circuits:
        qc = load_qasm(path)
        qc.name = os.path.splitext(os.path.basename(path))[0]
        circuits.append(qc)
    cluster = load_cluster(args.cluster)
    success = None if args.success is None else [s.strip() for s in args.success.split(",")]
    executor = None
    try:
        if args.dask_scheduler:
            executor = connect_dask(args.dask_scheduler)
        elif args.processes:
            ctx = multiprocessing.get_context("forkserver")
            # imports done once in the forkserver, before the workers fork from it
            ctx.set_forkserver_preload(["qiskit_welinq.executor", "qiskit_welinq.studies"])
            executor = ProcessPoolExecutor(args.processes, mp_context=ctx, initializer=warm_worker)
        before = _rows(args.out)
        table = sweep(
            circuits, cluster, vary, shots=args.shots, seed=args.seed, executor=executor, out=args.out,
            success=success, observable=args.observable, mode=args.mode, progress=not args.no_progress,
        )
    finally:
        if executor is not None:
            executor.close() if hasattr(executor, "close") else executor.shutdown(cancel_futures=True)
    new = _rows(args.out) - before
    print(f"{len(table)} rows for this sweep in {args.out} ({new} new)")
    shown = [c for c in (*vary, "circuit", "bell_pairs", "hellinger_fidelity", "success_probability")
             if c in table and table[c].notna().any()]
    print(table[shown].to_string(index=False, max_rows=20))
    return 0


def _rows(path: str) -> int:
    if not os.path.exists(path):
        return 0
    with open(path, encoding="utf-8") as f:
        return max(0, sum(1 for _ in f) - 1)
