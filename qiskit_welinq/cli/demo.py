"""``welinq demo``: a built-in circuit on a built-in cluster, next to one QPU and the ideal run."""

from __future__ import annotations

import argparse
import time

from qiskit_welinq.cli._common import load_cluster, positive_int, print_report, safe_text
from welinq_core.seeding import check_seed
from welinq_core.cluster import Cluster


def register(sub) -> None:  # noqa: ANN001
    """Add the ``demo`` subcommand to the parser's subcommands."""
    p = sub.add_parser(
        "demo", help="run a built-in circuit on a built-in cluster and print the report",
        description="Run a GHZ circuit on a cluster (12 qubits, or as many as a smaller cluster holds); "
        "print the report and the counts next to the same circuit on one QPU with the same local noise and "
        "on a perfect machine.",
    )
    p.add_argument("--shots", type=positive_int, default=4000, help="number of shots")
    p.add_argument("--seed", type=int, default=1, help="seed of the sampler")
    p.add_argument("--cluster", default="demo",
                   help="preset name or cluster JSON file; 'demo' is 3 neutral-atom QPUs on a line with noisy links")
    p.set_defaults(func=cmd_demo)


def _demo_circuit(num_qubits: int = 12):  # noqa: ANN202
    """A GHZ circuit on ``num_qubits`` qubits (12 by default; fewer on a smaller cluster)."""
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(num_qubits, num_qubits, name=f"ghz{num_qubits}")
    qc.h(0)
    for i in range(num_qubits - 1):
        qc.cx(i, i + 1)
    qc.measure(range(num_qubits), range(num_qubits))
    return qc


def cmd_demo(args: argparse.Namespace) -> int:
    import dataclasses

    from qiskit_aer import AerSimulator

    from qiskit_welinq.backend import ClusterBackend

    check_seed(args.seed, name="--seed")
    cluster = load_cluster(args.cluster)
    qc = _demo_circuit(min(12, cluster.num_data_qubits))
    print(f"welinq demo: {qc.name} ({qc.num_qubits} qubits, {qc.size()} operations) on cluster "
          f"{safe_text(repr(cluster.name))}: "
          f"{cluster.num_qpus} QPUs, {cluster.num_data_qubits} data qubits, {len(cluster.links)} link(s)")
    t0 = time.perf_counter()
    result = ClusterBackend(cluster).run(qc, shots=args.shots, seed_simulator=args.seed).result()
    elapsed = time.perf_counter() - t0
    meta = result.results[0].metadata
    print()
    print_report(meta["welinq"])
    simulator = "stim" if meta["method"] == "stim" else f"Aer {meta['method']}"
    print(f"engine: {simulator} on {meta['simulated_qubits']} qubits, {elapsed:.2f} s for {args.shots} shots")
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


