"""Keep a few child processes running: restart one that dies, waiting longer while it keeps
dying, so one crash never takes the whole site down and a crash loop never spins the CPU."""

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class Process(Protocol):
    """What the supervisor needs of a child: the part of subprocess.Popen it uses."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def send_signal(self, sig: int, /) -> None: ...

    def kill(self) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...


def popen(argv: list[str]) -> Process:
    return subprocess.Popen(argv)


def log_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        return f"was killed by {signal.Signals(-returncode).name}"
    return f"exited with status {returncode}"


@dataclass
class Backoff:
    """Delay before a restart: `first`, doubling up to `limit`, back to `first` once the child
    had run `stable_after` seconds (a crash after a long good run is news, not a loop)."""

    first: float = 1.0
    limit: float = 60.0
    stable_after: float = 60.0
    _next: float = field(init=False)

    def __post_init__(self) -> None:
        self._next = self.first

    def after_run(self, ran_for: float) -> float:
        if ran_for >= self.stable_after:
            self._next = self.first
        delay = self._next
        self._next = min(self._next * 2, self.limit)
        return delay


@dataclass
class Child:
    name: str
    argv: list[str]
    backoff: Backoff = field(default_factory=Backoff)
    process: Process | None = None
    started_at: float = 0.0
    restart_at: float | None = None


class Supervisor:
    def __init__(
        self,
        commands: dict[str, list[str]],
        *,
        spawn: Callable[[list[str]], Process] = popen,
        clock: Callable[[], float] = time.monotonic,
        log: Callable[[str], None] = log_to_stderr,
    ) -> None:
        self.children = [Child(name, argv) for name, argv in commands.items()]
        self._spawn = spawn
        self._clock = clock
        self._log = log
        self._stopping = False

    def start(self) -> None:
        for child in self.children:
            self._start(child)

    def _start(self, child: Child) -> None:
        child.process = self._spawn(child.argv)
        child.started_at = self._clock()
        child.restart_at = None

    def check(self) -> None:
        """One look at every child: note the dead, restart those whose delay is over."""
        if self._stopping:
            return
        now = self._clock()
        for child in self.children:
            process = child.process
            if process is not None and (returncode := process.poll()) is not None:
                ran_for = now - child.started_at
                delay = child.backoff.after_run(ran_for)
                child.process, child.restart_at = None, now + delay
                self._log(
                    f"{child.name} (pid {process.pid}) {describe_exit(returncode)} after "
                    f"{ran_for:.0f} s; restarting in {delay:g} s"
                )
            elif child.restart_at is not None and now >= child.restart_at:
                self._start(child)
                assert child.process is not None
                self._log(f"{child.name} restarted (pid {child.process.pid})")

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM every running child, SIGKILL those still there after `grace` seconds."""
        self._stopping = True
        running = [
            (child.name, child.process)
            for child in self.children
            if child.process is not None and child.process.poll() is None
        ]
        for _, process in running:
            process.send_signal(signal.SIGTERM)
        deadline = self._clock() + grace
        for name, process in running:
            try:
                process.wait(timeout=max(0.1, deadline - self._clock()))
            except subprocess.TimeoutExpired:
                self._log(f"{name} (pid {process.pid}) still running after {grace:g} s; SIGKILL")
                process.kill()
                process.wait()

    def run(
        self,
        stopping: Callable[[], bool],
        *,
        tick: float = 0.3,
        grace: float = 15.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Supervise until `stopping()` says so (or this raises), then stop every child."""
        try:
            while not stopping():
                self.check()
                sleep(tick)
        finally:
            self.stop(grace)
