"""``welinq qec``: threshold sweeps of a surface-code memory split over QPUs (stim + sinter).

Example::

    welinq qec --distances 3,5,7 --bulk 0.001 --interface 0.03:0.3:8 --csv qec.csv --plot qec.png

Sweeps distance, bulk and interface error, decodes with pymatching on several processes,
appends to the CSV (re-running resumes and adds shots), prints the logical error per round
and the estimated threshold crossings (of the logical error per shot of d-round experiments,
and per round), and optionally plots one curve per distance.
"""

from __future__ import annotations

import argparse

import numpy as np

from qiskit_welinq.cli._common import RawDescriptionHelpFormatter
from welinq_core.errors import OptionsError

__all__ = ["cmd_qec", "parse_values", "register"]


def parse_values(text: str, *, name: str, integer: bool = False) -> list:
    """``"0.01,0.02"`` (a list) or ``"0.01:0.3:8"`` (8 log-spaced values from 0.01 to 0.3).

    Examples:
        >>> parse_values("0.01:0.1:3", name="--bulk")
        [0.01, 0.0316228, 0.1]
        >>> parse_values("3,5", name="--distances", integer=True)
        [3, 5]
    """
    try:
        if ":" in text and not integer:
            start, stop, num = text.split(":")
            values = [float(f"{v:.6g}") for v in np.geomspace(float(start), float(stop), int(num))]
        else:
            values = [int(v) if integer else float(v) for v in text.split(",") if v.strip()]
    except ValueError as err:
        form = "a comma list such as 3,5,7" if integer else "a comma list (0.01,0.02) or start:stop:count"
        raise OptionsError(f"{name} {text!r} is not {form}") from err
    if not values:
        raise OptionsError(f"{name} {text!r} gives no values")
    return values


def register(sub) -> None:
    """Add the ``qec`` subcommand to the parser's subcommands."""
    p = sub.add_parser("qec", help="surface-code thresholds across QPUs (stim, sinter, pymatching)",
                       description=__doc__, formatter_class=RawDescriptionHelpFormatter)
    p.add_argument("--distances", default="3,5,7", help="odd code distances (default 3,5,7)")
    p.add_argument("--bulk", default="0.001", help="bulk error strengths: list or start:stop:count (default 0.001)")
    p.add_argument("--interface", default="0.03:0.3:8",
                   help="interface (cross-seam CNOT) errors: list or start:stop:count (default 0.03:0.3:8)")
    p.add_argument("--rounds", type=int, default=None, help="rounds per experiment (default: the distance)")
    p.add_argument("--qpus", type=int, default=2, help="QPUs the code is split over (default 2)")
    p.add_argument("--basis", default="z", choices=("z", "x"), help="basis of the memory experiment")
    p.add_argument("--seam", default="vertical", choices=("vertical", "horizontal"),
                   help="direction of the cut between QPUs across the code patch")
    p.add_argument("--noise-model", default="uniform", choices=("uniform", "si1000"),
                   help="bulk noise: uniform depolarising or SI1000 (superconducting-inspired)")
    p.add_argument("--interface-channel", default="depolarizing", choices=("depolarizing", "remote_cnot"),
                   help="error of a CNOT across the seam: two-qubit depolarising of probability p, or the exact "
                        "channel of a remote CNOT with a Werner pair of fidelity 1 - p")
    p.add_argument("--csv", default=None, help="append results to this CSV (sinter format; resumable)")
    p.add_argument("--max-shots", type=int, default=100_000, help="shots per point (default 100000)")
    p.add_argument("--max-errors", type=int, default=500, help="stop a point after this many errors (default 500)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None,
                       help="sinter's worker processes on this machine (default: all CPUs)")
    where.add_argument("--dask-scheduler", default=None, metavar="ADDRESS",
                       help="decode the points on a Dask cluster instead (e.g. tcp://10.0.0.5:8786)")
    p.add_argument("--along", default="interface", choices=("interface", "bulk"),
                   help="x axis of the plot and of the crossings (default interface)")
    p.add_argument("--plot", default=None, help="save a plot of logical error per round to this file")
    p.set_defaults(func=cmd_qec)


def cmd_qec(args: argparse.Namespace) -> int:
    from welinq_core.qec.collect import (
        collect_memory,
        logical_error_points,
        memory_tasks,
        plot_logical_error,
        threshold_crossings,
    )

    tasks = memory_tasks(
        distances=parse_values(args.distances, name="--distances", integer=True),
        bulk_errors=parse_values(args.bulk, name="--bulk"),
        interface_errors=parse_values(args.interface, name="--interface"),
        rounds=args.rounds, num_qpus=args.qpus, basis=args.basis, seam=args.seam,
        noise_model=args.noise_model, interface_channel=args.interface_channel)
    client = None
    if args.dask_scheduler:
        from welinq_core.executor import connect_dask

        client = connect_dask(args.dask_scheduler)
    try:
        stats = collect_memory(tasks, csv_path=args.csv, max_shots=args.max_shots, max_errors=args.max_errors,
                               num_workers=args.workers, executor=client)
    finally:
        if client is not None:
            client.close()
    points = logical_error_points(stats)
    print("| d | rounds | bulk | interface | shots | errors | logical error / round |")
    print("|---|---|---|---|---|---|---|")
    for pt in points:
        print(f"| {pt.distance} | {pt.rounds} | {pt.bulk_error:g} | {pt.interface_error:g} | {pt.shots} | "
              f"{pt.errors} | {pt.per_round:.3e} [{pt.per_round_low:.2e}, {pt.per_round_high:.2e}] |")
    along = "interface_error" if args.along == "interface" else "bulk_error"
    fixed = "bulk" if along == "interface_error" else "interface"
    crossings = threshold_crossings(points, along=along)
    for metric, found in (("per shot", crossings), ("per round", threshold_crossings(points, along=along,
                                                                                     metric="per_round"))):
        if not found:
            print(f"no crossing of consecutive distances ({metric}) along the {args.along} error in this range")
        for c in found:
            print(f"crossing ({metric}) d={c.small}/d={c.large} at {args.along} error {c.value:.4g} "
                  f"({fixed} {c.fixed:g}; between {c.bracket[0]:g} and {c.bracket[1]:g})")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        ax = plot_logical_error(stats, along=along, crossings=crossings)
        ax.figure.savefig(args.plot, dpi=120, bbox_inches="tight")
        print(f"plot written to {args.plot}")
    return 0
