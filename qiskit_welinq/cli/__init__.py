"""The ``welinq`` command line.

Subcommands (one module each in this package; each module has ``register(subparsers)``):

* ``welinq demo``: a built-in circuit on a built-in cluster; prints the report and
  the counts next to the monolithic run.
* ``welinq run CIRCUIT.qasm --cluster FILE_OR_PRESET --shots N``
* ``welinq presets``
* ``welinq partition CIRCUIT.qasm --qpus K --qubits-per-qpu C [--topology T] --json``
* ``welinq qec --distances 3,5,7 --bulk 0.001 --interface 0.03:0.3:8 --csv FILE --plot FILE``
* ``welinq sweep CIRCUIT.qasm ... --cluster C --vary KEY=VALUES ... --out results.csv``
* ``welinq plot results.csv --x KEY --y COLUMN [--group-by KEY] --out figure.png``

OpenQASM 2 and 3 are both accepted (detected from the header).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from qiskit_welinq.cli import demo, partition, plot, presets, qec, run, sweep
from qiskit_welinq.cli._common import load_cluster, load_qasm
from welinq_core.errors import WelinqError

__all__ = ["main", "build_parser", "load_qasm", "load_cluster"]

#: The subcommand modules, in the order ``welinq --help`` lists them.
SUBCOMMANDS = (demo, run, presets, partition, qec, sweep, plot)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and documentation)."""
    parser = argparse.ArgumentParser(prog="welinq", description="Run circuits on a virtual networked cluster of QPUs.")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.register(sub)
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
