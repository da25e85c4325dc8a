"""Group commit: one writer thread runs every state change, many per transaction, one commit.

Request threads hand a *job* (a function of an open connection) to :meth:`Writer.run` and wait
for its result. The writer takes every job waiting, runs them one after the other in a single
transaction and commits once; only then does any caller get its answer, so an acknowledged
change is always committed. With many players writing at once this turns many small commits —
each a disk flush, each a fight over the database lock — into a few larger ones.

A job that raises spoils only its own answer: the batch is rolled back and its jobs are run
again one transaction each, so the others still commit (jobs touch nothing but the database,
so running one again is safe).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import sqlalchemy as sa

__all__ = ["Job", "Writer"]

T = TypeVar("T")
Job = Callable[[sa.Connection], Any]
_STOP: Any = (None, None)  # put on the queue by close()


class Writer:
    """Runs jobs on ``engine`` in batches of at most ``batch`` from one daemon thread."""

    def __init__(self, engine: sa.Engine, guard: AbstractContextManager[Any],
                 batch: int = 64) -> None:
        self.engine = engine
        self.guard = guard
        self.batch = batch
        self._queue: queue.SimpleQueue[tuple[Job, Future[Any]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def run(self, job: Callable[[sa.Connection], T]) -> T:
        """Run ``job`` in a committed transaction and return its result (or raise its error)."""
        self._ensure_thread()
        done: Future[T] = Future()
        self._queue.put((job, done))
        return done.result()

    def close(self) -> None:
        """Finish the jobs already handed in, then stop the writer thread."""
        with self._start:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout=30)

    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._start:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, name="accord-room-writer",
                                                    daemon=True)
                    self._thread.start()

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            jobs = [item]
            while len(jobs) < self.batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    self._commit(jobs)
                    return
                jobs.append(item)
            self._commit(jobs)

    def _commit(self, jobs: list[tuple[Job, Future[Any]]]) -> None:
        try:
            with self.guard, self.engine.begin() as conn:
                results = [job(conn) for job, _ in jobs]
        except Exception as exc:
            if len(jobs) == 1:
                jobs[0][1].set_exception(exc)
            else:
                for job, done in jobs:
                    self._one(job, done)
            return
        for (_, done), result in zip(jobs, results, strict=True):
            done.set_result(result)

    def _one(self, job: Job, done: Future[Any]) -> None:
        try:
            with self.guard, self.engine.begin() as conn:
                result = job(conn)
        except BaseException as exc:  # delivered to the waiting caller
            done.set_exception(exc)
        else:
            done.set_result(result)
