"""``welinq partition CIRCUIT.qasm --qpus K --qubits-per-qpu C``: place a circuit and print its Bell-pair cost."""

from __future__ import annotations

import argparse
import json
import time

from qiskit_welinq.cli._common import load_qasm, positive_int
from welinq_core.resources import check_network_size
from welinq_core.seeding import check_seed
from welinq_core.cluster import Cluster
from welinq_core.lowering import lower
from welinq_core.partitioning import partition_circuit


def register(sub) -> None:  # noqa: ANN001
    """Add the ``partition`` subcommand to the parser's subcommands."""
    p = sub.add_parser("partition", help="partition an OpenQASM circuit and print its Bell-pair cost")
    p.add_argument("circuit")
    p.add_argument("--qpus", type=positive_int, required=True)
    p.add_argument("--qubits-per-qpu", type=positive_int, required=True)
    p.add_argument("--topology", default="all-to-all")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--objective", default="ebits", help="ebits (fewest Bell pairs) or fidelity")
    p.add_argument("--protocols", default="telegate",
                   help="comma-separated: telegate (default) or telegate,teledata (also teleport qubits)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_partition)


def cmd_partition(args: argparse.Namespace) -> int:
    from qiskit import transpile

    from qiskit_welinq.convert import BASIS_GATES, circuit_from_qiskit

    seed = check_seed(args.seed, name="--seed")
    cluster = Cluster.homogeneous(
        num_qpus=args.qpus, data_qubits_per_qpu=args.qubits_per_qpu, topology=args.topology
    )
    check_network_size(cluster)
    qc = load_qasm(args.circuit, max_qubits=cluster.num_data_qubits)
    qc = transpile(qc, basis_gates=list(BASIS_GATES), optimization_level=0)
    ir = circuit_from_qiskit(qc)
    t0 = time.perf_counter()
    partition = partition_circuit(ir, cluster, seed=seed, objective=args.objective, protocols=args.protocols)
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


