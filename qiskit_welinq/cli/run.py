"""``welinq run CIRCUIT.qasm --cluster PRESET_OR_FILE``: run an OpenQASM circuit on a cluster."""

from __future__ import annotations

import argparse
import json

from qiskit_welinq.cli._common import (
    format_counts,
    load_cluster,
    load_qasm,
    nonnegative_int,
    positive_int,
    print_report,
)
from welinq_core.errors import CircuitError
from welinq_core.resources import check_shots
from welinq_core.seeding import check_seed
from welinq_core.cluster_presets import DEFAULT_CLUSTER_PRESET

#: What ``welinq run --json`` prints (also shown by ``welinq run --help``).
JSON_HELP = """\
with --json, one JSON object is printed on stdout: "counts" maps each outcome
(bit string, classical bit 0 rightmost, registers separated by spaces as in Qiskit) to
its count; "report" is the run's report (cluster, mode, assignment, qubits_per_qpu,
bell_pairs_per_link, total_bell_pairs, remote_gates, num_packets, schedule and noise
summaries, ...: the same fields as result.results[0].metadata["welinq"] in Python);
"method" is the Aer simulation method that ran the circuit."""


def register(sub) -> None:  # noqa: ANN001
    """Add the ``run`` subcommand to the parser's subcommands."""
    p = sub.add_parser(
        "run", help="run an OpenQASM circuit on a cluster",
        description="Run an OpenQASM 2 or 3 circuit on a cluster and print the report and the counts.",
        epilog=JSON_HELP,
    )
    p.add_argument("circuit", help="OpenQASM 2 or 3 file (detected from its header)")
    p.add_argument("--cluster", default=DEFAULT_CLUSTER_PRESET,
                   help="preset name (see 'welinq presets') or path to a cluster JSON file")
    p.add_argument("--shots", type=positive_int, default=1024, help="number of shots")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the sampler; the same seed gives the same counts (default: fresh randomness)")
    p.add_argument("--mode", default="effective", choices=("effective", "explicit"),
                   help="effective: data qubits and each packet's exact channel; explicit: communication "
                   "qubits, Bell pairs, mid-circuit measurements and feed-forward simulated as such "
                   "(same distribution, slower)")
    p.add_argument("--top", type=nonnegative_int, default=16, help="how many of the most frequent outcomes to print")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text (see below)")
    p.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from qiskit_welinq.backend import ClusterBackend

    seed = check_seed(args.seed, name="--seed")
    shots = check_shots(args.shots, name="--shots")
    cluster = load_cluster(args.cluster)
    qc = load_qasm(args.circuit, max_qubits=cluster.num_data_qubits)
    if qc.num_clbits == 0:
        raise CircuitError(
            f"circuit file {args.circuit!r} measures nothing, so there are no counts to print; add measure "
            "statements (e.g. measure q -> c;)"
        )
    backend = ClusterBackend(cluster, mode=args.mode)
    result = backend.run(qc, shots=shots, seed_simulator=seed).result()
    meta = result.results[0].metadata
    if args.json:
        print(json.dumps({"counts": result.get_counts(), "report": meta["welinq"], "method": meta["method"]}))
        return 0
    print_report(meta["welinq"])
    print("counts:")
    for line in format_counts(result.get_counts(), top=args.top):
        print("  " + line)
    return 0


