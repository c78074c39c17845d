"""qiskit_welinq: run Qiskit circuits on a virtual networked cluster of QPUs.

The public names load on first use, so ``import qiskit_welinq`` is cheap and the
``welinq`` command starts without Qiskit when a subcommand does not need it; Aer
loads when a backend first runs a circuit.

Examples:
    >>> from qiskit_welinq import ClusterBackend
    >>> ClusterBackend("ideal").num_qubits
    16
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from welinq_core._version import __version__

if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names load lazily
    from qiskit_welinq.backend import ClusterBackend, target_from_cluster
    from qiskit_welinq.convert import BASIS_GATES, circuit_from_qiskit, circuit_to_qiskit
    from qiskit_welinq.job import ClusterJob
    from qiskit_welinq.studies import sweep

#: Public name -> the module that defines it.
_LAZY = {
    "BASIS_GATES": "qiskit_welinq.convert",
    "ClusterBackend": "qiskit_welinq.backend",
    "ClusterJob": "qiskit_welinq.job",
    "circuit_from_qiskit": "qiskit_welinq.convert",
    "circuit_to_qiskit": "qiskit_welinq.convert",
    "sweep": "qiskit_welinq.studies",
    "target_from_cluster": "qiskit_welinq.backend",
}

__all__ = [
    "BASIS_GATES",
    "ClusterBackend",
    "ClusterJob",
    "__version__",
    "circuit_from_qiskit",
    "circuit_to_qiskit",
    "sweep",
    "target_from_cluster",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'qiskit_welinq' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
