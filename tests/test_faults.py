"""Faults with real processes (issue 13): `kill -9` of the worker mid-import, mid-embedding and
mid-email, an SMTP server that is down, and the database cut away under `trellis serve`.

After a restart every task completes exactly once: no email twice, no document without a
vector, no import left running, no upload left on disk. With the database away, pages and the
API answer 503 with Retry-After (never a 500, never a hang), and what was queued meanwhile is
done once it is back.

Every process runs on a site of its own (tests/fault_tools.py): a copy of a demo installation
made once per module, on the database kind of the run (a SQLite file, or a scratch PostgreSQL
database on the PostgreSQL run). "Mid" is made certain, not hoped for: the import's progress
file is a named pipe the test reads (the worker blocks on its next progress write, inside the
import's transaction), a worker caught embedding is stopped (SIGSTOP) before the counts are
read and then killed, and the SMTP server holds the message without answering.
"""

import json
import os
import re
import signal
import subprocess
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pytest

from tests.fault_tools import (
    Answer,
    Site,
    as_json,
    cannot_run,
    child_with,
    children,
    free_port,
    http_get,
    read_fifo_message,
    run_database_url,
    smtp_server,
    tcp_proxy,
    wait_for,
    with_database,
)
from tests.migrated import migrated_sqlite
from tests.shared_data import stackexchange_dump
from trellis.search.embeddings import EMBED_BATCH

RUN_IMPORT = "trellis.imports.tasks.run_import"
EMBED_IN_SLICES = "trellis.search.tasks.embed_in_slices"
SEND_EMAIL = "trellis.notifications.tasks.send_notification_email"
INDEX_DOCUMENTS = "trellis.search.tasks.index_documents"
ADMIN = "admin@demo.trellis.local"
DUMP = "quantumcomputing-2018"
AFTER_POSTS = ("Posts.xml", "Comments.xml")  # progress stages that come after posts are written


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Migrated, with the demo organisation (50 people) and its queue worked off with
    embeddings off: ~400 search documents wait for a vector. Made once; tests get copies."""
    site = Site.create(tmp_path_factory.mktemp("faults-base"))
    try:
        if not site.postgres:  # a PostgreSQL site's database is a copy of one migrated
            migrated_sqlite(site.data)  # then migrate has nothing left to do
        site.run("migrate", "-v", "0")
        site.run("demo", "--size", "50")
        site.run("worker", "--batch", "--no-startup-delay", "--no-reload")
        site.close_connection()
        yield site
    finally:
        site.destroy()


@pytest.fixture
def site(base: Site, tmp_path: Path) -> Iterator[Site]:
    copy = base.clone(tmp_path / "data")
    try:
        yield copy
    finally:
        copy.destroy()
        assert not copy.strays(), f"processes left running: {copy.strays()}"


def _kill_9(process: "subprocess.Popen[bytes]") -> None:
    """`kill -9` the process itself (not its group), and reap it."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=20)
    assert process.returncode == -signal.SIGKILL


def _fail(message: str, site: Site) -> NoReturn:
    pytest.fail(f"{message}\n{site.logs()}", pytrace=False)


def _wait_until_queue_empty(site: Site, timeout: float) -> None:
    if not wait_for(lambda: not site.unfinished_tasks(), timeout=timeout, interval=0.5):
        _fail(f"tasks still waiting or running after {timeout} s: {site.unfinished_tasks()}", site)


def _failed_tasks(site: Site) -> list[dict[str, Any]]:
    return [t for t in site.tasks() if t["status"] == "FAILED"]


# kill -9 mid-import ----------------------------------------------------------------------------


