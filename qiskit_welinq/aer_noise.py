"""Aer's device noise model of a cluster backend, each distinct Target entry computed once.

``AerSimulator.from_backend(backend)`` and ``NoiseModel.from_backend(backend)`` (also
called by ``qiskit_aer.primitives.SamplerV2.from_backend``) build one Aer error per
Target entry, that is per instruction and qubit tuple: a thermal-relaxation channel
from the entry's duration and its qubits' T1/T2, composed with the depolarizing channel
that brings the average gate infidelity up to the entry's ``error``. Aer spends 10-20 ms
on each entry. A cluster's Target lists every gate a QPU executes on every local pair and
every remote pair (:mod:`qiskit_welinq.target`): a 16-qubit cluster of two QPUs without
``native_gates`` has 13 two-qubit gates on 240 ordered pairs, 3,376 entries in all,
which takes Aer about a minute.

Most of those entries are equal: every local CNOT of a QPU has the same duration, error
and qubit properties, and every remote CNOT along routes of the same kind too.
:func:`aer_noise_model` returns the same noise model as ``NoiseModel.from_backend``
(equal under ``NoiseModel.__eq__``: same basis gates, readout errors and gate errors on
the same qubits) but has Aer compute each class of equal entries once, through Aer's own
``basic_device_gate_errors`` on a view of the Target with one entry per class, and
attaches that error to every member of the class. :func:`aer_simulator` is
``AerSimulator.from_backend(backend)`` with that noise model.

The noise model is Aer's approximation, not the backend's: each gate gets a
depolarizing and relaxation channel of the right average infidelity. ``ClusterBackend``
itself simulates the protocols (Bell pairs, their Bell-diagonal noise, feed-forward)
exactly, and its runs are the reference.

Examples:
    >>> from welinq_core import Cluster, Link
    >>> from qiskit_welinq import ClusterBackend
    >>> backend = ClusterBackend(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1,
    ...                                              link=Link(bell_pair_fidelity=0.95)))
    >>> model = aer_noise_model(backend)
    >>> model.noise_instructions, model.is_ideal()
    (['ch', 'cp', 'crx', 'cry', 'crz', 'cs', 'csdg', 'csx', 'cx', 'cy', 'cz', 'rzz', 'swap'], False)
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterator
from typing import Any

__all__ = ["aer_noise_model", "aer_simulator", "distinct_entries"]


def _qubit_key(props: Any) -> Hashable:
    if props is None:
        return None
    return (getattr(props, "t1", None), getattr(props, "t2", None), getattr(props, "frequency", None))


class _DistinctEntries:
    """A read-only view of a Target with one entry per class of equal entries.

    Two entries of an instruction are equal when their InstructionProperties have the
    same duration and error and their qubits have, position by position, the same
    T1, T2 and frequency: everything Aer's device model reads. ``items`` yields the
    representatives (or nothing, with ``entries=False``); every other attribute
    (``get``, ``qubit_properties``, ``num_qubits``...) is the real Target's.
    """

    def __init__(self, target: Any, *, entries: bool = True) -> None:
        self._target = target
        self._entries = entries
        qubit_props = target.qubit_properties or [None] * target.num_qubits
        self.members: dict[tuple[str, tuple[int, ...]], list[tuple[int, ...]]] = {}
        self._items: dict[str, dict | None] = {}
        for name, props in target.items():
            if props is None:
                self._items[name] = None
                continue
            reps: dict[Hashable, tuple[int, ...]] = {}
            view: dict = {}
            for qubits, p in props.items():
                if p is None or qubits is None:
                    view[qubits] = p
                    continue
                key = (p.duration, p.error, type(p), tuple(_qubit_key(qubit_props[q]) for q in qubits))
                if key not in reps:
                    reps[key] = qubits
                    view[qubits] = p
                self.members.setdefault((name, reps[key]), []).append(qubits)
            self._items[name] = view

    def without_entries(self) -> _DistinctEntries:
        """The same view with no instruction entries (readout and qubits only)."""
        empty = object.__new__(_DistinctEntries)
        empty.__dict__.update(self.__dict__, _entries=False)
        return empty

    def items(self) -> Iterator[tuple[str, dict | None]]:
        return iter(self._items.items() if self._entries else ())

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._target, attr)


class _BackendView:
    """What ``NoiseModel.from_backend`` reads of a BackendV2, with the Target seen through
    :class:`_DistinctEntries`."""

    version = 2

    def __init__(self, backend: Any, target: _DistinctEntries) -> None:
        self.name = backend.name
        self.operation_names = backend.operation_names
        self.target = target
        self.dt = backend.dt


def distinct_entries(backend: Any) -> tuple[int, int]:
    """``(entries, distinct)``: the Target's instruction entries with properties, and the
    classes of equal ones that :func:`aer_noise_model` has Aer compute.

    Examples:
        >>> from qiskit_welinq import ClusterBackend
        >>> distinct_entries(ClusterBackend("werner-0.97"))
        (3408, 44)
    """
    view = _DistinctEntries(backend.target)
    return sum(len(m) for m in view.members.values()), len(view.members)


def aer_noise_model(backend: Any, *, gate_error: bool = True, readout_error: bool = True,
                    thermal_relaxation: bool = True, temperature: float = 0) -> Any:
    """``qiskit_aer.noise.NoiseModel.from_backend(backend, ...)``, each class of equal
    Target entries computed once (see the module documentation).

    Args:
        backend: A BackendV2 (typically a :class:`~qiskit_welinq.ClusterBackend`).
        gate_error: Include depolarizing gate errors. Defaults to True.
        readout_error: Include readout errors. Defaults to True.
        thermal_relaxation: Include T1/T2 relaxation during gates (and delays).
            Defaults to True.
        temperature: Qubit temperature in mK for the relaxation's excited population.
            Defaults to 0.

    Returns:
        A ``qiskit_aer.noise.NoiseModel`` equal to Aer's ``NoiseModel.from_backend``.
    """
    from qiskit_aer.noise import NoiseModel
    from qiskit_aer.noise.device import basic_device_gate_errors

    view = _DistinctEntries(backend.target)
    # Aer's own builder for the readout errors and the delay-relaxation pass (no gate entries) ...
    model = NoiseModel.from_backend(
        _BackendView(backend, view.without_entries()), gate_error=gate_error,
        readout_error=readout_error, thermal_relaxation=thermal_relaxation, temperature=temperature,
    )
    # ... and for one gate error per class, attached to every member of the class.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="qiskit_aer.noise")
        representatives = basic_device_gate_errors(
            gate_error=gate_error, thermal_relaxation=thermal_relaxation,
            temperature=temperature, target=view,
        )
    for name, qubits, error in representatives:
        for member in view.members[(name, tuple(qubits))]:
            model.add_quantum_error(error, name, member)
    return model


def aer_simulator(backend: Any, **options: Any) -> Any:
    """``AerSimulator.from_backend(backend, **options)`` with :func:`aer_noise_model`'s
    noise model (unless ``noise_model`` is given).

    Examples:
        >>> from qiskit import QuantumCircuit, transpile
        >>> from welinq_core import Cluster, Link
        >>> from qiskit_welinq import ClusterBackend
        >>> backend = ClusterBackend(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1,
        ...                                              link=Link(bell_pair_fidelity=0.95)))
        >>> sim = aer_simulator(backend)
        >>> qc = QuantumCircuit(2, 2); _ = qc.h(0); _ = qc.cx(0, 1); _ = qc.measure([0, 1], [0, 1])
        >>> counts = sim.run(transpile(qc, sim), shots=100, seed_simulator=1).result().get_counts()
        >>> sum(counts.values())
        100
    """
    from qiskit_aer import AerSimulator

    if "noise_model" not in options:
        model = aer_noise_model(backend)
        if not model.is_ideal():  # as from_backend does: an ideal model is not attached
            options["noise_model"] = model
    return AerSimulator.from_backend(backend, **options)
