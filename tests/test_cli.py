"""The `trellis` command as a user runs it: a real process, a real port, Ctrl-C, kill -9."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.migrated import migrated_sqlite

TRELLIS = [sys.executable, "-m", "trellis.cli"]
# What tells the children of `trellis serve` apart on their command lines.
MARKS = {"web": "gunicorn", "worker": "trellis.cli worker", "scheduler": "scheduler"}


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(TRELLIS_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="trellis.settings")
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    ).stdout
    return [int(p) for p in out.split()]


def _child(pid: int, name: str) -> int | None:
    """The pid of the child of `pid` named `name` (web, worker, scheduler), if it runs."""
    for child in _children(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if MARKS[name].encode() in cmdline:
            return child
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _status(port: int, path: str = "/login/") -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return None


def _wait_for(check: Callable[[], bool], timeout: float = 180) -> bool:
    """Until `check` holds or `timeout` passes. A bound on readiness, not a speed test: with
    both database runs at once on two cores, a cold `serve` has taken over a minute to answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return False


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated data folder with the demo organisation (and so a secret key), made once."""
    path = tmp_path_factory.mktemp("demo")
    env = _env(path)
    migrated_sqlite(path)
    subprocess.run([*TRELLIS, "demo", "--size", "50"], env=env, check=True, capture_output=True)
    return path


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()


@contextmanager
def serving(data_dir: Path, *args: str) -> Iterator[Served]:
    """`trellis serve` on a free port until it answers on /login/; Ctrl-C on the way out."""
    port = _free_port()
    out, err = data_dir / "serve.out", data_dir / "serve.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [*TRELLIS, "serve", "--port", str(port), "--web-workers", "1", *args],
            env=_env(data_dir),
            stdout=stdout,
            stderr=stderr,
        )
    served = Served(process, port, out, err)
    try:
        assert _wait_for(lambda: _status(port) == 200), "the web server never answered"
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def test_serve_runs_web_worker_and_scheduler_and_ctrl_c_stops_all(
    demo_dir: Path, tmp_path: Path
) -> None:
    data = shutil.copytree(demo_dir, tmp_path / "data")
    with serving(data, "--no-migrate") as served:
        children = _children(served.process.pid)
        assert len(children) == 3, children  # web, worker, scheduler
        served.process.send_signal(signal.SIGINT)
        served.process.wait(timeout=30)
        assert "Trellis stopped." in served.output()
        for child in children:
            assert not _alive(child)


@pytest.mark.parametrize("name", ["web", "worker"])
def test_serve_restarts_a_child_killed_with_sigkill_and_logs_it(
    name: str, demo_dir: Path, tmp_path: Path
) -> None:
    data = shutil.copytree(demo_dir, tmp_path / "data")
    with serving(data, "--no-migrate") as served:
        pid = served.process.pid
        old = _child(pid, name)
        assert old is not None
        grandchildren = _children(old)  # gunicorn's own workers, for the web server
        os.kill(old, signal.SIGKILL)

        def back() -> bool:
            new = _child(pid, name)
            return new is not None and new != old and _status(served.port) == 200

        assert _wait_for(back), f"{name} never came back:\n{served.output()}"
        # The killed master's web workers notice and leave: nothing serves stale code.
        assert _wait_for(lambda: not any(_alive(p) for p in grandchildren), timeout=20)
        assert served.process.poll() is None, "serve stopped instead of restarting"
        assert len(_children(pid)) == 3
        new = _child(pid, name)
        log = served.stderr.read_text()
        assert f"{name} (pid {old}) was killed by SIGKILL" in log, log
        assert "restarting in 1 s" in log, log
        assert f"{name} restarted (pid {new})" in log, log


def test_serve_without_a_secret_key_refuses_to_start(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in _env(tmp_path).items()
        if k not in {"TRELLIS_SECRET_KEY", "TRELLIS_SECRET_KEY_FILE", "TRELLIS_DEBUG"}
    }
    try:
        result = subprocess.run(
            [*TRELLIS, "serve", "--port", str(_free_port()), "--no-worker", "--no-scheduler"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired as error:  # started anyway, and keeps restarting the web
        pytest.fail(f"serve did not refuse: {error.stderr!r}")
    assert result.returncode != 0
    assert "TRELLIS_SECRET_KEY" in result.stderr
    # Refused up front with the message, not by a web server failing to boot.
    assert "Traceback" not in result.stderr, result.stderr
    assert "running at" not in result.stdout


def test_createadmin_is_idempotent_and_refuses_without_a_password(tmp_path: Path) -> None:
    env = _env(tmp_path)
    migrated_sqlite(tmp_path)
    args = [*TRELLIS, "createadmin", "--email", "Boss@Example.com", "--password", "s3cret-pass!"]
    assert (
        "created"
        in subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout
    )
    assert (
        "updated"
        in subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout
    )
    refused = subprocess.run(
        [*TRELLIS, "createadmin", "--email", "other@example.com"],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert refused.returncode != 0 and "TRELLIS_ADMIN_PASSWORD" in refused.stderr
