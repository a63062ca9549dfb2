"""Dynamic batching with a fake runner: coalescing, splitting, limits, failures, draining."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from app.server.batcher import (
    Batch,
    Batcher,
    BatcherClosed,
    QueueFull,
    RunCancelled,
    RunHandle,
    RunOptions,
    RunOutput,
    RunRequest,
)
from app.server.config import Batching

OPTIONS = RunOptions(start=0.0, stop=3.0, dt=1.0, save_per=1.0, method="euler")
DEFAULTS = {"a": 1.0, "b": 10.0}


class FakeRunner:
    """y(t) = a * t + b for every run; records the batches it was given."""

    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.delay = delay
        self.fail = fail
        self.batches: list[Batch] = []
        self.lock = threading.Lock()

    def __call__(self, batch: Batch, handle: RunHandle | None = None) -> RunOutput:
        with self.lock:
            self.batches.append(batch)
        time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("engine exploded")
        t = np.arange(batch.options.start, batch.options.stop + batch.options.save_per / 2, batch.options.save_per)
        a = batch.params.get("a", np.full(batch.runs, DEFAULTS["a"]))
        b = batch.params.get("b", np.full(batch.runs, DEFAULTS["b"]))
        return RunOutput(t, {"y": a[:, None] * t[None, :] + b[:, None], "z": np.zeros((batch.runs, len(t)))})


def request(a: list[float] | None = None, b: list[float] | None = None, options: RunOptions = OPTIONS,
            alone: bool = False) -> RunRequest:
    params = {k: np.asarray(v, dtype=float) for k, v in (("a", a), ("b", b)) if v is not None}
    runs = len(next(iter(params.values()))) if params else 1
    return RunRequest(params, runs, options, ("y",), deadline_s=5.0, alone=alone)


def run(coro):  # noqa: ANN001, ANN201
    return asyncio.run(coro)


def threaded(runner):  # noqa: ANN001, ANN201
    """The batcher's execute: ``runner(batch, handle)`` in a thread, as a worker would run it elsewhere."""
    async def execute(batch: Batch, handle: RunHandle) -> RunOutput:
        return await asyncio.to_thread(runner, batch, handle)

    return execute


def test_concurrent_requests_are_coalesced_and_split_back() -> None:
    runner = FakeRunner(delay=0.02)

    async def scenario() -> list:
        batcher = Batcher(threaded(runner), DEFAULTS, Batching(max_batch_size=64, max_queue_delay_ms=20))
        answers = await asyncio.gather(*[batcher.submit(request(a=[float(i)])) for i in range(40)])
        await batcher.close()
        return answers

    answers = run(scenario())
    assert len(runner.batches) < 40 / 4
    assert sum(b.runs for b in runner.batches) == 40
    for i, answer in enumerate(answers):
        y = answer.output.data["y"]
        assert y.shape == (1, 4)
        np.testing.assert_allclose(y[0], np.arange(4.0) * i + DEFAULTS["b"])
        assert list(answer.output.data) == ["y"]  # only what the request asked for


def test_missing_parameters_get_defaults_inside_a_batch() -> None:
    runner = FakeRunner(delay=0.01)

    async def scenario() -> list:
        batcher = Batcher(threaded(runner), DEFAULTS, Batching(max_batch_size=64, max_queue_delay_ms=30))
        answers = await asyncio.gather(batcher.submit(request(a=[2.0, 3.0])), batcher.submit(request(b=[5.0])))
        await batcher.close()
        return answers

    first, second = run(scenario())
    assert len(runner.batches) == 1
    np.testing.assert_allclose(runner.batches[0].params["a"], [2.0, 3.0, DEFAULTS["a"]])
    np.testing.assert_allclose(runner.batches[0].params["b"], [DEFAULTS["b"], DEFAULTS["b"], 5.0])
    assert first.output.data["y"].shape == (2, 4)
    np.testing.assert_allclose(first.output.data["y"][1], np.arange(4.0) * 3 + 10)
    np.testing.assert_allclose(second.output.data["y"][0], np.arange(4.0) + 5)
    assert first.batch_requests == second.batch_requests == 2


