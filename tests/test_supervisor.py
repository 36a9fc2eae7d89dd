"""The supervisor's decisions, with fake processes and a fake clock: who restarts when."""

import itertools
import signal
import subprocess
from collections.abc import Iterator

import pytest

from trellis.core.supervisor import Backoff, Supervisor, describe_exit

_pids: Iterator[int] = itertools.count(100)


class FakeProcess:
    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.pid = next(_pids)
        self.returncode: int | None = None
        self.signals: list[int] = []
        self.stubborn = False  # ignores SIGTERM
        self.waited: list[float | None] = []

    def poll(self) -> int | None:
        return self.returncode

    def send_signal(self, sig: int) -> None:
        self.signals.append(sig)
        if not self.stubborn:
            self.returncode = -sig

    def kill(self) -> None:
        self.signals.append(signal.SIGKILL)
        self.returncode = -signal.SIGKILL

    def wait(self, timeout: float | None = None) -> int:
        self.waited.append(timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired(self.argv, timeout or 0)
        return self.returncode


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Harness:
    def __init__(self, *names: str) -> None:
        self.clock = Clock()
        self.spawned: list[FakeProcess] = []
        self.logged: list[str] = []
        self.supervisor = Supervisor(
            {name: [name] for name in names},
            spawn=self.spawn,
            clock=self.clock,
            log=self.logged.append,
        )

    def spawn(self, argv: list[str]) -> FakeProcess:
        process = FakeProcess(argv)
        self.spawned.append(process)
        return process

    def current(self, name: str) -> FakeProcess:
        return [p for p in self.spawned if p.argv == [name]][-1]

    def at(self, seconds: float) -> None:
        """Move the clock to `seconds` and let the supervisor look."""
        self.clock.now = seconds
        self.supervisor.check()


@pytest.fixture
def harness() -> Harness:
    harness = Harness("web", "worker", "scheduler")
    harness.supervisor.start()
    return harness


def test_backoff_doubles_up_to_the_limit_and_resets_after_a_stable_run() -> None:
    backoff = Backoff()
    assert [backoff.after_run(0.5) for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff.after_run(61) == 1
    assert backoff.after_run(3) == 2


def test_exits_are_described_by_status_or_signal() -> None:
    assert describe_exit(3) == "exited with status 3"
    assert describe_exit(0) == "exited with status 0"
    assert describe_exit(-signal.SIGKILL) == "was killed by SIGKILL"


def test_a_dead_child_is_restarted_after_a_second_and_both_are_logged(harness: Harness) -> None:
    assert len(harness.spawned) == 3
    web = harness.current("web")
    web.returncode = -signal.SIGKILL
    harness.at(5)
    assert harness.logged == [
        f"web (pid {web.pid}) was killed by SIGKILL after 5 s; restarting in 1 s"
    ]
    assert len(harness.spawned) == 3, "restarted at once instead of after the delay"
    harness.at(5.9)
    assert len(harness.spawned) == 3
    harness.at(6)
    new = harness.current("web")
    assert new is not web and new.poll() is None
    assert harness.logged[-1] == f"web restarted (pid {new.pid})"
    assert len(harness.spawned) == 4  # the others were left alone


def test_a_child_that_keeps_dying_waits_longer_each_time_until_it_runs_stably(
    harness: Harness,
) -> None:
    delays = []
    for _ in range(4):
        harness.current("worker").returncode = 1
        harness.at(harness.clock.now)
        delays.append(harness.logged[-1].rsplit("restarting in ", 1)[1])
        harness.at(harness.clock.now + 100)  # long enough for any delay: restarted
    assert delays == ["1 s", "2 s", "4 s", "8 s"]
    harness.at(harness.clock.now + 60)  # ... and this time it stays up a minute
    harness.current("worker").returncode = 1
    harness.at(harness.clock.now)
    assert harness.logged[-1].endswith("exited with status 1 after 60 s; restarting in 1 s")


def test_stop_terminates_every_child_and_kills_one_that_ignores_it(harness: Harness) -> None:
    stubborn = harness.current("worker")
    stubborn.stubborn = True
    dead = harness.current("scheduler")
    dead.returncode = 1
    harness.at(1)  # the scheduler is now waiting to be restarted
    harness.supervisor.stop(grace=15)
    assert harness.current("web").signals == [signal.SIGTERM]
    assert stubborn.signals == [signal.SIGTERM, signal.SIGKILL]
    assert stubborn.waited[0] == pytest.approx(15)
    assert harness.current("scheduler") is dead, "restarted while stopping"
    assert all(p.poll() is not None for p in harness.spawned)


def test_run_checks_until_asked_to_stop_then_stops_everything() -> None:
    harness = Harness("web")
    harness.supervisor.start()
    harness.current("web").returncode = 1
    ticks = []

    def tick(seconds: float) -> None:
        ticks.append(seconds)
        harness.clock.now += seconds

    harness.supervisor.run(lambda: harness.clock.now >= 2, sleep=tick)
    assert len(harness.spawned) == 2  # restarted once after a second
    assert all(p.poll() is not None for p in harness.spawned)