def _zip_folder(folder: Path, archive: Path) -> None:
    """The dump zipped as a user zips a folder: one folder holding the files."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(folder.iterdir()):
            out.write(path, f"{folder.name}/{path.name}")


def _rows(path: Path, attribute: str | None = None) -> int:
    data = path.read_bytes()
    if attribute is None:
        return len(re.findall(rb"<row ", data))
    return len(re.findall(rb"<row [^>]*" + attribute.encode(), data))


def _clean_import_counts(base: Site, dump: Path, data: Path) -> dict[str, Any]:
    """The summary counts of the same import done without faults, on another copy."""
    clean = base.clone(data)
    try:
        out = clean.run("import", "stackexchange", str(dump), "--quiet", "--json")
        counts: dict[str, Any] = json.loads(out.strip().splitlines()[-1])["counts"]
        return counts
    finally:
        clean.destroy()


def test_worker_killed_mid_import_runs_it_again_from_the_upload_once(
    base: Site, site: Site, tmp_path: Path
) -> None:
    dump = stackexchange_dump(DUMP)
    archive = tmp_path / f"{DUMP}.zip"
    _zip_folder(dump, archive)
    expected = _clean_import_counts(base, dump, tmp_path / "clean")

    run_id = site.shell(
        "from pathlib import Path\n"
        "from django.core.files.uploadedfile import SimpleUploadedFile\n"
        "from trellis.imports.services import import_run_create\n"
        "from trellis.people.models import Person\n"
        f"upload = SimpleUploadedFile({archive.name!r}, Path({str(archive)!r}).read_bytes())\n"
        f"admin = Person.objects.get(email={ADMIN!r})\n"
        "run = import_run_create(actor=admin, kind='stackexchange', upload=upload)\n"
        "result(run.pk)\n"
    )
    imports = site.data / "imports"
    assert (imports / f"run-{run_id}.zip").is_file()
    [queued] = site.tasks(RUN_IMPORT)
    assert queued["status"] == "READY" and queued["args"] == [run_id]

    def run_status() -> str:
        return str(site.value("SELECT status FROM imports_importrun WHERE id = %s", (run_id,)))

    def imported_posts() -> int:
        return int(site.value("SELECT COUNT(*) FROM qa_post WHERE source LIKE %s", ("stackex%",)))

    # The progress file is a named pipe: each progress write waits for the test to read it.
    fifo = imports / f"run-{run_id}.progress.json"
    os.mkfifo(fifo)
    first = site.start_worker()
    seen: list[dict[str, Any]] = []
    try:
        # Posts.xml reports at most every 0.5 s (its last batch may not report at all);
        # Comments.xml always reports its end: by then every post is written.
        while not any(m["stage"] in AFTER_POSTS and m["done"] > 0 for m in seen):
            seen += read_fifo_message(fifo, timeout=120)
    except TimeoutError:
        _fail(f"the import never reported posts written (progress so far: {seen})", site)
    # Mid-import: posts written in the import's transaction, the next progress write blocked.
    os.kill(first.pid, signal.SIGSTOP)
    assert run_status() == "running"
    assert site.tasks(RUN_IMPORT)[0]["status"] == "RUNNING"
    _kill_9(first)
    fifo.unlink()

    # What the dead worker leaves: a run and a task still running, the upload, nothing committed.
    assert run_status() == "running"
    [task] = site.tasks(RUN_IMPORT)
    assert task["status"] == "RUNNING" and len(task["worker_ids"]) == 1
    assert (imports / f"run-{run_id}.zip").is_file()
    assert (imports / f"run-{run_id}").is_dir()  # the dead attempt's unpacked dump
    assert imported_posts() == 0

    second = site.start_worker()
    if not wait_for(lambda: run_status() in ("done", "failed"), timeout=180, interval=0.5):
        _fail(f"the import did not finish after the restart: {run_status()}", site)
    assert run_status() == "done", site.value(
        "SELECT error FROM imports_importrun WHERE id = %s", (run_id,)
    )
    _wait_until_queue_empty(site, timeout=180)  # indexing and evidence after the import
    site.stop(second)

    # Exactly once: the summary of a clean import, each post once, one task, two attempts.
    summary = as_json(site.value("SELECT summary FROM imports_importrun WHERE id = %s", (run_id,)))
    assert summary["counts"] == expected
    questions = _rows(dump / "Posts.xml", 'PostTypeId="1"')
    answers = _rows(dump / "Posts.xml", 'PostTypeId="2"')
    assert summary["counts"]["questions"]["created"] == questions
    assert summary["counts"]["answers"]["created"] == answers
    assert summary["counts"]["comments"]["created"] == _rows(dump / "Comments.xml")
    assert imported_posts() == questions + answers
    duplicates = site.sql(
        "SELECT source, source_id, COUNT(*) FROM qa_post WHERE source LIKE %s "
        "GROUP BY source, source_id HAVING COUNT(*) > 1",
        ("stackex%",),
    )
    assert duplicates == []
    [task] = site.tasks(RUN_IMPORT)
    assert task["status"] == "SUCCESSFUL"
    assert len(task["worker_ids"]) == 2
    assert _failed_tasks(site) == []
    left = [p.name for p in imports.iterdir() if re.fullmatch(rf"run-{run_id}(\..*)?", p.name)]
    assert left == [], f"files of the run left on disk: {left}"


# kill -9 mid-embedding -------------------------------------------------------------------------


def _local_model(site: Site) -> str:
    """The local model's name, after a first embedding (which also builds its ONNX graph in
    the site's data folder). Skips (fails in CI) when it cannot load."""
    answer = site.shell(
        "try:\n"
        "    from trellis.search.embeddings import embedder, semantic_off_reason\n"
        "    model = embedder()\n"
        "    if model is None:\n"
        "        result({'error': semantic_off_reason()})\n"
        "    else:\n"
        "        assert len(model.embed(['a first sentence'])[0]) == model.dim\n"
        "        result({'name': model.name})\n"
        "except Exception as error:\n"
        "    result({'error': repr(error)})\n",
        timeout=300,
        TRELLIS_EMBEDDINGS="local",
    )
    if not answer or "error" in answer:
        cannot_run(f"the local embedding model does not load: {answer}")
    return str(answer["name"])


