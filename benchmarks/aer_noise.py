"""Aer's device noise model of a cluster: ``NoiseModel.from_backend`` vs ``aer_noise_model``.

Times, in one process, Aer's ``NoiseModel.from_backend(backend)`` (one Aer error per
Target entry) and :func:`qiskit_welinq.aer_noise.aer_noise_model` (one per class of
equal entries), checks that the two noise models are equal, and times the rest of
``AerSimulator.from_backend`` with the noise model given.

Usage::

    python benchmarks/aer_noise.py                 # metro-50km
    python benchmarks/aer_noise.py --cluster ideal-4-ring
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qiskit_aer import AerSimulator  # noqa: E402
from qiskit_aer.noise import NoiseModel  # noqa: E402

from qiskit_welinq import ClusterBackend  # noqa: E402
from qiskit_welinq.aer_noise import aer_noise_model, distinct_entries  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cluster", default="metro-50km", help="preset name (default: metro-50km)")
    args = parser.parse_args(argv)
    backend = ClusterBackend(args.cluster)
    start = time.perf_counter()
    _ = backend.target
    target_s = time.perf_counter() - start
    entries, distinct = distinct_entries(backend)
    print(f"cluster {args.cluster}: {backend.num_qubits} qubits, Target built in {target_s:.2f} s, "
          f"{entries} entries in {distinct} classes", flush=True)
    start = time.perf_counter()
    fast = aer_noise_model(backend)
    fast_s = time.perf_counter() - start
    print(f"  aer_noise_model(backend):         {fast_s:.2f} s", flush=True)
    start = time.perf_counter()
    AerSimulator.from_backend(backend, noise_model=fast)
    rest_s = time.perf_counter() - start
    print(f"  AerSimulator.from_backend(backend, noise_model=...): {rest_s:.2f} s", flush=True)
    start = time.perf_counter()
    reference = NoiseModel.from_backend(backend)
    aer_s = time.perf_counter() - start
    equal = fast == reference
    print(f"  NoiseModel.from_backend(backend): {aer_s:.2f} s ({aer_s / fast_s:.0f}x the time of "
          f"aer_noise_model), equal: {equal}", flush=True)
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
