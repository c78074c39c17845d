"""Cirq explicit mode: ClusterSimulator on the demo preset, Pauli channels as PauliChannel vs
plain cirq.MixedUnitaryChannel (same process).

The case: a 12-qubit QFT (``cirq.qft``) measured, ``ClusterSimulator("demo", mode="explicit")``;
its explicit circuit has 16 qubits, mid-circuit measurements, feed-forward and about 300 Pauli
channels, so Cirq simulates repetition by repetition. ``before`` converts every channel to a
``cirq.MixedUnitaryChannel`` (Cirq multiplies the state by the drawn Pauli, the identity
included), ``after`` to welinq's PauliChannel (draws the string, applies only non-identity
Paulis). Each run is a fresh simulator, compilation included.

Not a test (timings vary with the machine's load): run it.

Reproduce:
    python benchmarks/cirq_explicit.py --repetitions 1000
"""

from __future__ import annotations

import argparse
import os
import time

import cirq
import numpy as np

import cirq_welinq.convert as convert
from cirq_welinq import ClusterSimulator


def _plain(terms):
    kept = [(label, p) for label, p in terms if p > 0]
    if all(set(label) == {"I"} for label, _ in kept):
        return None
    return cirq.MixedUnitaryChannel([(p, convert.gates.pauli_matrix(label)) for label, p in kept])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repetitions", type=int, default=1000)
    ap.add_argument("--qubits", type=int, default=12)
    args = ap.parse_args()
    q = cirq.LineQubit.range(args.qubits)
    circuit = cirq.Circuit(cirq.qft(*q), cirq.measure(*q, key="m"))
    fast = convert._pauli_mixture_of
    times = {}
    for name, fn in (("before (MixedUnitaryChannel)", _plain), ("after (PauliChannel)", fast)):
        convert._pauli_mixture_of = fn
        sim = ClusterSimulator("demo", mode="explicit", seed=1)
        t0 = time.perf_counter()
        result = sim.run(circuit, repetitions=args.repetitions)
        times[name] = time.perf_counter() - t0
        assert result.measurements["m"].shape == (args.repetitions, args.qubits)
    convert._pauli_mixture_of = fast
    load = os.getloadavg()[0]
    print(f"# Cirq explicit mode, {args.qubits}-qubit QFT on demo, {args.repetitions} repetitions, "
          f"load average {load:.1f}\n")
    print("| Pauli channels as | time | ratio |")
    print("|---|---|---|")
    base = times["before (MixedUnitaryChannel)"]
    for name, t in times.items():
        print(f"| {name} | {t:.1f} s | {t / base:.2f} |")


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