def test_worker_killed_mid_embedding_leaves_no_document_without_a_vector(
    site: Site,
) -> None:
    model = _local_model(site)
    total = int(site.value("SELECT COUNT(*) FROM search_document"))

    def embedded() -> int:
        return int(
            site.value("SELECT COUNT(*) FROM search_document WHERE embedding_model = %s", (model,))
        )

    # at least four batches: "mid" is observable (the demo of 50 people writes 48 questions of
    # the written corpus and their answers, ~260 documents; it wrote templated ~300 before)
    assert total >= 4 * EMBED_BATCH and embedded() == 0
    assert site.unfinished_tasks() == []
    earlier = {t["id"] for t in site.tasks(EMBED_IN_SLICES)}  # the demo's, with embeddings off
    site.shell("from trellis.search.tasks import embed_in_slices\nembed_in_slices.enqueue()\n")

    def chain() -> list[dict[str, Any]]:
        """The tasks of this chain: the one queued here and any slice it queued after it."""
        return [t for t in site.tasks(EMBED_IN_SLICES) if t["id"] not in earlier]

    first = site.start_worker(TRELLIS_EMBEDDINGS="local")
    if not wait_for(lambda: embedded() > 0, timeout=180, interval=0.05):
        _fail("the worker embedded nothing", site)
    os.kill(first.pid, signal.SIGSTOP)  # frozen: what it did so far is what we read
    before = embedded()
    if before >= total:
        _fail(f"the worker embedded all {total} documents before it could be stopped", site)
    [task] = chain()
    assert task["status"] == "RUNNING"
    kept = dict(
        site.sql("SELECT id, embedded_at FROM search_document WHERE embedding_model = %s", (model,))
    )
    _kill_9(first)
    assert 0 < embedded() < total
    [task] = chain()
    assert task["status"] == "RUNNING"

    second = site.start_worker(TRELLIS_EMBEDDINGS="local")
    _wait_until_queue_empty(site, timeout=240)
    site.stop(second)

    without = site.value(
        "SELECT COUNT(*) FROM search_document WHERE embedding_model != %s OR embedding IS NULL",
        (model,),
    )
    assert without == 0
    assert embedded() == total
    assert _failed_tasks(site) == []
    [task] = chain()
    assert task["status"] == "SUCCESSFUL" and len(task["worker_ids"]) == 2
    # What was embedded before the kill was not embedded again.
    after = dict(
        site.sql("SELECT id, embedded_at FROM search_document WHERE embedding_model = %s", (model,))
    )
    assert {pk: after[pk] for pk in kept} == kept
    print(f"embedded before the kill: {before} of {total}")


