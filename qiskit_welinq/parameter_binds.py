"""The ``parameter_binds`` run option, as ``AerSimulator.run`` has it.

``backend.run(circuits, parameter_binds=[{theta: [v0, v1, ...], phi: [...]}, ...])``
gives one dictionary per circuit; each maps the circuit's parameters to lists of
values of one common length ``k`` (a single number counts as a list of one), and the
circuit runs ``k`` times, once per position. Results come circuit by circuit, each
circuit's bindings in order, exactly as on Aer.

Examples:
    >>> from qiskit import QuantumCircuit
    >>> from qiskit.circuit import Parameter
    >>> theta = Parameter("theta")
    >>> qc = QuantumCircuit(1); _ = qc.rx(theta, 0)
    >>> [c.data[0].operation.params[0] for c in bind_circuits([qc], [{theta: [0.1, 0.2]}])]
    [0.1, 0.2]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from welinq_core.errors import OptionsError

__all__ = ["bind_circuits"]


def _values(param: Any, values: Any) -> list[Any]:
    if isinstance(values, (int, float, complex, np.number)) and not isinstance(values, bool):
        return [values]
    if isinstance(values, np.ndarray):
        return list(values.reshape(-1)) if values.ndim <= 1 else _bad_values(param, values)
    if isinstance(values, Sequence) and not isinstance(values, str):
        return list(values)
    return _bad_values(param, values)


def _bad_values(param: Any, values: Any) -> list[Any]:
    raise OptionsError(
        f"parameter_binds: the values of {param} are {values!r}; give a list of numbers "
        "(one per run of the circuit)"
    )


def bind_circuits(circuits: Sequence[QuantumCircuit], parameter_binds: Any) -> list[QuantumCircuit]:
    """Expand each circuit into one bound copy per position of its value lists.

    Raises:
        OptionsError: If ``parameter_binds`` is not a list of one dictionary per circuit,
            if a dictionary's lists differ in length, or if it misses a parameter of its
            circuit or names one the circuit does not have.
    """
    if isinstance(parameter_binds, Mapping):
        parameter_binds = [parameter_binds]
    if not isinstance(parameter_binds, Sequence) or isinstance(parameter_binds, str):
        raise OptionsError(
            f"parameter_binds={parameter_binds!r} must be a list with one dictionary "
            "{parameter: [values]} per circuit"
        )
    if len(parameter_binds) != len(circuits):
        raise OptionsError(
            f"parameter_binds has {len(parameter_binds)} dictionaries for {len(circuits)} circuit(s); "
            "give one dictionary {parameter: [values]} per circuit"
        )
    out: list[QuantumCircuit] = []
    for index, (qc, binds) in enumerate(zip(circuits, parameter_binds)):
        if not isinstance(binds, Mapping):
            raise OptionsError(
                f"parameter_binds[{index}] is a {type(binds).__name__}; give a dictionary {{parameter: [values]}}"
            )
        params = set(qc.parameters)
        unknown = sorted(str(p) for p in binds if p not in params)
        if unknown:
            raise OptionsError(
                f"parameter_binds[{index}] names parameter(s) {unknown} that circuit {qc.name!r} does not "
                f"have; its parameters are {sorted(str(p) for p in params)}"
            )
        missing = sorted(str(p) for p in params if p not in binds)
        if missing:
            raise OptionsError(
                f"parameter_binds[{index}] gives no values for parameter(s) {missing} of circuit {qc.name!r}"
            )
        columns = {p: _values(p, v) for p, v in binds.items()}
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise OptionsError(
                f"parameter_binds[{index}]: value lists have different lengths "
                f"{ {str(p): len(v) for p, v in columns.items()} }; give every parameter the same number of values"
            )
        count = lengths.pop() if lengths else 1
        for k in range(count):
            if not columns:
                out.append(qc)
                continue
            bound = qc.assign_parameters({p: v[k] for p, v in columns.items()}, inplace=False)
            bound.name = qc.name  # the copy gets a fresh name; results carry the user's
            out.append(bound)
    return out
