"""The `trellis` command as a user runs it: a real process, a real port, Ctrl-C."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

TRELLIS = [sys.executable, "-m", "trellis.cli"]


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


def test_serve_runs_web_worker_and_scheduler_and_ctrl_c_stops_all(tmp_path: Path) -> None:
    env = _env(tmp_path)
    subprocess.run([*TRELLIS, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*TRELLIS, "demo", "--size", "50"], env=env, check=True, capture_output=True)
    port = _free_port()
    serve = subprocess.Popen(
        [*TRELLIS, "serve", "--port", str(port), "--no-migrate", "--web-workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as r:
                    status = r.status
                    break
            except OSError:
                time.sleep(0.5)
        assert status == 200, "the web server never answered"
        children = _children(serve.pid)
        assert len(children) == 3, children  # web, worker, scheduler
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=30)
        output = serve.stdout.read() if serve.stdout else ""
        assert "Trellis stopped." in output
        for child in children:
            with pytest.raises(ProcessLookupError):
                os.kill(child, 0)
    finally:
        if serve.poll() is None:
            serve.kill()


def test_createadmin_is_idempotent_and_refuses_without_a_password(tmp_path: Path) -> None:
    env = _env(tmp_path)
    subprocess.run([*TRELLIS, "migrate", "-v0"], env=env, check=True)
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