# kill -9 mid-email, and SMTP down ---------------------------------------------------------------


def _notifications(site: Site, count: int) -> list[dict[str, Any]]:
    """`count` readers, each with one urgent notification (no community: anyone signed in may
    see it) and its email task queued."""
    made: list[dict[str, Any]] = site.shell(
        "from trellis.notifications.models import Notification\n"
        "from trellis.notifications.tasks import send_notification_email\n"
        "from trellis.people.models import Person\n"
        "made = []\n"
        f"for i in range({count}):\n"
        "    reader = Person.objects.create_user(f'fault-reader-{i}@example.com', None,\n"
        "                                        name=f'Fault Reader {i}')\n"
        "    n = Notification.objects.create(recipient=reader, kind='mention', community=None,\n"
        "        target_type='question', target_id=1, title=f'Fault test {i}', url='/questions/')\n"
        "    task = send_notification_email.enqueue(n.pk)\n"
        "    made.append({'id': n.pk, 'email': reader.email, 'task': str(task.id)})\n"
        "result(made)\n"
    )
    return made


def _smtp_env(port: int) -> dict[str, str]:
    return {
        "TRELLIS_SMTP_HOST": "127.0.0.1",
        "TRELLIS_SMTP_PORT": str(port),
        "TRELLIS_SMTP_TLS": "false",
    }


def _emailed(site: Site, notification_id: int) -> bool:
    return (
        site.value(
            "SELECT emailed_at FROM notifications_notification WHERE id = %s", (notification_id,)
        )
        is not None
    )


def _email_tasks(site: Site) -> dict[int, dict[str, Any]]:
    """The email task of each notification (there must be one each)."""
    tasks = site.tasks(SEND_EMAIL)
    by_notification = {t["args"][0]: t for t in tasks}
    assert len(by_notification) == len(tasks), tasks
    return by_notification


def test_worker_killed_mid_email_sends_each_email_exactly_once(site: Site) -> None:
    mails = _notifications(site, 4)
    ids = [m["id"] for m in mails]
    with smtp_server(stall_first=True) as smtp:
        first = site.start_worker(**_smtp_env(smtp.port))
        if not smtp.stalled.wait(timeout=120):
            _fail("no message reached the SMTP server", site)
        assert smtp.held is not None
        [held] = [m for m in mails if m["email"] in smtp.held.recipients]
        # Mid-send: the server has the data, the worker waits for its answer.
        assert _email_tasks(site)[held["id"]]["status"] == "RUNNING"
        assert not _emailed(site, held["id"])
        _kill_9(first)
        assert smtp.delivered == []
        assert not any(_emailed(site, pk) for pk in ids)
        assert _email_tasks(site)[held["id"]]["status"] == "RUNNING"

        smtp.unstall()
        second = site.start_worker(**_smtp_env(smtp.port))

        def all_sent() -> bool:
            tasks = _email_tasks(site)
            return all(tasks[pk]["status"] == "SUCCESSFUL" for pk in ids)

        if not wait_for(all_sent, timeout=120, interval=0.3):
            _fail(f"emails not all sent: {_email_tasks(site)}", site)
        site.stop(second)
        for mail in mails:
            assert smtp.count_for(mail["email"]) == 1, mail
        assert len(smtp.delivered) == len(mails)
    assert all(_emailed(site, pk) for pk in ids)
    tasks = _email_tasks(site)
    assert len(tasks[held["id"]]["worker_ids"]) == 2
    assert _failed_tasks(site) == []


