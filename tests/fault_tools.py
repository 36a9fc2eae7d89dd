"""What the fault tests (tests/test_faults.py) run Trellis with: real processes on a data folder
and a database of their own, a tiny SMTP server that can hang mid-message, and a TCP proxy in
front of PostgreSQL that can cut every connection.

Each site gets the same kind of database as the test run: a SQLite file in its data folder on
the SQLite run, a scratch PostgreSQL database (`trellis_faults_<random>`, dropped afterwards)
on the server DATABASE_URL names on the PostgreSQL run. Nothing here touches another database
or stops the server.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import select
import shutil
import signal
import socket
import socketserver
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from tests.migrated import migrated_postgres

REPOSITORY = Path(__file__).resolve().parents[1]
TRELLIS = [sys.executable, "-m", "trellis.cli"]
IN_CI = os.environ.get("CI", "").lower() == "true"
RESULT_MARK = "FAULT-TOOLS-RESULT "


def cannot_run(message: str) -> NoReturn:
    """Skip locally; in CI a test that cannot run fails (it must not pass by skipping)."""
    if IN_CI:
        pytest.fail(f"{message} (CI=true: this test must run)", pytrace=False)
    pytest.skip(message)


def run_database_url() -> str | None:
    """The PostgreSQL server of this test run (DATABASE_URL), or None on the SQLite run."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    """Call `check` until it is true (True) or `timeout` seconds have passed (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (killed, not yet reaped) is not alive
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (OSError, IndexError):
        return False


def children(pid: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    ).stdout
    return [int(p) for p in out.split()]


def child_with(pid: int, mark: str) -> int | None:
    """The pid of the child of `pid` whose command line holds `mark`, if one runs."""
    for kid in children(pid):
        try:
            cmdline = Path(f"/proc/{kid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if mark.encode() in cmdline:
            return kid
    return None


def as_json(value: Any) -> Any:
    """A JSON column: text on SQLite, already decoded by psycopg on PostgreSQL."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def as_datetime(value: Any) -> datetime:
    """A datetime column: text (UTC) on SQLite, an aware datetime on PostgreSQL."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


# PostgreSQL scratch databases ----------------------------------------------------------------


def with_database(url: str, name: str, *, host: str | None = None, port: int | None = None) -> str:
    """`url` naming database `name` (and, when given, another host and port)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if host is not None or port is not None:
        userinfo, _, hostport = netloc.rpartition("@")
        old_host, _, old_port = hostport.partition(":")
        hostport = f"{host or old_host}:{port or old_port or 5432}"
        netloc = f"{userinfo}@{hostport}" if userinfo else hostport
    return urlunsplit((parts.scheme, netloc, f"/{name}", parts.query, parts.fragment))


def _admin(server_url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(
        with_database(server_url, "postgres"), autocommit=True, connect_timeout=5
    )


def create_database(server_url: str, name: str, template: str | None = None) -> None:
    with _admin(server_url) as conn:
        if template is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        else:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )


def drop_database(server_url: str, name: str) -> None:
    assert name.startswith("trellis_faults_"), name  # never anything else
    with _admin(server_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


# A site: data folder, database, processes ------------------------------------------------------


@dataclass
class Site:
    """A Trellis installation for real processes: a data folder and a database of its own."""

    data: Path
    server_url: str | None = None  # the PostgreSQL server; None: SQLite in the data folder
    database: str | None = None  # the scratch PostgreSQL database
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(40))
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _conn: psycopg.Connection[Any] | None = None
    _logs: dict[int, Path] = field(default_factory=dict)

    @classmethod
    def create(cls, data: Path) -> Site:
        data.mkdir(parents=True, exist_ok=True)
        server = run_database_url()
        if server is None:
            return cls(data)
        name = f"trellis_faults_{secrets.token_hex(5)}"
        try:
            # Migrated already (tests/migrated.py): `migrate` has nothing left to do.
            create_database(server, name, template=migrated_postgres(server))
        except psycopg.Error as error:
            cannot_run(f"no scratch PostgreSQL database on {server}: {error}")
        return cls(data, server, name)

    def clone(self, data: Path) -> Site:
        """A copy of this site (its data folder and database), for one test."""
        self.close_connection()
        shutil.copytree(self.data, data, ignore=shutil.ignore_patterns("logs"))
        if self.server_url is None or self.database is None:
            return Site(data, secret_key=self.secret_key)
        name = f"trellis_faults_{secrets.token_hex(5)}"
        create_database(self.server_url, name, template=self.database)
        return Site(data, self.server_url, name, secret_key=self.secret_key)

    @property
    def postgres(self) -> bool:
        return self.database is not None

    @property
    def database_url(self) -> str | None:
        if self.server_url is None or self.database is None:
            return None
        return with_database(self.server_url, self.database)

    def env(self, **overrides: str | None) -> dict[str, str]:
        """What every process of this site gets; an override of None removes the variable."""
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(
            TRELLIS_DATA_DIR=str(self.data),
            TRELLIS_SECRET_KEY=self.secret_key,
            DJANGO_SETTINGS_MODULE="trellis.settings",
            TRELLIS_WORKER_HEARTBEAT_SECONDS="1",
            TRELLIS_TASK_RETRY_SECONDS="0.5",
            TRELLIS_EMBEDDINGS="off",
            PYTHONUNBUFFERED="1",
        )
        if self.database_url is not None:
            env["DATABASE_URL"] = self.database_url
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    # Commands ----------------------------------------------------------------------------------

    def run(self, *args: str, timeout: float = 180, **env: str | None) -> str:
        """Run a trellis command to its end; its stdout (fails the test on an error)."""
        try:
            result = subprocess.run(
                [*TRELLIS, *args],
                env=self.env(**env),
                cwd=REPOSITORY,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            pytest.fail(f"trellis {' '.join(args)} took over {timeout} s: {error.stderr!r}")
        if result.returncode != 0:
            pytest.fail(
                f"trellis {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
            )
        return result.stdout

    def shell(self, code: str, *, timeout: float = 120, **env: str | None) -> Any:
        """Run Python in `trellis shell`; what it passed to `result(...)`, decoded from JSON."""
        prelude = (
            "import json as _json\n"
            f"def result(value): print({RESULT_MARK!r} + _json.dumps(value), flush=True)\n"
        )
        out = self.run(
            "shell", "--no-imports", "-v", "0", "-c", prelude + code, timeout=timeout, **env
        )
        for line in reversed(out.splitlines()):
            if line.startswith(RESULT_MARK):
                return json.loads(line[len(RESULT_MARK) :])
        return None

    def start(self, name: str, *args: str, **env: str | None) -> subprocess.Popen[bytes]:
        """Start a trellis command in its own session, its output in data/logs/."""
        logs = self.data / "logs"
        logs.mkdir(exist_ok=True)
        path = logs / f"{name}-{len(self.processes)}.log"
        with path.open("wb") as out:
            process = subprocess.Popen(
                [*TRELLIS, *args],
                env=self.env(**env),
                cwd=REPOSITORY,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        self._logs[process.pid] = path
        return process

    def start_worker(self, **env: str | None) -> subprocess.Popen[bytes]:
        return self.start(
            "worker", "worker", "--interval", "0.2", "--no-startup-delay", "--no-reload", **env
        )

    def output(self, process: subprocess.Popen[bytes]) -> str:
        path = self._logs.get(process.pid)
        return path.read_text(errors="replace") if path and path.exists() else ""

    def logs(self) -> str:
        """Every started process's output, for failure messages."""
        parts = []
        for process in self.processes:
            text = self.output(process)
            parts.append(f"--- {process.args!r} (pid {process.pid}):\n{text[-6000:]}")
        return "\n".join(parts)

    def stop(self, process: subprocess.Popen[bytes], grace: float = 20) -> None:
        """Ctrl-C, then SIGKILL to its whole process group if it is still there after `grace`."""
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)
                process.send_signal(signal.SIGCONT)  # in case a test stopped it
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # its children too (serve's web, worker...)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            self.stop(process)

    def strays(self) -> list[int]:
        """Processes of this site still alive (there must be none after stop_all)."""
        left = []
        for process in self.processes:
            out = subprocess.run(
                ["ps", "-o", "pid=,stat=", "-g", str(process.pid)],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            for line in out.splitlines():
                pid, _, stat = line.strip().partition(" ")
                if pid and not stat.strip().startswith("Z"):
                    left.append(int(pid))
        return left

    # Looking at the database directly (no Django in the test process) ---------------------------

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of a query (placeholders %s), read straight from this site's database."""
        if not self.postgres:
            db = sqlite3.connect(self.data / "trellis.sqlite3", timeout=30, isolation_level=None)
            try:
                return db.execute(query.replace("%s", "?"), params).fetchall()
            finally:
                db.close()
        if self._conn is None or self._conn.closed:
            assert self.database_url is not None
            self._conn = psycopg.connect(self.database_url, autocommit=True, connect_timeout=5)
        return self._conn.execute(query, params).fetchall()

    def value(self, query: str, params: tuple[Any, ...] = ()) -> Any:
        rows = self.sql(query, params)
        return rows[0][0] if rows else None

    def tasks(self, task_path: str | None = None) -> list[dict[str, Any]]:
        """The task queue: id, path, status, attempts' worker ids, run_after, exception."""
        query = (
            "SELECT id, task_path, status, worker_ids, run_after, exception_class_path, "
            "args_kwargs FROM django_tasks_database_dbtaskresult"
        )
        params: tuple[Any, ...] = ()
        if task_path is not None:
            query += " WHERE task_path = %s"
            params = (task_path,)
        rows = self.sql(query + " ORDER BY enqueued_at", params)
        return [
            {
                "id": str(row[0]).replace("-", ""),
                "path": row[1],
                "status": row[2],
                "worker_ids": as_json(row[3]),
                "run_after": as_datetime(row[4]),
                "exception": row[5] or "",
                "args": as_json(row[6]).get("args", []),
            }
            for row in rows
        ]

    def unfinished_tasks(self) -> list[dict[str, Any]]:
        return [t for t in self.tasks() if t["status"] in ("READY", "RUNNING")]

    def close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def destroy(self) -> None:
        """Stop its processes and drop its database (the data folder is pytest's tmp)."""
        self.stop_all()
        self.close_connection()
        if self.server_url is not None and self.database is not None:
            drop_database(self.server_url, self.database)


# HTTP --------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int | None  # None: no answer (refused, reset, timed out)
    headers: dict[str, str]
    body: bytes
    seconds: float
    error: str = ""


def http_get(url: str, *, headers: dict[str, str] | None = None, timeout: float = 30) -> Answer:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (http://127.0.0.1)
    began = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Answer(
                int(response.status),
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
                time.monotonic() - began,
            )
    except urllib.error.HTTPError as error:
        return Answer(
            int(error.code),
            {k.lower(): v for k, v in error.headers.items()},
            error.read(),
            time.monotonic() - began,
        )
    except OSError as error:
        return Answer(None, {}, b"", time.monotonic() - began, repr(error))


# A tiny SMTP server -------------------------------------------------------------------------


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: bytes


class _SMTPHandler(socketserver.StreamRequestHandler):
    server: _SMTPSocketServer

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        owner = self.server.owner
        owner.connections += 1
        sender, recipients = "", list[str]()
        self._reply("220 localhost fault-test ESMTP")
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self._reply("250 localhost")
            elif verb == "MAIL":
                sender, recipients = command.partition(":")[2].strip(" <>"), []
                self._reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.partition(":")[2].strip(" <>").lower())
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                mail = Mail(sender, list(recipients), data)
                if not owner.accept(mail):
                    return  # stalled: no reply, then the connection is dropped
                self._reply("250 OK: queued")
            elif verb in ("RSET", "NOOP"):
                sender, recipients = ("", []) if verb == "RSET" else (sender, recipients)
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 Bye")
                return
            else:
                self._reply("502 Command not implemented")


class _SMTPSocketServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    owner: SMTPServer


class SMTPServer:
    """Plain SMTP on 127.0.0.1:`port`, in threads of the test. A message counts as delivered
    only once the server has answered 250 after its data. With `stall_first`, the first message
    gets no answer at all: the server holds the connection (the sender is mid-send) until
    `unstall()`, then drops it."""

    def __init__(self, port: int = 0, *, stall_first: bool = False) -> None:
        self.stall_first = stall_first
        self.delivered: list[Mail] = []
        self.held: Mail | None = None
        self.stalled = threading.Event()  # set while it holds the stalled message
        self._release = threading.Event()
        self._lock = threading.Lock()
        self.connections = 0
        self._server = _SMTPSocketServer(("127.0.0.1", port), _SMTPHandler)
        self._server.owner = self
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    def accept(self, mail: Mail) -> bool:
        with self._lock:
            stall = self.stall_first and self.held is None
            if stall:
                self.held = mail
            else:
                self.delivered.append(mail)
        if stall:
            self.stalled.set()
            self._release.wait(timeout=600)
            return False
        return True

    def unstall(self) -> None:
        """Back to normal: the held connection is dropped without an answer."""
        self.stall_first = False
        self._release.set()

    def count_for(self, address: str) -> int:
        with self._lock:
            return sum(address.lower() in m.recipients for m in self.delivered)

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


# A TCP proxy that can cut the database away ----------------------------------------------------


class _Pair:
    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self._ended = 0
        self._lock = threading.Lock()

    def shutdown(self) -> None:
        for s in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def pump_ended(self) -> None:
        """One direction is over: end the other; the second to end closes both sockets."""
        self.shutdown()
        with self._lock:
            self._ended += 1
            last = self._ended == 2
        if last:
            self.client.close()
            self.upstream.close()


class TCPProxy:
    """127.0.0.1:`port` → `upstream`. `cut()` drops every live connection and accepts new ones
    only to close them at once (as a database that went away); `restore()` forwards again."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._cut = threading.Event()
        self._stop = threading.Event()
        self._pairs: set[_Pair] = set()
        self._lock = threading.Lock()
        self.refused = 0
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    @property
    def live(self) -> int:
        with self._lock:
            return len(self._pairs)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._listener], [], [], 0.2)
            if not ready:
                continue
            try:
                client, _ = self._listener.accept()
            except OSError:
                continue
            if self._cut.is_set():
                self.refused += 1
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            pair = _Pair(client, upstream)
            with self._lock:
                self._pairs.add(pair)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(pair, src, dst), daemon=True).start()

    def _pump(self, pair: _Pair, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._pairs.discard(pair)
            pair.pump_ended()

    def cut(self) -> None:
        self._cut.set()
        with self._lock:
            pairs = list(self._pairs)
        for pair in pairs:
            pair.shutdown()

    def restore(self) -> None:
        self._cut.clear()

    def close(self) -> None:
        self._stop.set()
        self.cut()
        self._thread.join(timeout=5)
        self._listener.close()


# Reading a progress file that is a named pipe ------------------------------------------------


def read_fifo_message(path: Path, timeout: float) -> list[dict[str, Any]]:
    """Wait for the next writer of the FIFO at `path` and read what it wrote until it closed:
    the JSON objects in it. Until this is called again, the next writer blocks in open()."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    data = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if chunk:
                data += chunk
            elif data:
                break  # the writer closed after writing
            else:
                time.sleep(0.01)  # no writer yet
        else:
            raise TimeoutError(f"nothing written to {path} in {timeout} s")
    finally:
        os.close(fd)
    text, messages, decoder = data.decode(), [], json.JSONDecoder()
    while text.strip():
        value, end = decoder.raw_decode(text.strip())
        messages.append(value)
        text = text.strip()[end:]
    return messages


@contextlib.contextmanager
def smtp_server(port: int = 0, *, stall_first: bool = False) -> Iterator[SMTPServer]:
    server = SMTPServer(port, stall_first=stall_first)
    try:
        yield server
    finally:
        server.close()


@contextlib.contextmanager
def tcp_proxy(upstream: tuple[str, int]) -> Iterator[TCPProxy]:
    proxy = TCPProxy(upstream)
    try:
        yield proxy
    finally:
        proxy.close()
