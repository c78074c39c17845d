"""Quantum error correction across QPUs, on stim: surface-code memories split by seams.

The only part of ``welinq_core`` that imports stim (and, for decoding, pymatching and
sinter, through :mod:`welinq_core.qec.collect`). Install with ``pip install 'welinq[qec]'``.

* :func:`surface_code_memory`: a rotated surface-code memory experiment whose data and
  ancilla qubits are split over QPUs along seams, with bulk and interface noise;
* :func:`surface_code_memory_on_cluster`: the same with noise taken from a
  :class:`~welinq_core.cluster.Cluster` (QPU gate errors, delivered Bell pairs), with the
  Bell pairs consumed per round;
* :mod:`welinq_core.qec.collect`: sinter sweeps over distance, bulk and interface error,
  resumable CSV files, plots and threshold crossings.

Examples:
    >>> from welinq_core.qec import surface_code_memory
    >>> surface_code_memory(distance=3, rounds=2, bulk_error=0.0, interface_error=0.0).num_observables
    1
"""

from __future__ import annotations

try:
    import stim  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("welinq_core.qec needs stim: pip install 'welinq[qec]' (stim, pymatching, sinter)") from exc

from welinq_core.qec.layout import SEAMS, SurfaceCodeLayout, surface_code_layout
from welinq_core.qec.memory import (
    BASES,
    INTERFACE_CHANNELS,
    MemoryExperiment,
    memory_circuit,
    surface_code_memory,
    surface_code_memory_on_cluster,
)
from welinq_core.qec.noise_models import BULK_MODELS, BulkNoise, InterfaceNoise

__all__ = [
    "BASES",
    "BULK_MODELS",
    "INTERFACE_CHANNELS",
    "SEAMS",
    "BulkNoise",
    "InterfaceNoise",
    "MemoryExperiment",
    "SurfaceCodeLayout",
    "memory_circuit",
    "surface_code_layout",
    "surface_code_memory",
    "surface_code_memory_on_cluster",
]