def test_emails_wait_for_an_smtp_server_that_is_down_and_go_out_once_it_is_up(
    site: Site,
) -> None:
    mails = _notifications(site, 3)
    ids = [m["id"] for m in mails]
    port = free_port()  # nothing listens here yet
    worker = site.start_worker(**_smtp_env(port))

    def retried_later() -> bool:
        now = datetime.now(UTC)
        return any(
            t["status"] == "READY"
            and len(t["worker_ids"]) >= 2
            and "ConnectionRefusedError" in t["exception"]
            and t["run_after"] > now
            for t in _email_tasks(site).values()
        )

    if not wait_for(retried_later, timeout=120, interval=0.1):
        _fail(f"no email task waits for a retry: {_email_tasks(site)}", site)
    tasks = _email_tasks(site)
    assert all(tasks[pk]["status"] in ("READY", "RUNNING") for pk in ids), tasks
    assert not any(_emailed(site, pk) for pk in ids)

    with smtp_server(port) as smtp:

        def all_sent() -> bool:
            tasks = _email_tasks(site)
            return all(tasks[pk]["status"] == "SUCCESSFUL" for pk in ids)

        if not wait_for(all_sent, timeout=120, interval=0.3):
            _fail(f"emails not all sent once the server was up: {_email_tasks(site)}", site)
        site.stop(worker)
        for mail in mails:
            assert smtp.count_for(mail["email"]) == 1, mail
    assert all(_emailed(site, pk) for pk in ids)
    assert _failed_tasks(site) == []
    assert max(len(t["worker_ids"]) for t in _email_tasks(site).values()) >= 2


# The database cut away under `trellis serve` -----------------------------------------------------


def _credentials(site: Site) -> dict[str, str]:
    """An API token and a signed-in session of the org admin."""
    made: dict[str, str] = site.shell(
        "from django.test import Client\n"
        "from trellis.accounts.services import api_token_create\n"
        "from trellis.people.models import Person\n"
        f"admin = Person.objects.get(email={ADMIN!r})\n"
        "_, raw = api_token_create(actor=admin, name='fault test')\n"
        "client = Client()\n"
        "client.force_login(admin)\n"
        "result({'token': raw, 'session': client.cookies['sessionid'].value})\n"
    )
    return made


