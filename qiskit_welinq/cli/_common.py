"""What the subcommands share: reading circuits and clusters, printing reports safely.

Files are read only if they are regular files of bounded size in UTF-8; a circuit
file's declared width is checked before it is parsed; text from files is escaped
before it reaches the terminal.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable

from welinq_core.cluster import Cluster
from welinq_core.cluster_presets import cluster_preset_names
from welinq_core.cluster_schema import read_document_file
from welinq_core.errors import CircuitError, ClusterSpecError
from welinq_core.run_options import suggest

__all__ = [
    "load_qasm",
    "load_cluster",
    "format_counts",
    "print_report",
    "safe_text",
    "int_at_least",
    "positive_int",
    "nonnegative_int",
    "MAX_QASM_BYTES",
    "MAX_QASM_QUBITS",
]

#: Largest circuit file read (bytes).
MAX_QASM_BYTES = 64 * 2**20
#: Most qubits (or classical bits) a circuit file may declare.
MAX_QASM_QUBITS = 1_000_000

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_QUBITS = re.compile(r"\bqreg\s+[A-Za-z_]\w*\s*\[\s*(\d+)\s*\]|\bqubit\s*\[\s*(\d+)\s*\]", re.ASCII)
_BITS = re.compile(r"\bcreg\s+[A-Za-z_]\w*\s*\[\s*(\d+)\s*\]|\bbit\s*\[\s*(\d+)\s*\]", re.ASCII)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows every option's default after its help text (unless the text already states it)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "default" in text or action.default in (None, False, argparse.SUPPRESS):
            return action.help
        return super()._get_help_string(action)


class RawDescriptionHelpFormatter(argparse.RawDescriptionHelpFormatter, HelpFormatter):
    """Keeps the description's line breaks (examples) and shows every option's default."""


def safe_text(text: object) -> str:
    """``text`` with control and escape characters shown as ``\\xNN`` (newlines and tabs kept).

    Examples:
        >>> safe_text("qpu\\x1b[31m")
        'qpu\\\\x1b[31m'
    """
    return _CONTROL.sub(lambda m: ascii(m.group())[1:-1], str(text))


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer of at least ``minimum``.

    Examples:
        >>> int_at_least(1)("3")
        3
        >>> int_at_least(1)("0")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: 0 must be >= 1
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} must be >= {minimum}")
        return value

    return parse


#: argparse types: an integer >= 1, an integer >= 0.
positive_int = int_at_least(1)
nonnegative_int = int_at_least(0)


def _declared(pattern: re.Pattern[str], text: str) -> int:
    """Total size of the registers ``pattern`` finds in OpenQASM text, without parsing it."""
    return sum(int(m.group(1) or m.group(2)) for m in pattern.finditer(text))


def load_qasm(path: str, *, max_qubits: int | None = None):  # noqa: ANN201
    """Read an OpenQASM 2 or 3 file into a Qiskit circuit.

    Args:
        path: The file (a regular UTF-8 file of at most :data:`MAX_QASM_BYTES` bytes).
        max_qubits: Refuse, before parsing, a file that declares more qubits than this
            (e.g. the cluster's data qubits); :data:`MAX_QASM_QUBITS` applies anyway.

    Raises:
        CircuitError: If the file is unreadable, empty, too large or too wide, or not OpenQASM.
    """
    from qiskit import qasm2, qasm3

    text = read_document_file(path, what="circuit file", max_bytes=MAX_QASM_BYTES, error=CircuitError)
    shown = safe_text(repr(os.fspath(path)))
    lines = [line.strip() for line in text.splitlines()]
    header = next((line for line in lines if line and not line.startswith("//")), "")
    if not header:
        raise CircuitError(f"circuit file {shown} is empty; give an OpenQASM 2 or 3 program (OPENQASM 2.0; ...)")
    qubits, bits = _declared(_QUBITS, text), _declared(_BITS, text)
    limit = MAX_QASM_QUBITS if max_qubits is None else min(max_qubits, MAX_QASM_QUBITS)
    if qubits > limit:
        where = (f"the cluster's {max_qubits} data qubits" if max_qubits is not None and max_qubits < MAX_QASM_QUBITS
                 else f"the limit of {MAX_QASM_QUBITS}")
        raise CircuitError(
            f"circuit file {shown} declares {qubits} qubits, more than {where}; use a larger cluster "
            "(see welinq presets) or a smaller circuit"
        )
    if bits > MAX_QASM_QUBITS:
        raise CircuitError(
            f"circuit file {shown} declares {bits} classical bits, more than the limit of {MAX_QASM_QUBITS}"
        )
    try:
        if header.startswith("OPENQASM 3"):
            return qasm3.loads(text)
        return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except Exception as err:  # noqa: BLE001 - the QASM parsers raise several unrelated types
        version = "3" if header.startswith("OPENQASM 3") else "2"
        detail = " ".join(str(err).split()) or " ".join(str(err.__cause__ or "").split()) or type(err).__name__
        raise CircuitError(
            f"cannot parse {shown} as OpenQASM {version}: {safe_text(detail[:300])}"
        ) from err


def load_cluster(spec: str) -> Cluster:
    """A preset name, a path to a cluster JSON file, or JSON text.

    Raises:
        ClusterSpecError: For an unknown name (listing the presets) or a bad file.
    """
    names = cluster_preset_names()
    if spec in names:
        return Cluster.preset(spec)
    if spec.lstrip().startswith("{") or os.path.lexists(spec):
        return Cluster.from_json(spec)
    raise ClusterSpecError(
        f"no cluster preset or file named {safe_text(repr(spec))}{suggest(spec, names)}; presets are "
        f"{', '.join(names)} (see welinq presets), or give a path to a cluster JSON file (docs/cluster-format.md)"
    )


def format_counts(counts: dict[str, int], top: int = 8) -> list[str]:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [f"{safe_text(k)}: {v}" for k, v in items]


def print_report(meta: dict) -> None:
    from welinq_core.report import Report

    print(safe_text(Report(**{**meta, "assignment": tuple(meta["assignment"])})))
