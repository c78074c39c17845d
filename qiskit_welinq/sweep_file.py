"""The result file of a sweep: an append-only CSV that a rerun resumes from.

The header is the sweep's parameter names followed by :data:`RESULT_COLUMNS`; each
later line is one (point, circuit) row. :func:`read_results` reads the rows of a
file written by the same sweep and refuses, with
:class:`~welinq_core.errors.SweepFileError`, a file that is malformed (wrong field
count, a cut-off last line, a cell of the wrong type) or that belongs to another
sweep (other parameter names, a circuit not in this sweep, another shot count),
so a rerun never overwrites or mixes results.

Examples:
    >>> header(["link.length_km"])[:3]
    ['link.length_km', 'circuit', 'circuit_hash']
    >>> cell(0.1), cell(float("nan")), cell(None), cell(3)
    ('0.1', '', '', '3')
    >>> row_key("ab12", [10, "ring", None])
    ('ab12', (10.0, 'ring', None))

References:
    The resumable, append-only result file follows sinter's practice for QEC sampling
    (Gidney, "Stim: a fast stabilizer circuit simulator", Quantum 5, 497 (2021)).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

from welinq_core.errors import SweepFileError

__all__ = ["RESULT_COLUMNS", "cell", "header", "read_results", "row_key"]

#: Columns after the parameters, in order.
RESULT_COLUMNS = (
    "circuit", "circuit_hash", "num_qubits", "shots", "seed", "bell_pairs", "bell_pairs_per_link",
    "makespan_s", "stall_fraction", "hellinger_fidelity", "success_probability", "observable_mean",
    "method", "wall_s",
)
_INT_COLUMNS = ("num_qubits", "shots", "seed", "bell_pairs", "num_qpus", "data_qubits_per_qpu",
                "comm_qubits_per_qpu")
_TEXT_COLUMNS = ("circuit", "circuit_hash", "bell_pairs_per_link", "method", "topology")


def header(keys: Sequence[str]) -> list[str]:
    """The file's header for a sweep over ``keys``."""
    return list(keys) + list(RESULT_COLUMNS)


def _parse_cell(column: str, text: str) -> Any:
    if text == "":
        return None
    if column in _TEXT_COLUMNS:
        return text
    if column in _INT_COLUMNS:
        if column == "data_qubits_per_qpu" and text == "fit":
            return text
        return int(text)
    return float(text)


def read_results(path: str, keys: Sequence[str], *, shots: int, hashes: Mapping[str, str]) -> list[dict[str, Any]]:
    """The rows already in ``path``, a file of the sweep over ``keys``.

    Args:
        path: The CSV file.
        keys: The sweep's parameter names, in order.
        shots: The sweep's shots per point.
        hashes: ``{circuit hash: circuit name}`` of the sweep's circuits.

    Raises:
        SweepFileError: If the file is malformed or belongs to a different sweep.
    """
    fix = f"choose another output file, or move {path!r} aside to start afresh"
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    if not text.strip():
        return []
    if not text.endswith("\n"):
        raise SweepFileError(
            f"{path!r} ends in an incomplete line (a write was cut off); delete that last line to resume, or {fix}"
        )
    reader = csv.reader(io.StringIO(text))
    found = next(reader)
    expected = header(keys)
    if found != expected:
        params = [c for c in found if c not in RESULT_COLUMNS]
        if set(RESULT_COLUMNS) <= set(found) and params != list(keys):
            raise SweepFileError(
                f"{path!r} belongs to a different sweep: it varies {params}, this sweep varies {list(keys)}; {fix}"
            )
        raise SweepFileError(f"{path!r} is not a welinq sweep file (header {found[:6]}...); {fix}")
    rows = []
    for line, cells in enumerate(reader, start=2):
        if len(cells) != len(found):
            raise SweepFileError(
                f"{path!r} line {line} has {len(cells)} fields, expected {len(found)}; the file is malformed; {fix}"
            )
        try:
            row = {c: _parse_cell(c, t) for c, t in zip(found, cells)}
        except ValueError as err:
            raise SweepFileError(f"{path!r} line {line} is malformed ({err}); {fix}") from err
        if row["circuit_hash"] not in hashes:
            raise SweepFileError(
                f"{path!r} belongs to a different sweep: line {line} is for circuit {row['circuit']!r} "
                f"(hash {row['circuit_hash']}), which is not among this sweep's circuits; {fix}"
            )
        if row["shots"] != shots:
            raise SweepFileError(
                f"{path!r} belongs to a different sweep: line {line} has shots={row['shots']}, this sweep "
                f"uses shots={shots}; {fix}"
            )
        rows.append(row)
    return rows


def cell(value: Any) -> str:
    """A value as written to the file (NaN and None as an empty cell, floats exactly)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def row_key(circuit_hash: str, params: Sequence[Any]) -> tuple:
    """The identity of a row: its circuit's hash and its parameter values (numbers as floats)."""
    return (circuit_hash, tuple(None if v is None else (v if isinstance(v, str) else float(v)) for v in params))
