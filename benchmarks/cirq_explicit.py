"""Cirq explicit mode: ClusterSimulator on the demo preset, with and without qubit reuse (same process).

The case: a 12-qubit QFT (``cirq.qft``) measured, ``ClusterSimulator("demo", mode="explicit")``;
its explicit circuit has communication qubits, mid-circuit measurements, feed-forward and about
300 Pauli channels, so Cirq simulates repetition by repetition and every simulated qubit doubles
the cost of each operation. ``without qubit reuse`` samples the explicit circuit as compiled (one
simulator qubit per data and communication qubit); ``with qubit reuse`` (the default) samples it
on the fewest qubits its live ranges need (:mod:`welinq_core.qubit_reuse`). With
``--channels``, a third row also turns every Pauli channel into a plain
``cirq.MixedUnitaryChannel`` (Cirq then multiplies the state by the drawn Pauli, the identity
included) instead of welinq's PauliChannel. Each run is a fresh simulator, compilation included.

Not a test (timings vary with the machine's load): run it.

Reproduce:
    python benchmarks/cirq_explicit.py --repetitions 100
"""

from __future__ import annotations

import argparse
import os
import time

import cirq
import numpy as np

import cirq_welinq.convert as convert
import cirq_welinq.simulator as simulator
from cirq_welinq import ClusterSimulator


def _plain(terms):
    kept = [(label, p) for label, p in terms if p > 0]
    if all(set(label) == {"I"} for label, _ in kept):
        return None
    return cirq.MixedUnitaryChannel([(p, convert.gates.pauli_matrix(label)) for label, p in kept])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repetitions", type=int, default=100)
    ap.add_argument("--qubits", type=int, default=12)
    ap.add_argument("--channels", action="store_true", help="also time plain MixedUnitaryChannel channels")
    args = ap.parse_args()
    q = cirq.LineQubit.range(args.qubits)
    circuit = cirq.Circuit(cirq.qft(*q), cirq.measure(*q, key="m"))
    fast, reuse = convert._pauli_mixture_of, simulator._fewest_qubits
    cases = [("PauliChannel, without qubit reuse", fast, lambda c: c), ("PauliChannel, with qubit reuse", fast, reuse)]
    if args.channels:
        cases.insert(0, ("MixedUnitaryChannel, without qubit reuse", _plain, lambda c: c))
    rows = []
    try:
        for name, channels, fewest in cases:
            convert._pauli_mixture_of, simulator._fewest_qubits = channels, fewest
            sim = ClusterSimulator("demo", mode="explicit", seed=1)
            t0 = time.perf_counter()
            result = sim.run(circuit, repetitions=args.repetitions)
            elapsed = time.perf_counter() - t0
            assert result.measurements["m"].shape == (args.repetitions, args.qubits)
            rows.append((name, fewest(sim.last_compiled.circuit).num_qubits, elapsed))
    finally:
        convert._pauli_mixture_of, simulator._fewest_qubits = fast, reuse
    load = os.getloadavg()[0]
    print(f"# Cirq explicit mode, {args.qubits}-qubit QFT on demo, {args.repetitions} repetitions, "
          f"load average {load:.1f}\n")
    print("| engine circuit | simulated qubits | time | ratio |")
    print("|---|---|---|---|")
    base = rows[0][2]
    for name, n, t in rows:
        print(f"| {name} | {n} | {t:.1f} s | {t / base:.2f} |")


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
