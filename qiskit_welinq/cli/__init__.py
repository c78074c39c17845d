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
* ``welinq links CLUSTER``: per-link and per-route fidelity, rate and BBM92 key rate

OpenQASM 2 and 3 are both accepted (detected from the header).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from qiskit_welinq.cli import demo, links, partition, plot, presets, qec, run, sweep
from qiskit_welinq.cli._common import HelpFormatter, load_cluster, load_qasm, safe_text
from welinq_core._version import __version__
from welinq_core.errors import WelinqError

__all__ = ["main", "build_parser", "load_qasm", "load_cluster", "EXIT_BAD_INPUT", "EXIT_INTERNAL"]

#: The subcommand modules, in the order ``welinq --help`` lists them.
SUBCOMMANDS = (demo, run, presets, partition, qec, sweep, plot, links)
#: Exit status for bad input (arguments, files, options, sizes): the message says what to fix.
EXIT_BAD_INPUT = 2
#: Exit status for an internal error (a bug: please report it).
EXIT_INTERNAL = 1
_REPORT_URL = "https://github.com/welinq/welinq/issues"


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (exit status 2) and whose help
    shows every option's default."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        _say(f"{self.prog}: error: {message}; see {self.prog} --help")
        sys.exit(EXIT_BAD_INPUT)


def _say(line: str) -> None:
    """Print one line on stderr (control characters escaped, newlines folded)."""
    print(safe_text(" ".join(str(line).split())), file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and documentation)."""
    parser = _Parser(prog="welinq", description="Run circuits on a virtual networked cluster of QPUs.",
                     epilog="Add --debug to print the full traceback of an internal error.")
    parser.add_argument("--debug", action="store_true", help="print the full traceback of an internal error")
    parser.add_argument("--version", action="version", version=f"welinq {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module in SUBCOMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``welinq`` command.

    Never prints a traceback unless ``--debug`` is given (anywhere on the command
    line) or ``WELINQ_DEBUG=1``: bad input prints one line naming the problem and the
    fix and returns 2; an internal error prints one line asking for a report and
    returns 1.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("WELINQ_DEBUG") == "1"
    argv = [a for a in argv if a != "--debug"]
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a usage error already printed
        return int(stop.code) if isinstance(stop.code, int) else EXIT_BAD_INPUT
    try:
        return int(args.func(args))
    except WelinqError as err:
        if debug:
            traceback.print_exc()
        _say(f"welinq: error: {err}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _say("welinq: interrupted")
        return 130
    except BrokenPipeError:  # the reader (e.g. head) went away: nothing more to say
        sys.stderr.close()
        return 0
    except Exception as err:  # noqa: BLE001 - the last line of defence: one line, no traceback
        if debug:
            traceback.print_exc()
        what = "ran out of memory" if isinstance(err, MemoryError) else f"{type(err).__name__}: {err}"
        _say(f"welinq: internal error: {what[:500]}; this is a bug, please report it at {_REPORT_URL} with "
             "the command line (add --debug for the full traceback)")
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