def test_max_batch_size_bounds_the_runs_of_one_batch() -> None:
    runner = FakeRunner(delay=0.01)

    async def scenario() -> None:
        batcher = Batcher(threaded(runner), DEFAULTS, Batching(max_batch_size=4, max_queue_delay_ms=20))
        await asyncio.gather(*[batcher.submit(request(a=[1.0, 2.0])) for _ in range(6)])
        await batcher.close()

    run(scenario())
    assert max(b.runs for b in runner.batches) <= 4
    assert sum(b.runs for b in runner.batches) == 12


def test_batching_off_runs_each_request_alone() -> None:
    runner = FakeRunner()

    async def scenario() -> None:
        batcher = Batcher(threaded(runner), DEFAULTS, Batching(max_batch_size=1, max_queue_delay_ms=20))
        await asyncio.gather(*[batcher.submit(request(a=[1.0])) for _ in range(5)])
        await batcher.close()

    run(scenario())
    assert [b.runs for b in runner.batches] == [1] * 5


def test_different_options_and_seeded_requests_are_not_mixed() -> None:
    runner = FakeRunner(delay=0.01)
    longer = RunOptions(start=0.0, stop=5.0, dt=1.0, save_per=1.0, method="euler")

    async def scenario() -> list:
        batcher = Batcher(threaded(runner), DEFAULTS, Batching(max_batch_size=64, max_queue_delay_ms=30))
        answers = await asyncio.gather(
            batcher.submit(request(a=[1.0])), batcher.submit(request(a=[2.0], options=longer)),
            batcher.submit(request(a=[3.0])), batcher.submit(request(a=[4.0], alone=True)))
        await batcher.close()
        return answers

    answers = run(scenario())
    assert sorted(b.runs for b in runner.batches) == [1, 1, 2]
    assert answers[1].output.data["y"].shape == (1, 6)
    assert answers[3].batch_requests == 1


def test_a_failed_run_fails_every_request_of_its_batch_and_the_batcher_goes_on() -> None:
    runner = FakeRunner(delay=0.01, fail=True)

    async def scenario() -> tuple[list, RunOutput]:
        batcher = Batcher(threaded(runner), DEFAULTS, Batching(max_batch_size=64, max_queue_delay_ms=10))
        failed = await asyncio.gather(*[batcher.submit(request(a=[1.0])) for _ in range(3)],
                                      return_exceptions=True)
        runner.fail = False
        ok = await batcher.submit(request(a=[1.0]))
        await batcher.close()
        return failed, ok.output

    failed, ok = run(scenario())
    assert all(isinstance(e, RuntimeError) and "exploded" in str(e) for e in failed)
    assert ok.data["y"].shape == (1, 4)


def test_runs_happen_off_the_event_loop() -> None:
    class GatedRunner(FakeRunner):
        """Each run waits for the gate, which only the event loop opens; records whether it opened."""

        def __init__(self) -> None:
            super().__init__()
            self.started, self.gate, self.opened = threading.Event(), threading.Event(), []

        def __call__(self, batch: Batch, handle: RunHandle | None = None) -> RunOutput:
            self.started.set()
            self.opened.append(self.gate.wait(30))
            return super().__call__(batch)

    runner = GatedRunner()

    async def scenario() -> None:
        batcher = Batcher(threaded(runner), DEFAULTS, Batching(max_batch_size=8, max_queue_delay_ms=1))
        pending = asyncio.ensure_future(batcher.submit(request(a=[1.0])))
        assert await asyncio.to_thread(runner.started.wait, 30)
        runner.gate.set()  # the loop goes on while the run is in progress
        await pending
        await batcher.close()

    run(scenario())
    assert runner.opened == [True]  # a run on the loop would have waited for the gate in vain


def test_close_finishes_queued_requests_then_refuses_new_ones() -> None:
    runner = FakeRunner(delay=0.02)

    async def scenario() -> tuple[list, Exception | None]:
        batcher = Batcher(threaded(runner), DEFAULTS, Batching(max_batch_size=1, max_queue_delay_ms=0))
        pending = [asyncio.ensure_future(batcher.submit(request(a=[float(i)]))) for i in range(4)]
        await asyncio.sleep(0)
        await batcher.close()
        try:
            await batcher.submit(request(a=[1.0]))
        except BatcherClosed as exc:
            return [p.result() for p in pending], exc
        return [], None

    done, refused = run(scenario())
    assert len(done) == 4 and isinstance(refused, BatcherClosed)


