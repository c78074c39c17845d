"""What the subcommands share: reading circuits and clusters, printing reports."""

from __future__ import annotations

from welinq_core.cluster import Cluster
from welinq_core.cluster_presets import cluster_preset_names
from welinq_core.errors import WelinqError

__all__ = ["load_qasm", "load_cluster", "format_counts", "print_report"]


def load_qasm(path: str):  # noqa: ANN201
    """Read an OpenQASM 2 or 3 file into a Qiskit circuit."""
    from qiskit import qasm2, qasm3

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as err:
        raise WelinqError(f"cannot read circuit file {path!r}: {err.strerror}") from err
    header = next((line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("//")), "")
    try:
        if header.startswith("OPENQASM 3"):
            return qasm3.loads(text)
        return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except Exception as err:  # the QASM parsers raise several unrelated types
        raise WelinqError(f"cannot parse {path!r} as OpenQASM: {err}") from err


def load_cluster(spec: str) -> Cluster:
    """A preset name, a path to a cluster JSON file, or JSON text."""
    if spec in cluster_preset_names():
        return Cluster.preset(spec)
    return Cluster.from_json(spec)


def format_counts(counts: dict[str, int], top: int = 8) -> list[str]:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [f"{k}: {v}" for k, v in items]


def print_report(meta: dict) -> None:
    from welinq_core.report import Report

    print(Report(**{**meta, "assignment": tuple(meta["assignment"])}))


