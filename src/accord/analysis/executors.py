"""Executors: run independent tasks serially, on a local process pool, or on a Dask cluster.

Every executor maps a picklable top-level function over a list of tasks and yields results in
task order, calling ``progress(done, total)`` as results arrive. Tasks carry their own random
streams (see :mod:`accord.analysis.sweep`), so every executor, with any number of workers, gives
identical numbers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal, Protocol, TypeVar

from accord.errors import AccordError

__all__ = [
    "DaskExecutor",
    "Executor",
    "ExecutorName",
    "ProcessExecutor",
    "SerialExecutor",
    "make_executor",
]

T = TypeVar("T")
R = TypeVar("R")
ExecutorName = Literal["serial", "processes", "dask"]
Progress = Callable[[int, int], None]


class Executor(Protocol):
    """Maps ``fn`` over ``tasks``, yielding results in task order."""

    name: str

    def map(
        self, fn: Callable[[T], R], tasks: Sequence[T], progress: Progress | None = None
    ) -> Iterator[R]: ...


class SerialExecutor:
    """Runs tasks one after another in this process."""

    name = "serial"

    def map(
        self, fn: Callable[[T], R], tasks: Sequence[T], progress: Progress | None = None
    ) -> Iterator[R]:
        for i, task in enumerate(tasks, start=1):
            yield fn(task)
            if progress:
                progress(i, len(tasks))


class ProcessExecutor:
    """Runs tasks on a pool of local processes (default: one per core)."""

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1

    def map(
        self, fn: Callable[[T], R], tasks: Sequence[T], progress: Progress | None = None
    ) -> Iterator[R]:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=self.workers) as pool:
            futures = [pool.submit(fn, task) for task in tasks]
            for i, future in enumerate(futures, start=1):
                yield future.result()
                if progress:
                    progress(i, len(tasks))


class DaskExecutor:
    """Runs tasks on a Dask cluster: the scheduler at ``address``, or a local cluster."""

    name = "dask"

    def __init__(
        self, address: str | None = None, workers: int | None = None, timeout: str = "10s"
    ) -> None:
        self.address = address
        self.workers = workers
        self.timeout = timeout

    def map(
        self, fn: Callable[[T], R], tasks: Sequence[T], progress: Progress | None = None
    ) -> Iterator[R]:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise AccordError(
                "the dask executor needs dask.distributed: pip install 'accord[dask]'"
            ) from None
        cluster: Any = None
        if self.address is None:
            cluster = LocalCluster(n_workers=self.workers or os.cpu_count() or 1,
                                   threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
        else:
            try:
                client = Client(self.address, timeout=self.timeout)
            except OSError as exc:
                raise AccordError(
                    f"cannot reach the Dask scheduler at {self.address}: {exc}"
                ) from None
        try:
            futures = client.map(fn, list(tasks), pure=False)
            for i, future in enumerate(futures, start=1):
                yield future.result()
                if progress:
                    progress(i, len(tasks))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def make_executor(
    name: str = "serial", *, workers: int | None = None, address: str | None = None
) -> Executor:
    """The executor called ``name`` (serial, processes, dask)."""
    if address is not None and name != "dask":
        raise AccordError("--address is only for the dask executor")
    if name == "serial":
        return SerialExecutor()
    if name == "processes":
        return ProcessExecutor(workers)
    if name == "dask":
        return DaskExecutor(address, workers)
    raise AccordError(f"unknown executor '{name}'; choose serial, processes or dask")
