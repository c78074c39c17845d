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
on the equivalent monolithic noisy circuit (same local noise, the Werner pair's channel on
the k - 1 CNOTs between QPUs): built with ``Circuit.append`` then compiled and sampled, and
the sampling alone. Modules the run imports lazily are imported before the clock starts
(this matters where Python runs without bytecode caches). Then the stages one by one.

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
    """The equivalent monolithic noisy GHZ circuit in stim: same local noise, link noise on
    the k - 1 seam CNOTs; built with ``Circuit.append``, instruction by instruction."""
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


class _Clock:
    """Wall and CPU seconds of this process since ``start()`` (stim and the pipeline are
    single-threaded: on an idle machine the two agree; under load the CPU time still
    measures the work)."""

    def start(self) -> None:
        import time

        self.t = (time.perf_counter(), time.process_time())

    def stop(self) -> tuple[float, float]:
        import time

        return time.perf_counter() - self.t[0], time.process_time() - self.t[1]


def _stages(qc, cluster, shots: int) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds of each stage of one run, called one after the other (after the
    timed runs: small caches, e.g. of noise tables, are warm)."""
    from qiskit_welinq.backend import circuit_ir
    from welinq_core.lowering import lower
    from welinq_core.noise import add_noise
    from welinq_core.partitioning import partition_and_plan
    from welinq_core.qec.stim_sampler import sample_memory, to_stim
    from welinq_core.schedule import schedule

    out: dict[str, tuple[float, float]] = {}
    clock = _Clock()
    clock.start()
    ir = circuit_ir(qc)
    out["Qiskit -> IR"] = clock.stop()
    clock.start()
    part, plan = partition_and_plan(ir, cluster, seed=None)
    out["partition"] = clock.stop()
    clock.start()
    program = lower(ir, cluster, part.assignment, protocols=part.protocols, plan=plan)
    out["lower (the partitioner's plan)"] = clock.stop()
    clock.start()
    timed = schedule(program, seed=None)
    out["schedule"] = clock.stop()
    clock.start()
    noisy = add_noise(program, mode="effective", pair_states=timed.pair_states(),
                      idle_durations=timed.idle_durations(), effective_rendering="drawn",
                      copy_idle_durations=timed.copy_idle_durations())
    out["noise rendering"] = clock.stop()
    clock.start()
    stim_program = to_stim(noisy.circuit)
    out["IR -> stim"] = clock.stop()
    clock.start()
    memory = sample_memory(stim_program, shots=shots, seed=3, num_clbits=qc.num_clbits)
    out["stim compile + sample + integers"] = clock.stop()
    clock.start()
    counts: dict[str, int] = {}
    for v in memory:
        key = hex(v)
        counts[key] = counts.get(key, 0) + 1
    out["counts"] = clock.stop()
    return out


def ghz(args: argparse.Namespace) -> None:
    import os

    from qiskit import QuantumCircuit

    import tqdm  # noqa: F401  (modules a run imports lazily, imported before the clock starts)
    import welinq_core.partitioning.partitioner  # noqa: F401
    import welinq_core.qec.stim_sampler  # noqa: F401
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
    clock = _Clock()
    clock.start()
    circuit = _monolithic_stim(n, k)
    build = clock.stop()
    clock.start()
    circuit.compile_sampler(seed=1).sample(shots)
    sample = clock.stop()
    append = (build[0] + sample[0], build[1] + sample[1])

    backend = ClusterBackend(cluster)
    clock.start()
    result = backend.run(qc, shots=shots, seed_simulator=1).result()
    cold = clock.stop()
    clock.start()
    backend.run(qc, shots=shots, seed_simulator=2).result()
    warm = clock.stop()
    meta = result.results[0].metadata
    counts = result.get_counts()
    ends = counts.get("0" * n, 0) + counts.get("1" * n, 0)
    stages = _stages(qc, cluster, shots)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"GHZ, {n} qubits on {k} QPUs (line), F = {BELL_F} links, local noise p1={P1}, p2={P2}, "
          f"readout {READOUT}; {shots:,} shots; Python {platform.python_version()}; load average {load:.2f}\n")
    print("| run | wall s | CPU s | CPU / stim sampling | CPU / stim append + sampling |")
    print("|---|---|---|---|---|")
    for label, (wall, cpu) in (
        ("stim alone: compile and sample the built circuit", sample),
        ("stim alone: build with `Circuit.append`, compile, sample", append),
        ("ClusterBackend.run, first run (convert, partition, lower, schedule, noise, stim, counts)", cold),
        ("ClusterBackend.run, same circuit again (compiled program cached)", warm),
    ):
        print(f"| {label} | {wall:.3f} | {cpu:.3f} | {cpu / sample[1]:.1f} | {cpu / append[1]:.1f} |")
    print("\nStages of one run, timed one by one afterwards:\n")
    print("| stage | wall s | CPU s |")
    print("|---|---|---|")
    for name, (wall, cpu) in stages.items():
        print(f"| {name} | {wall:.3f} | {cpu:.3f} |")
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
