"""Surface codes across QPUs (Ramette et al. 2024) and the stim engine; prints markdown tables.

Part ``ramette``: rotated surface-code Z memory (d rounds) cut by a vertical seam into
two QPUs; uniform circuit-level depolarizing bulk noise; two-qubit depolarizing noise on
every CNOT across the seam. Two sweeps, decoded with pymatching through sinter and
appended to ``benchmarks/results/qec_ramette.csv`` (resumable; tutorial 07 reads it):

* interface sweep: d = 3, 5, 7 at bulk 0.1 %, interface 3 % to 30 %;
* bulk sweep: d = 3, 5, 7 with a noiseless interface, bulk 0.3 % to 1.5 %.

The threshold estimates are the crossings of consecutive distances' logical error per
shot (experiments of d rounds).

Part ``ghz``: an n-qubit GHZ circuit on k QPUs with F = 0.97 Werner links, 10,000 shots,
through ``ClusterBackend.run`` (stim engine chosen automatically) against stim's own time
on the equivalent monolithic noisy circuit (same local noise, link noise as a two-qubit
depolarizing channel on the k - 1 CNOTs between QPUs).

Reproduce:
    python benchmarks/qec.py ramette              # ~10-20 min on 2 cores
    python benchmarks/qec.py ramette --quick      # small shot budget
    python benchmarks/qec.py ghz                  # 1,000 qubits on 10 QPUs, 10,000 shots
"""

from __future__ import annotations

import argparse
import pathlib
import platform
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent
RAMETTE_CSV = ROOT / "results" / "qec_ramette.csv"
INTERFACE_SWEEP = dict(distances=[3, 5, 7], bulk_errors=[0.001],
                       interface_errors=[float(f"{x:.4g}") for x in np.geomspace(0.03, 0.3, 9)])
BULK_SWEEP = dict(distances=[3, 5, 7], bulk_errors=[float(f"{x:.4g}") for x in np.geomspace(0.003, 0.015, 8)],
                  interface_errors=[0.0])


def ramette(args: argparse.Namespace) -> None:
    from welinq_core.qec.collect import (
        collect_memory,
        logical_error_points,
        memory_tasks,
        threshold_crossings,
    )

    tasks = memory_tasks(**INTERFACE_SWEEP) + memory_tasks(**BULK_SWEEP)
    shots, errors = (20_000, 100) if args.quick else (args.max_shots, args.max_errors)
    stats = collect_memory(tasks, csv_path=args.csv, max_shots=shots, max_errors=errors, num_workers=args.workers,
                           print_progress=args.progress)
    points = logical_error_points(stats)
    print(f"Surface-code memory across two QPUs (Python {platform.python_version()}, "
          f"{args.workers or 'all'} workers, max_shots={shots}, max_errors={errors})\n")
    print("| sweep | d | bulk | interface | shots | errors | logical error / shot | per round |")
    print("|---|---|---|---|---|---|---|---|")
    for p in points:
        sweep = "interface" if p.bulk_error == 0.001 and p.interface_error > 0 else "bulk"
        print(f"| {sweep} | {p.distance} | {p.bulk_error:g} | {p.interface_error:g} | {p.shots} | {p.errors} | "
              f"{p.per_shot:.3e} | {p.per_round:.3e} |")
    print()
    inter = [p for p in points if p.bulk_error == 0.001 and p.interface_error > 0]
    bulk = [p for p in points if p.interface_error == 0.0]
    for name, pts, along in (("interface threshold (bulk 0.1 %)", inter, "interface_error"),
                             ("bulk threshold (clean interface)", bulk, "bulk_error")):
        for c in threshold_crossings(pts, along=along):
            print(f"{name}: d={c.small}/d={c.large} cross at {c.value:.4g} "
                  f"(between {c.bracket[0]:g} and {c.bracket[1]:g})")
    print(f"\ndata: {args.csv}\ncommand: python benchmarks/qec.py ramette" + (" --quick" if args.quick else ""))


P1, P2, READOUT, BELL_F = 1e-3, 1e-2, 1e-2, 0.97


