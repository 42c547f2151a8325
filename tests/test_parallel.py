"""``engine.parallel.map_chunks``: the parent works beside its forked workers, and the answers come back in order.

Real forked processes; each answer says which process worked it out, so the tests can tell the parent's
share from a worker's. Each scenario runs in a new Python process: ``map_chunks`` forks only a process with
one thread, and the test process has others (servers and browsers of earlier tests), where it would run
every chunk in-line and never show a worker.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time

import pytest

from briefgen.engine import parallel
from briefgen.engine.parallel import chunked, map_chunks
from briefgen.engine.workers import WorkerLost


def _no_children_left() -> bool:
    """Every forked worker has been reaped (none running, none a zombie)."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _squares(start: int, stop: int) -> list[tuple[int, int, int]]:
    return [(i, i * i, os.getpid()) for i in range(start, stop)]


def _answers_come_back_in_order_from_the_parent_and_its_workers(jobs: int):
    count = 40 * parallel.MIN_ITEMS_PER_WORKER
    seen: list[int] = []
    answers = map_chunks(_squares, count, jobs, seen.append)
    assert [(i, sq) for i, sq, _pid in answers] == [(i, i * i) for i in range(count)]
    assert sum(seen) == count  # every chunk reported once, in the parent
    first = chunked(count, jobs)[0]
    assert {pid for i, _sq, pid in answers if i < first[1]} == {os.getpid()}  # the first chunk is the parent's
    assert _no_children_left()  # the workers are gone


def _a_worker_does_some_of_the_work_while_the_parent_works():
    count = 8 * parallel.MIN_ITEMS_PER_WORKER
    parent = os.getpid()

    def slow_in_the_parent(start: int, stop: int) -> list[int]:
        if os.getpid() == parent:  # the parent's chunks take long enough for the worker to take the rest
            time.sleep(0.5)
        return [os.getpid()] * (stop - start)

    pids = map_chunks(slow_in_the_parent, count, 2)
    assert len(pids) == count
    assert parent in pids and set(pids) - {parent}, "both the parent and a forked worker worked"


def _large_answers_in_finer_chunks_come_back_whole_and_in_order():
    """A chunk's answers of a few MB (a prefetch's: loaded articles), in 8 chunks a job: through the pool's pipe,
    made wider (``widen``), every answer arrives, each in its place."""
    count = 16 * parallel.MIN_ITEMS_PER_WORKER
    parent = os.getpid()

    def big(start: int, stop: int) -> list[tuple[int, int, str]]:
        if os.getpid() == parent:
            time.sleep(0.05)  # slow enough in the parent that the worker answers several chunks
        return [(i, os.getpid(), f"{i:08d}" * 2_000) for i in range(start, stop)]  # 16 KB an item

    answers = map_chunks(big, count, 2, pieces=8)
    assert [i for i, _pid, _text in answers] == list(range(count))
    assert all(text == f"{i:08d}" * 2_000 for i, _pid, text in answers)
    assert {pid for _i, pid, _text in answers} - {parent}, "a worker answered some chunks"
    assert len(chunked(count, 2, 8)) == 16


def test_one_job_runs_in_line():
    answers = map_chunks(_squares, 100, 1)
    assert {pid for _i, _sq, pid in answers} == {os.getpid()}


def _an_error_in_a_worker_or_in_the_parent_reaches_the_caller():
    parent = os.getpid()

    def fails_in(where: str):
        def work(start: int, stop: int) -> list[int]:
            in_parent = os.getpid() == parent
            if in_parent == (where == "parent"):
                raise ValueError(f"failed in the {where}")
            if in_parent:  # slow enough that the worker takes a chunk
                time.sleep(0.3)
            return list(range(start, stop))

        return work

    # 20 times each: with multiprocessing.Pool, one run in about 80 hung for ever in its terminate()
    for where in ("parent", "worker") * 20:
        with pytest.raises(ValueError, match=where) as raised:
            map_chunks(fails_in(where), 16 * parallel.MIN_ITEMS_PER_WORKER, 2)
        assert _no_children_left()
        if where == "worker":  # the worker's own traceback comes with it
            assert any("in a forked worker" in note for note in raised.value.__notes__)
    assert gc.isenabled() and gc.get_freeze_count() == 0  # nothing left frozen in the parent
    assert threading.active_count() == 1  # the inbox's thread is gone: the next stage may fork