def test_run_options_count_steps() -> None:
    assert OPTIONS.steps == 3
    assert RunOptions(0.0, 1.0, 0.3, 0.3, "euler").steps == 4
    with pytest.raises(AttributeError):
        OPTIONS.stop = 5.0  # type: ignore[misc]


def test_a_batch_failing_on_one_requests_inputs_is_rerun_request_by_request() -> None:
    class Picky(FakeRunner):
        def __call__(self, batch: Batch, handle: RunHandle | None = None) -> RunOutput:
            if (batch.params.get("a", np.zeros(1)) < 0).any():
                with self.lock:
                    self.batches.append(batch)
                raise ValueError("negative a")
            return super().__call__(batch)

    runner = Picky(delay=0.01)

    async def scenario() -> list:
        batcher = Batcher(threaded(runner), DEFAULTS, Batching(max_batch_size=64, max_queue_delay_ms=30),
                          isolate=lambda exc: isinstance(exc, ValueError))
        answers = await asyncio.gather(*[batcher.submit(request(a=[a])) for a in (1.0, -1.0, 2.0)],
                                       return_exceptions=True)
        await batcher.close()
        return answers

    good, bad, other = run(scenario())
    assert isinstance(bad, ValueError)
    np.testing.assert_allclose(good.output.data["y"][0], np.arange(4.0) + 10)
    np.testing.assert_allclose(other.output.data["y"][0], np.arange(4.0) * 2 + 10)
    assert [b.runs for b in runner.batches] == [3, 1, 1, 1]


def test_a_full_queue_refuses_more_requests_and_cancelled_ones_leave_it() -> None:
    gate = threading.Event()

    class Held(FakeRunner):
        def __call__(self, batch: Batch, handle: RunHandle | None = None) -> RunOutput:
            gate.wait(30)
            return super().__call__(batch)

    runner = Held()

    async def scenario() -> tuple[Exception | None, int, list]:
        batcher = Batcher(threaded(runner), DEFAULTS, Batching(max_batch_size=1, max_queue_delay_ms=0), queue_limit=2)
        running = asyncio.ensure_future(batcher.submit(request(a=[0.0])))
        while not runner.batches and not running.done():  # the first request is running (off the queue)
            await asyncio.sleep(0.01)
            if batcher.queued == 0:
                break
        queued = [asyncio.ensure_future(batcher.submit(request(a=[float(i)]))) for i in (1, 2)]
        await asyncio.sleep(0)
        refused = None
        try:
            await batcher.submit(request(a=[3.0]))
        except QueueFull as exc:
            refused = exc
        queued[0].cancel()  # a cancelled request leaves the queue: room for another
        await asyncio.sleep(0)
        after_cancel = batcher.queued
        extra = asyncio.ensure_future(batcher.submit(request(a=[4.0])))
        gate.set()
        done = await asyncio.gather(running, queued[1], extra)
        await batcher.close()
        return refused, after_cancel, done

    refused, after_cancel, done = run(scenario())
    assert isinstance(refused, QueueFull) and "limit of 2" in str(refused)
    assert after_cancel == 1
    assert [d.output.data["y"][0, 1] for d in done] == [0.0 + 10, 2.0 + 10, 4.0 + 10]
    assert sorted(float(b.params["a"][0]) for b in runner.batches) == [0.0, 2.0, 4.0]  # the cancelled one never ran


def test_a_run_whose_requests_are_all_cancelled_is_stopped_through_its_handle() -> None:
    started, stopped = threading.Event(), threading.Event()

    class Killable(FakeRunner):
        """Runs until its handle's kill function is called, as a worker process would be killed."""

        def __call__(self, batch: Batch, handle: RunHandle | None = None) -> RunOutput:
            assert handle is not None and handle.attach(stopped.set)
            started.set()
            stopped.wait(30)
            handle.detach()
            raise RunCancelled

    async def scenario() -> bool:
        batcher = Batcher(threaded(Killable()), DEFAULTS, Batching(max_batch_size=8, max_queue_delay_ms=0))
        pending = [asyncio.ensure_future(batcher.submit(request(a=[1.0]))) for _ in range(2)]
        assert await asyncio.to_thread(started.wait, 30)
        pending[0].cancel()
        await asyncio.sleep(0.05)
        one_left = stopped.is_set()  # another request still waits for the run: it goes on
        pending[1].cancel()
        assert await asyncio.to_thread(stopped.wait, 30)
        await batcher.close()
        return one_left

    assert run(scenario()) is False
