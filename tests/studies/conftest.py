"""Executors for the studies tests: a process pool and a local Dask cluster, started and
stopped here (two worker processes, no network beyond this machine)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest

from welinq_core.executor import default_worker_threads


@pytest.fixture(scope="session")
def process_pool():
    ctx = multiprocessing.get_context("forkserver")  # no fork of a process that ran OpenMP threads
    ctx.set_forkserver_preload(["qiskit_welinq.executor", "qiskit_welinq.studies", "cirq_welinq.simulator"])
    with ProcessPoolExecutor(2, mp_context=ctx, initializer=default_worker_threads) as pool:
        yield pool


@pytest.fixture(scope="session")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, silence_logs=50,
    ) as cluster, distributed.Client(cluster) as client:
        yield client
