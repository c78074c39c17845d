"""Cluster construction and loading scale linearly in the number of QPUs.

Builds line clusters of N QPUs with ``Cluster.homogeneous`` and reads them back with
``Cluster.from_json`` (schema check included), timing each against N = 1000 in the same
process; a linear cost gives time ratios close to the size ratios. Prints a markdown
table and the command that reproduces it.

    python benchmarks/cluster_scaling.py            # N up to 20,000
    python benchmarks/cluster_scaling.py --quick    # N up to 4,000
"""

from __future__ import annotations

import argparse
import time

from welinq_core import Cluster


def _best(fn, repeat: int = 3) -> float:  # noqa: ANN001
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [1000, 2000, 4000] if args.quick else [1000, 2000, 5000, 10_000, 20_000]
    rows = []
    base_build = base_load = None
    for n in sizes:
        cluster = Cluster.homogeneous(num_qpus=n, data_qubits_per_qpu=4, topology="line")
        text = cluster.to_json(indent=None)
        build = _best(lambda: Cluster.homogeneous(num_qpus=n, data_qubits_per_qpu=4, topology="line"))
        load = _best(lambda: Cluster.from_json(text), repeat=2)
        base_build = base_build or build
        base_load = base_load or load
        rows.append((n, n / sizes[0], build, build / base_build, load, load / base_load))
    print("| QPUs | size ratio | build (s) | build ratio | load JSON (s) | load ratio |")
    print("|---|---|---|---|---|---|")
    for n, size, build, br, load, lr in rows:
        print(f"| {n} | {size:.0f} | {build:.3f} | {br:.1f} | {load:.3f} | {lr:.1f} |")
    print(f"\n`python benchmarks/cluster_scaling.py{' --quick' if args.quick else ''}`")


if __name__ == "__main__":
    main()
