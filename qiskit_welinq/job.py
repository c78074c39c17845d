"""A synchronous, already-completed job (local simulators finish inside ``run``)."""

from __future__ import annotations

from qiskit.providers import JobStatus, JobV1
from qiskit.result import Result

__all__ = ["ClusterJob"]


class ClusterJob(JobV1):
    """The job returned by :meth:`ClusterBackend.run`; its result is ready at once."""

    _async = False

    def __init__(self, backend, job_id: str, result: Result) -> None:  # noqa: ANN001
        super().__init__(backend, job_id)
        self._result = result

    def submit(self) -> None:
        """Nothing to do: the job ran when it was created."""
        return None

    def result(self, timeout: float | None = None) -> Result:  # noqa: ARG002
        """The :class:`qiskit.result.Result`."""
        return self._result

    def status(self) -> JobStatus:
        """Always :attr:`JobStatus.DONE`."""
        return JobStatus.DONE
