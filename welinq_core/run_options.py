"""Run options checked at the door, the same way for Qiskit and Cirq.

Seeds are checked by :func:`welinq_core.seeding.check_seed`, shots by
:func:`welinq_core.resources.check_shots`; this module checks the placement
(``assignment``), named choices and plain flags.

Examples:
    >>> from welinq_core import Cluster
    >>> cluster = Cluster.preset("ideal")
    >>> check_assignment(["qpu0", "qpu1"], cluster, num_qubits=2)
    ('qpu0', 'qpu1')
    >>> check_assignment({0: "qpu0", 99: "qpu1"}, cluster, num_qubits=2)
    Traceback (most recent call last):
    ...
    welinq_core.errors.OptionsError: assignment puts qubit 99 on 'qpu1' but the circuit has qubits 0..1; give QPUs for qubits in range only
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from welinq_core.errors import OptionsError

if TYPE_CHECKING:
    from welinq_core.cluster import Cluster

__all__ = ["check_assignment", "check_flag", "check_choice", "suggest"]


def suggest(word: object, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """``value`` if it is one of ``choices``, else :class:`OptionsError` naming them."""
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        raise OptionsError(f"{name}={value!r} is unknown{suggest(value, choices)}; choose one of {choices}")
    return value


def check_flag(name: str, value: object, *, allow_none: bool = False) -> bool | None:
    """``value`` as a bool (NumPy booleans accepted); None only with ``allow_none``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    want = "True, False or None" if allow_none else "True or False"
    raise OptionsError(f"{name}={value!r} must be {want}; got a {type(value).__name__}")


def _qpu_name(cluster: Cluster, qubit: object, name: object) -> str:
    if not isinstance(name, str) or not cluster.has_qpu(name):
        names = cluster.qpu_names
        shown = list(names) if len(names) <= 12 else [*names[:12], "..."]
        raise OptionsError(
            f"assignment puts qubit {qubit} on {name!r}, which is not a QPU of cluster {cluster.name!r}"
            f"{suggest(name, names) if isinstance(name, str) else ''}; QPUs are {shown}"
        )
    return name


def check_assignment(assignment: Any, cluster: Cluster, *, num_qubits: int | None = None
                     ) -> tuple[str, ...] | dict[int, str] | None:
    """Check a fixed placement and return it normalised (a tuple, or a dict with int keys).

    Accepted: None; a sequence of QPU names, one per qubit (of the circuit's width when
    ``num_qubits`` is given); or a mapping from qubit indices (Python or NumPy integers,
    within ``0..num_qubits-1``) to QPU names.

    Raises:
        OptionsError: On any other type, an unknown QPU (with the nearest name), a
            qubit out of range, or a sequence of the wrong length.
    """
    if assignment is None:
        return None
    if isinstance(assignment, Mapping):
        out: dict[int, str] = {}
        for q, name in assignment.items():
            if isinstance(q, bool) or not isinstance(q, numbers.Integral):
                raise OptionsError(
                    f"assignment key {q!r} must be a qubit index (an integer); got a {type(q).__name__}"
                )
            q = int(q)
            if q < 0 or (num_qubits is not None and q >= num_qubits):
                span = "no qubits" if num_qubits == 0 else f"qubits 0..{num_qubits - 1}" if num_qubits else "qubits"
                raise OptionsError(
                    f"assignment puts qubit {q} on {name!r} but the circuit has {span}; give QPUs for qubits "
                    "in range only"
                )
            out[q] = _qpu_name(cluster, q, name)
        return out
    if isinstance(assignment, str | bytes) or not isinstance(assignment, Iterable):
        raise OptionsError(
            f"assignment={assignment!r} must be a sequence of QPU names (one per qubit) or a "
            "{qubit: qpu_name} mapping, or None"
        )
    names = tuple(assignment)
    if num_qubits is not None and len(names) != num_qubits:
        raise OptionsError(
            f"assignment has {len(names)} QPU name(s) but the circuit has {num_qubits} qubit(s); give one "
            "QPU name per qubit, or a {qubit: qpu_name} mapping"
        )
    return tuple(_qpu_name(cluster, i, n) for i, n in enumerate(names))