def _a_worker_killed_from_outside_is_reported_not_waited_for():
    """The OOM killer or a ``kill -9`` takes a worker while it works: the caller gets ``WorkerLost`` at once (a
    Pool waited for the lost answer for ever), every other worker is reaped, and the next call works."""
    parent = os.getpid()

    def killed_in_the_worker(start: int, stop: int) -> list[int]:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.05)
        return list(range(start, stop))

    began = time.monotonic()
    with pytest.raises(WorkerLost) as raised:
        map_chunks(killed_in_the_worker, 16 * parallel.MIN_ITEMS_PER_WORKER, 3)
    assert time.monotonic() - began < 60  # not the 120 s the test process would wait
    assert "killed (SIGKILL)" in str(raised.value.problems[0])
    assert _no_children_left()
    assert map_chunks(_ranges, 16 * parallel.MIN_ITEMS_PER_WORKER, 2) == list(range(16 * parallel.MIN_ITEMS_PER_WORKER))


def _ranges(start: int, stop: int) -> list[int]:
    return list(range(start, stop))


def _an_interrupt_in_the_parent_stops_the_workers():
    """Ctrl-C while the workers are busy: the interrupt reaches the caller and no worker is left running."""
    parent = os.getpid()

    def work(start: int, stop: int) -> list[int]:
        if os.getpid() == parent:
            raise KeyboardInterrupt
        time.sleep(30)  # a worker busy for longer than the test waits: it must be killed, not waited for
        return list(range(start, stop))

    began = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        map_chunks(work, 16 * parallel.MIN_ITEMS_PER_WORKER, 2)
    assert time.monotonic() - began < 20
    assert _no_children_left()


class _Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("no pickling this")


def _an_exception_that_does_not_pickle_still_reaches_the_caller():
    parent = os.getpid()

    def work(start: int, stop: int) -> list[int]:
        if os.getpid() != parent:
            raise _Unpicklable("the worker's own words")
        time.sleep(0.3)
        return list(range(start, stop))

    with pytest.raises(RuntimeError, match="_Unpicklable: the worker's own words"):
        map_chunks(work, 16 * parallel.MIN_ITEMS_PER_WORKER, 2)
    assert _no_children_left()


def _a_block_allocated_after_plugging_comes_from_above_the_heap_not_from_a_hole():
    libc = parallel._libc()
    blocks = [libc.malloc(4096) for _ in range(2000)]
    above = [libc.malloc(60 * 1024) for _ in range(8)]  # live blocks between the holes and the heap's top
    holes = blocks[::2]
    for block in holes:  # every other one: freed chunks between live ones, as loading leaves them
        libc.free(block)
    lowest, highest = min(holes), max(holes)

    def probe() -> int:
        block = libc.malloc(4096)
        libc.free(block)
        return block

    assert lowest <= probe() <= highest, "glibc serves a malloc from a hole when there is one"
    plugs = parallel.plug_heap_holes()
    try:
        assert len(plugs) >= len(holes)
        assert probe() > highest, "with the holes plugged, a new block comes from above them"
    finally:
        parallel.unplug(plugs)
    assert lowest <= probe() <= highest, "unplugged, the holes are there to use again"
    for block in blocks[1::2] + above:
        libc.free(block)


def _in_a_new_process(scenario: str, *args: int) -> None:
    from engine_support import in_a_new_process

    in_a_new_process("test_parallel", scenario, *args)


