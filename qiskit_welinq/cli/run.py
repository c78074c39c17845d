"""``welinq run CIRCUIT.qasm --cluster PRESET_OR_FILE``: run an OpenQASM circuit on a cluster."""

from __future__ import annotations

import argparse
import json

from qiskit_welinq.cli._common import format_counts, load_cluster, load_qasm, print_report


def register(sub) -> None:  # noqa: ANN001
    """Add the ``run`` subcommand to the parser's subcommands."""
    p = sub.add_parser("run", help="run an OpenQASM circuit on a cluster")
    p.add_argument("circuit")
    p.add_argument("--cluster", default="ideal", help="preset name or cluster JSON file")
    p.add_argument("--shots", type=int, default=1024)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--top", type=int, default=16, help="outcomes to print")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from qiskit_welinq.backend import ClusterBackend

    qc = load_qasm(args.circuit)
    cluster = load_cluster(args.cluster)
    backend = ClusterBackend(cluster)
    result = backend.run(qc, shots=args.shots, seed_simulator=args.seed).result()
    meta = result.results[0].metadata
    if args.json:
        print(json.dumps({"counts": result.get_counts(), "report": meta["welinq"], "method": meta["method"]}))
        return 0
    print_report(meta["welinq"])
    print("counts:")
    for line in format_counts(result.get_counts(), top=args.top):
        print("  " + line)
    return 0