def test_database_cut_under_serve_is_a_503_and_work_queued_meanwhile_is_done_after(
    site: Site,
) -> None:
    if not site.postgres:
        pytest.skip("needs a network database: SQLite has no connection to cut")
    server = run_database_url()
    assert server is not None and site.database is not None
    upstream = urlsplit(server)
    credentials = _credentials(site)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    api = {"Authorization": f"Bearer {credentials['token']}"}
    page = {"Cookie": f"sessionid={credentials['session']}"}

    def get(path: str, headers: dict[str, str]) -> Answer:
        return http_get(base_url + path, headers=headers, timeout=60)

    with tcp_proxy((upstream.hostname or "127.0.0.1", upstream.port or 5432)) as proxy:
        through_proxy = with_database(server, site.database, host="127.0.0.1", port=proxy.port)
        serve = site.start(
            "serve",
            "serve",
            "--no-migrate",
            "--web-workers",
            "1",
            "--port",
            str(port),
            DATABASE_URL=through_proxy,
        )
        if not wait_for(lambda: get("/login/", {}).status == 200, timeout=120, interval=0.5):
            _fail("trellis serve never answered", site)
        assert get("/api/v1/questions", api).status == 200
        assert get("/questions/", page).status == 200
        worker = child_with(serve.pid, "trellis.cli worker")
        assert worker is not None

        proxy.cut()
        cut_at = time.monotonic()
        answers = {
            "api": get("/api/v1/questions", api),
            "page": get("/questions/", page),
        }
        for what, answer in answers.items():
            assert answer.status == 503, (what, answer, site.logs())
            assert answer.headers.get("retry-after", "").isdigit(), (what, answer.headers)
            assert answer.seconds < 20, (what, answer.seconds)
        assert b"database is not answering" in answers["api"].body
        assert b"database is not answering" in answers["page"].body

        # Meanwhile a question is asked through another way in (straight to the database): its
        # indexing task waits in the queue the cut-off worker cannot read.
        question = site.shell(
            "from trellis.communities.models import Community\n"
            "from trellis.people.models import Person\n"
            "from trellis.qa.services import question_ask\n"
            f"admin = Person.objects.get(email={ADMIN!r})\n"
            "community = Community.objects.filter(visibility='public').order_by('pk').first()\n"
            "q = question_ask(actor=admin, community=community,\n"
            "    title='Asked while the web was cut off from its database',\n"
            "    body='Is this question indexed once the database is back?')\n"
            "result(q.pk)\n"
        )

        def indexing() -> list[dict[str, Any]]:
            return [
                t
                for t in site.tasks(INDEX_DOCUMENTS)
                if t["args"] and t["args"][0] == "question" and question in t["args"][1]
            ]

        [task] = indexing()
        assert task["status"] == "READY"
        answers["api, later"] = get("/api/v1/questions", api)  # still cut
        assert answers["api, later"].status == 503
        outage = time.monotonic() - cut_at

        proxy.restore()
        restored_at = time.monotonic()
        if not wait_for(lambda: get("/api/v1/questions", api).status == 200, 60, interval=1):
            _fail("the API did not come back within 60 s of the database", site)
        web_back = time.monotonic() - restored_at
        assert get("/questions/", page).status == 200

        def indexed() -> bool:
            return indexing()[0]["status"] == "SUCCESSFUL" and bool(
                site.value(
                    "SELECT COUNT(*) FROM search_document WHERE kind = %s AND object_id = %s",
                    ("question", question),
                )
            )

        if not wait_for(indexed, timeout=90, interval=0.5):
            _fail(f"the work queued during the outage was not done: {indexing()}", site)
        work_done = time.monotonic() - restored_at
        listed = get("/api/v1/questions", api)
        assert b"Asked while the web was cut off" in listed.body

        # serve keeps its three children (the scheduler, which stops on a database error, is
        # restarted by serve).
        if not wait_for(lambda: len(children(serve.pid)) == 3, timeout=60, interval=0.5):
            _fail(f"serve does not run its three children: {children(serve.pid)}", site)
        worker_after = child_with(serve.pid, "trellis.cli worker")
        site.stop(serve)
        output = site.output(serve)
    print(
        f"\n503s in {', '.join(f'{a.seconds:.1f}' for a in answers.values())} s; outage "
        f"{outage:.0f} s; web back {web_back:.1f} s and queued work done {work_done:.1f} s "
        f"after the restore; worker {'kept its pid' if worker_after == worker else 'restarted'} "
        f"({worker} -> {worker_after}); connections refused during the cut: {proxy.refused}"
    )
    assert "Trellis stopped." in output
    # No 500, no crash of the web: the outage is logged, each request in a line or two.
    assert not re.search(r'HTTP/1\.[01]" 500 ', output), output
    assert "Internal Server Error" not in output
    assert "WORKER TIMEOUT" not in output and "Exception in worker" not in output
    tracebacks = _request_tracebacks(output)
    assert [path for path in tracebacks if path.startswith("/api/")] == [], output
    assert tracebacks == [], output  # a database that is away is a warning line, no more


def _request_tracebacks(output: str) -> list[str]:
    """The paths of Django's request log lines ("Service Unavailable: /questions/") that
    come with a traceback."""
    return re.findall(r"^[A-Z][A-Za-z ]+: (/\S*)\nTraceback \(most recent", output, re.M)