@pytest.mark.parametrize("jobs", [2, 3])
def test_answers_come_back_in_order_from_the_parent_and_its_workers(jobs: int):
    _in_a_new_process("_answers_come_back_in_order_from_the_parent_and_its_workers", jobs)


def test_large_answers_in_finer_chunks_come_back_whole_and_in_order():
    _in_a_new_process("_large_answers_in_finer_chunks_come_back_whole_and_in_order")


def test_a_worker_does_some_of_the_work_while_the_parent_works():
    _in_a_new_process("_a_worker_does_some_of_the_work_while_the_parent_works")


def test_an_error_in_a_worker_or_in_the_parent_reaches_the_caller():
    _in_a_new_process("_an_error_in_a_worker_or_in_the_parent_reaches_the_caller")


def test_a_worker_killed_from_outside_is_reported_not_waited_for():
    _in_a_new_process("_a_worker_killed_from_outside_is_reported_not_waited_for")


def test_an_interrupt_in_the_parent_stops_the_workers():
    _in_a_new_process("_an_interrupt_in_the_parent_stops_the_workers")


def test_an_exception_that_does_not_pickle_still_reaches_the_caller():
    _in_a_new_process("_an_exception_that_does_not_pickle_still_reaches_the_caller")


@pytest.mark.skipif(parallel._libc() is None, reason="the heap is plugged with glibc only")
def test_a_block_allocated_after_plugging_comes_from_above_the_heap_not_from_a_hole():
    """What keeps a forked worker and its parent from copying each other's heap pages: see plug_heap_holes."""
    _in_a_new_process("_a_block_allocated_after_plugging_comes_from_above_the_heap_not_from_a_hole")


def test_a_process_with_another_thread_runs_every_chunk_in_line():
    """What the scenarios above avoid: with a second thread alive, nothing forks and the answers are the same."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        answers = map_chunks(_squares, 8 * parallel.MIN_ITEMS_PER_WORKER, 2)
    finally:
        stop.set()
        thread.join()
    assert [(i, sq) for i, sq, _pid in answers] == [(i, i * i) for i in range(8 * parallel.MIN_ITEMS_PER_WORKER)]
    assert {pid for _i, _sq, pid in answers} == {os.getpid()}


@pytest.mark.skipif(not hasattr(__import__("fcntl"), "F_SETPIPE_SZ"), reason="pipes cannot be widened here")
def test_more_chunks_than_a_default_pipe_holds_are_each_taken_once():
    """Past 16,384 chunks (64 KiB of numbers: some --jobs 4,096 and up) the pipe is widened, and each chunk is
    taken once, in order."""
    from briefgen.engine.workers import Chunks

    chunks = Chunks(1, 50_000)  # 200 KB of numbers: within Linux's default pipe-max-size (1 MiB)
    taken = []
    while (index := chunks.claim()) is not None:
        taken.append(index)
    chunks.close()
    assert taken == list(range(1, 50_000))


def test_chunk_numbers_a_pipe_cannot_hold_are_one_located_problem(monkeypatch):
    """Where the pipe cannot be widened enough (a limit, a system without ``F_SETPIPE_SZ``, or a root allowed more
    than any limit would still meet one), one located problem and no descriptor left open: never a write that
    waits for ever for a reader. The widening is what is taken away here, so the answer does not depend on what
    this machine's limit or this user's rights are."""
    from briefgen.engine import workers
    from briefgen.problems import BuildError

    monkeypatch.setattr(workers, "widen", lambda fd, size=workers.PIPE_SIZE: None)
    before = set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    with pytest.raises(BuildError) as raised:
        workers.Chunks(1, 20_000)  # 80 KB of numbers: more than a pipe holds unwidened
    assert str(raised.value.problems[0]).startswith("--jobs: too many chunks of work")
    if before is not None:
        assert set(os.listdir("/proc/self/fd")) == before
