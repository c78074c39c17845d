"""The ``welinq`` command line.

Subcommands:

* ``welinq demo``: a built-in circuit on a built-in cluster; prints the report and
  the counts next to the monolithic run.
* ``welinq run CIRCUIT.qasm --cluster FILE_OR_PRESET --shots N``
* ``welinq presets``
* ``welinq partition CIRCUIT.qasm --qpus K --qubits-per-qpu C [--topology T] --json``

OpenQASM 2 and 3 are both accepted (detected from the header).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

from welinq_core.cluster import Cluster
from welinq_core.cluster_presets import cluster_preset_description, cluster_preset_names
from welinq_core.errors import WelinqError
from welinq_core.lowering import lower
from welinq_core.partition import partition_circuit

__all__ = ["main", "load_qasm", "load_cluster"]


def load_qasm(path: str):  # noqa: ANN201
    """Read an OpenQASM 2 or 3 file into a Qiskit circuit."""
    from qiskit import qasm2, qasm3

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as err:
        raise WelinqError(f"cannot read circuit file {path!r}: {err.strerror}") from err
    header = next((line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("//")), "")
    try:
        if header.startswith("OPENQASM 3"):
            return qasm3.loads(text)
        return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except Exception as err:  # the QASM parsers raise several unrelated types
        raise WelinqError(f"cannot parse {path!r} as OpenQASM: {err}") from err


def load_cluster(spec: str) -> Cluster:
    """A preset name, a path to a cluster JSON file, or JSON text."""
    if spec in cluster_preset_names():
        return Cluster.preset(spec)
    return Cluster.from_json(spec)


def _demo_circuit():  # noqa: ANN202
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(12, 12, name="ghz12")
    qc.h(0)
    for i in range(11):
        qc.cx(i, i + 1)
    qc.measure(range(12), range(12))
    return qc


def _format_counts(counts: dict[str, int], top: int = 8) -> list[str]:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [f"{k}: {v}" for k, v in items]


def _print_report(meta: dict) -> None:
    from welinq_core.report import Report

    print(Report(**{**meta, "assignment": tuple(meta["assignment"])}))


def cmd_demo(args: argparse.Namespace) -> int:
    import dataclasses

    from qiskit_aer import AerSimulator

    from qiskit_welinq.backend import ClusterBackend

    cluster = Cluster.preset(args.cluster)
    qc = _demo_circuit()
    print(f"welinq demo: {qc.name} ({qc.num_qubits} qubits, {qc.size()} operations) on cluster {cluster.name!r}: "
          f"{cluster.num_qpus} QPUs, {cluster.num_data_qubits} data qubits, {len(cluster.links)} link(s)")
    t0 = time.perf_counter()
    result = ClusterBackend(cluster).run(qc, shots=args.shots, seed_simulator=args.seed).result()
    elapsed = time.perf_counter() - t0
    meta = result.results[0].metadata
    print()
    _print_report(meta["welinq"])
    print(f"engine: Aer {meta['method']} on {meta['simulated_qubits']} qubits, {elapsed:.2f} s for {args.shots} shots")
    # The same circuit on one QPU with the same local noise (no links), and on a perfect machine.
    one_qpu = Cluster.homogeneous(
        num_qpus=1, data_qubits_per_qpu=cluster.num_data_qubits, qpu=dataclasses.replace(cluster.qpus[0]),
        name="one-qpu",
    )
    single = ClusterBackend(one_qpu).run(qc, shots=args.shots, seed_simulator=args.seed).result().get_counts()
    ideal = AerSimulator().run(qc, shots=args.shots, seed_simulator=args.seed).result().get_counts()
    dist = result.get_counts()
    print()
    print(f"{'outcome':>14} {'cluster':>8} {'one QPU':>8} {'ideal':>8}")
    keys = sorted(set(ideal) | set(dist) | set(single), key=lambda k: -(dist.get(k, 0) + ideal.get(k, 0)))
    for key in keys[:8]:
        print(f"{key:>14} {dist.get(key, 0):>8} {single.get(key, 0):>8} {ideal.get(key, 0):>8}")
    if len(keys) > 8:
        print(f"{'...':>14} ({len(keys) - 8} more outcomes)")
    good = ("0" * qc.num_qubits, "1" * qc.num_qubits)
    for label, counts in (("cluster", dist), ("one QPU", single), ("ideal", ideal)):
        p = sum(counts.get(k, 0) for k in good) / args.shots
        print(f"P(all equal) on {label:>7}: {p:.3f}")
    return 0


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
    _print_report(meta["welinq"])
    print("counts:")
    for line in _format_counts(result.get_counts(), top=args.top):
        print("  " + line)
    return 0


def cmd_presets(args: argparse.Namespace) -> int:  # noqa: ARG001
    for name in cluster_preset_names():
        print(f"{name:>16}  {cluster_preset_description(name)}")
    return 0


def cmd_partition(args: argparse.Namespace) -> int:
    from qiskit import transpile

    from qiskit_welinq.convert import BASIS_GATES, circuit_from_qiskit

    qc = load_qasm(args.circuit)
    qc = transpile(qc, basis_gates=list(BASIS_GATES), optimization_level=0)
    ir = circuit_from_qiskit(qc)
    cluster = Cluster.homogeneous(
        num_qpus=args.qpus, data_qubits_per_qpu=args.qubits_per_qpu, topology=args.topology
    )
    t0 = time.perf_counter()
    partition = partition_circuit(ir, cluster, seed=args.seed, objective=args.objective, protocols=args.protocols)
    seconds = time.perf_counter() - t0
    program = lower(ir, cluster, partition.assignment, protocols=partition.protocols)
    out = {
        "ebits": partition.bell_pairs,
        "bell_pairs": program.num_bell_pairs,
        "assignment": list(partition.assignment),
        "seconds": seconds,
        "nonlocal_gates": partition.nonlocal_gates,
        "packets": len(program.packets),
        "bell_pairs_per_link": {f"{a}-{b}": n for (a, b), n in program.bell_pairs_per_link().items()},
        "method": partition.method,
        "objective": partition.objective,
        "protocols": list(partition.protocols),
        "teleports": len(program.teleports),
    }
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and documentation)."""
    parser = argparse.ArgumentParser(prog="welinq", description="Run circuits on a virtual networked cluster of QPUs.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="run a built-in circuit on a built-in cluster and print the report")
    p.add_argument("--shots", type=int, default=4000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--cluster", default="demo", help="preset name (default: demo, 3 neutral-atom QPUs on a line)")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("run", help="run an OpenQASM circuit on a cluster")
    p.add_argument("circuit")
    p.add_argument("--cluster", default="ideal", help="preset name or cluster JSON file")
    p.add_argument("--shots", type=int, default=1024)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--top", type=int, default=16, help="outcomes to print")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("presets", help="list the cluster presets")
    p.set_defaults(func=cmd_presets)
    p = sub.add_parser("partition", help="partition an OpenQASM circuit and print its Bell-pair cost")
    p.add_argument("circuit")
    p.add_argument("--qpus", type=int, required=True)
    p.add_argument("--qubits-per-qpu", type=int, required=True)
    p.add_argument("--topology", default="all-to-all")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--objective", default="ebits", help="ebits (fewest Bell pairs) or fidelity")
    p.add_argument("--protocols", default="telegate",
                   help="comma-separated: telegate (default) or telegate,teledata (also teleport qubits)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_partition)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``welinq`` command."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except WelinqError as err:
        print(f"welinq: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
