"""The project's exception types.

Every error names the offending value and says how to fix it. Errors about
malformed input subclass :class:`ValueError` (or :class:`TypeError`) so that
Qiskit and Cirq code that catches those keeps working.

Examples:
    >>> from welinq_core.errors import ClusterSpecError
    >>> issubclass(ClusterSpecError, ValueError)
    True
"""

from __future__ import annotations

__all__ = [
    "WelinqError",
    "ClusterSpecError",
    "CircuitError",
    "UnsupportedGateError",
    "UnboundParameterError",
    "PhysicsParameterError",
    "InfeasibleError",
    "InsufficientQubitsError",
    "NoRouteError",
    "CommunicationQubitError",
    "OptionsError",
    "SimulationTooLargeError",
    "SimulationError",
    "ExecutorUnavailableError",
    "SweepFileError",
    "SweepPointError",
    "OneScheduleWarning",
]


class WelinqError(Exception):
    """Base class of every error raised by welinq."""


class ClusterSpecError(WelinqError, ValueError):
    """A cluster, QPU or link description is malformed (bad value, unknown name, bad file)."""


class CircuitError(WelinqError, ValueError):
    """A circuit cannot be represented or run (bad qubit index, malformed operation)."""


class UnsupportedGateError(CircuitError):
    """A gate is not in the set that welinq can partition, lower and simulate."""


class UnboundParameterError(CircuitError, TypeError):
    """A circuit still has free (unbound) parameters."""


class PhysicsParameterError(WelinqError, ValueError):
    """A physical parameter is out of its valid range (fidelity > 1, negative length, ...)."""


class OptionsError(WelinqError, ValueError):
    """A run option is unknown or has an invalid value."""


class InfeasibleError(WelinqError):
    """Valid inputs for which no solution exists (no room, no route, too big to simulate)."""


class InsufficientQubitsError(InfeasibleError, ValueError):
    """The circuit needs more data qubits than the cluster (or the chosen QPUs) hold.

    Attributes:
        required: Data qubits the circuit needs.
        available: Data qubits the cluster offers.
    """

    def __init__(self, message: str, *, required: int, available: int) -> None:
        super().__init__(message)
        self.required = required
        self.available = available


class NoRouteError(InfeasibleError, ValueError):
    """Two QPUs that must exchange Bell pairs are not connected by the network.

    Attributes:
        qpu_a: Name of the first QPU.
        qpu_b: Name of the second QPU.
    """

    def __init__(self, message: str, *, qpu_a: str, qpu_b: str) -> None:
        super().__init__(message)
        self.qpu_a = qpu_a
        self.qpu_b = qpu_b


class CommunicationQubitError(InfeasibleError, ValueError):
    """A QPU that must hold a Bell pair has no (or too few) communication qubits."""


class SimulationTooLargeError(InfeasibleError, MemoryError):
    """The simulation would need more memory than the machine allows.

    Attributes:
        required_bytes: Estimated memory need of the chosen method.
        available_bytes: Memory budget.
    """

    def __init__(self, message: str, *, required_bytes: int, available_bytes: int) -> None:
        super().__init__(message)
        self.required_bytes = required_bytes
        self.available_bytes = available_bytes


class SimulationError(WelinqError, RuntimeError):
    """The simulator failed on a circuit welinq handed it (the message carries the simulator's)."""


class ExecutorUnavailableError(WelinqError, ConnectionError):
    """The executor asked for cannot be used (Dask not installed, scheduler unreachable)."""


class SweepFileError(WelinqError, ValueError):
    """A sweep's results file cannot be resumed: malformed, or written by a different sweep."""


class SweepPointError(WelinqError, ValueError):
    """One point of a sweep failed (the message names the point and the cause)."""


class OneScheduleWarning(UserWarning):
    """A final state (not samples) computed for one drawn schedule of a cluster whose shots
    each have their own: it is one member of the mixture, not the mixture. Sampling
    (``run``, ``backend.run``) draws every shot's schedule."""