def _monolithic_stim(n: int, k: int):
    """The equivalent monolithic noisy GHZ circuit in stim: same local noise, link noise on the k - 1 seam CNOTs."""
    import stim

    per = n // k
    q = (1 - BELL_F) / 3
    c = stim.Circuit()
    c.append("H", [0])
    c.append("DEPOLARIZE1", [0], P1)
    for i in range(n - 1):
        c.append("CX", [i, i + 1])
        c.append("DEPOLARIZE2", [i, i + 1], P2)
        if (i + 1) % per == 0:  # remote CNOT: Werner pair channel I(x)X, Z(x)X, Z(x)I
            c.append("PAULI_CHANNEL_2", [i, i + 1], [q, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, q, q, 0, 0])
    c.append("X_ERROR", range(n), READOUT)
    c.append("M", range(n))
    return c


def ghz(args: argparse.Namespace) -> None:
    import time

    from qiskit import QuantumCircuit

    from qiskit_welinq import ClusterBackend
    from welinq_core.cluster import QPU, Cluster, Link

    n, k, shots = args.qubits, args.qpus, args.shots
    qc = QuantumCircuit(n, n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure(range(n), range(n))
    qpu = QPU(name="q", num_data_qubits=n // k, single_qubit_gate_error=P1, two_qubit_gate_error=P2,
              readout_error=READOUT)
    cluster = Cluster.homogeneous(num_qpus=k, data_qubits_per_qpu=n // k, qpu=qpu, topology="line",
                                  link=Link(bell_pair_fidelity=BELL_F))

    t = time.perf_counter()
    sampler = _monolithic_stim(n, k).compile_sampler(seed=1)
    sampler.sample(shots)
    t_stim = time.perf_counter() - t

    backend = ClusterBackend(cluster)
    t = time.perf_counter()
    result = backend.run(qc, shots=shots, seed_simulator=1).result()
    t_cold = time.perf_counter() - t
    t = time.perf_counter()
    backend.run(qc, shots=shots, seed_simulator=2).result()
    t_warm = time.perf_counter() - t
    meta = result.results[0].metadata
    counts = result.get_counts()
    ends = counts.get("0" * n, 0) + counts.get("1" * n, 0)
    print(f"GHZ, {n} qubits on {k} QPUs (line), F = {BELL_F} links, local noise p1={P1}, p2={P2}, "
          f"readout {READOUT}; {shots:,} shots; Python {platform.python_version()}\n")
    print("| run | seconds | / stim |")
    print("|---|---|---|")
    print(f"| stim alone, monolithic noisy circuit (compile + sample) | {t_stim:.3f} | 1.0 |")
    print(f"| ClusterBackend.run, first run (partition, lower, schedule, noise, stim, counts) | {t_cold:.2f} | "
          f"{t_cold / t_stim:.1f} |")
    print(f"| ClusterBackend.run, same circuit again (compiled program cached) | {t_warm:.2f} | "
          f"{t_warm / t_stim:.1f} |")
    print(f"\nmethod: {meta['method']} ({meta.get('method_reason', '')}); Bell pairs: "
          f"{meta['welinq']['total_bell_pairs']}; all-0 or all-1 shots: {ends} of {shots}")
    print(f"command: python benchmarks/qec.py ghz --qubits {n} --qpus {k} --shots {shots}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="part", required=True)
    r = sub.add_parser("ramette", help="interface and bulk thresholds (sinter sweep)")
    r.add_argument("--csv", default=str(RAMETTE_CSV))
    r.add_argument("--max-shots", type=int, default=1_000_000)
    r.add_argument("--max-errors", type=int, default=1000)
    r.add_argument("--workers", type=int, default=None)
    r.add_argument("--quick", action="store_true")
    r.add_argument("--progress", action="store_true")
    r.set_defaults(func=ramette)
    g = sub.add_parser("ghz", help="stim engine: big GHZ through ClusterBackend vs stim alone")
    g.add_argument("--qubits", type=int, default=1000)
    g.add_argument("--qpus", type=int, default=10)
    g.add_argument("--shots", type=int, default=10_000)
    g.set_defaults(func=ghz)
    args = parser.parse_args(argv)
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
