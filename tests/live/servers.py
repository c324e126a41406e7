"""Private PostgreSQL, Redis, gunicorn and Celery worker, started by the tests that break them.

The PostgreSQL and Redis on 127.0.0.1:5432/6379 are shared with other work and are never stopped:
each server here runs from a temporary directory on a free loopback port, and is stopped (its
directory removed) when its block ends, whatever happened in it. PostgreSQL refuses to run as root,
so as root its programs run as the ``postgres`` OS user (``runuser``), which owns only its directory.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
LOOPBACK = "127.0.0.1"


def _postgres_bin() -> Path:
    """VOLNA_POSTGRES_BIN, or the newest PostgreSQL of Debian's /usr/lib/postgresql/<version>/bin."""
    if os.environ.get("VOLNA_POSTGRES_BIN"):
        return Path(os.environ["VOLNA_POSTGRES_BIN"])
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return versions[-1].parent if versions else Path("/usr/lib/postgresql/15/bin")


POSTGRES_BIN = _postgres_bin()
POSTGRES_OS_USER = "postgres"
DATABASE = "volna"
ADMIN_PASSWORD = "live-stack-admin-password"  # a throw-away database on a loopback port
WAIT_SECONDS = 60


def servers_missing() -> str | None:
    """Why a private stack cannot be started here, or None."""
    if not (POSTGRES_BIN / "initdb").exists():
        return f"needs the PostgreSQL server programs (initdb, pg_ctl) in {POSTGRES_BIN} (VOLNA_POSTGRES_BIN)"
    if not (shutil.which("redis-server") and shutil.which("redis-cli")):
        return "needs redis-server and redis-cli (apt-get install redis-server redis-tools)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(POSTGRES_OS_USER)
        except KeyError:
            return "runs as root, so needs the 'postgres' OS user to run a private PostgreSQL"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def _wait(condition, what: str, seconds: float = WAIT_SECONDS, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:]) if log and log.exists() else ""
    raise RuntimeError(f"{what} not ready within {seconds} s\n{tail}")


class PrivatePostgres:
    """A PostgreSQL cluster of its own: ``initdb`` into a temporary directory, ``pg_ctl`` to run it."""

    def __init__(self, settings: dict[str, str] | None = None) -> None:
        self.settings = dict(settings or {})
        self.directory = Path(tempfile.mkdtemp(prefix="volna-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.port = free_port()
        if os.geteuid() == 0:
            account = pwd.getpwnam(POSTGRES_OS_USER)
            os.chown(self.directory, account.pw_uid, account.pw_gid)
        options = ["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"]
        self._program("initdb", "-D", str(self.data), *options)

    def _program(self, name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        as_postgres = ["runuser", "-u", POSTGRES_OS_USER, "--"] if os.geteuid() == 0 else []
        return subprocess.run(
            [*as_postgres, str(POSTGRES_BIN / name), *args],
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=WAIT_SECONDS,
            check=check,
        )

    def start(self) -> None:
        # fsync off: a test cluster, and a killed server still leaves its writes in the page cache
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses={LOOPBACK} -c fsync=off "
            "-c full_page_writes=off -c max_connections=60"
        )
        options += "".join(f" -c {name}={value}" for name, value in self.settings.items())
        self._program("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends every session, then stops cleanly; ``immediate`` is a crash (recovers on start)."""
        self._program("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, *, mode: str, down_seconds: float) -> None:
        self.stop(mode)
        time.sleep(down_seconds)
        self.start()

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://postgres@{LOOPBACK}:{self.port}/{database}"

    def connect(self, database: str = DATABASE):
        connection = psycopg2.connect(host=LOOPBACK, port=self.port, user="postgres", dbname=database)
        connection.autocommit = True
        return connection

    def query(self, sql: str, params: tuple | list = (), database: str = DATABASE) -> list[tuple]:
        connection = self.connect(database)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def dump(self, out: Path, *, database: str = DATABASE, fmt: str = "plain") -> None:
        """``pg_dump`` of the whole database (schema and data) to ``out``."""
        server = ["-h", LOOPBACK, "-p", str(self.port), "-U", "postgres"]
        subprocess.run(
            [str(POSTGRES_BIN / "pg_dump"), *server, f"--format={fmt}", "--file", str(out), database],
            check=True,
            capture_output=True,
            timeout=WAIT_SECONDS,
        )

    def close(self) -> None:
        self._program("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.directory, ignore_errors=True)


class PrivateRedis:
    """A Redis of its own (no persistence), as a child process: stopped, it loses everything."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.log = directory / "redis.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            LOOPBACK,
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            str(self.log),
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        _wait(self.ping, "redis-server", log=self.log)

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(host=LOOPBACK, port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=WAIT_SECONDS)
        self.process = None

    def url(self, db: int = 0) -> str:
        return f"redis://{LOOPBACK}:{self.port}/{db}"


class Child:
    """A server process (gunicorn, a Celery worker) with its output in a log file."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def children(self) -> set[int]:
        """Its child processes (gunicorn's workers), from /proc."""
        found = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended meanwhile
                continue
            if int(fields[1]) == self.process.pid:
                found.add(int(stat.parent.name))
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)

    def kill(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a pulled plug would: nothing gets to clean up."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)


class Stack:
    """PostgreSQL + Redis + gunicorn + a Celery worker, configured as deployed (DEBUG off)."""

    def __init__(self, directory: Path, postgres: PrivatePostgres, redis: PrivateRedis) -> None:
        self.directory = directory
        self.postgres = postgres
        self.redis = redis
        self.private_root = directory / "private"
        self.web: Child | None = None
        self.web_port = 0
        self.worker: Child | None = None
        self.workers_started = 0
        self.worker_log_level = "INFO"
        self.extra_env: dict[str, str] = {}

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of every process of the stack (and of ``manage``)."""
        inherited = {
            k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "VOLNA_", "GUNICORN_"))
        }
        return {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.postgres.url(),
            "REDIS_URL": self.redis.url(),
            "SECRET_KEY": "live-stack-secret-key",
            "VOLNA_TOKEN_KEY": "live-stack-token-key",
            "DEBUG": "0",
            "STATIC_MANIFEST": "0",
            "SECURE_COOKIES": "0",  # plain HTTP on the loopback
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": f"{LOOPBACK},localhost",
            "CONN_MAX_AGE": "60",
            "VOLNA_PRIVATE_ROOT": str(self.private_root),
            # as behind one reverse proxy: each simulated respondent has an address of its own
            "VOLNA_TRUSTED_PROXIES": "1",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
            **extra,
        }

    def manage(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def ops(self, *args: str, timeout: float = 300) -> str:
        """One of the operations of ``tests/live/ops.py`` run against this stack (a process of its own)."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.live.ops", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"ops {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout.strip()

    def new_wave(self, name: str) -> dict:
        """A new open wave on the demo questionnaire (``id``, ``slug``): a test counts only its own."""
        return json.loads(self.ops("wave-new", name))

    # -- gunicorn ------------------------------------------------------------------------------------

    def start_web(self, *, workers: int = 4) -> None:
        """gunicorn as deployed (``config/gunicorn.py``), on a free loopback port."""
        self.web_port = free_port()
        env = self.env(GUNICORN_BIND=f"{LOOPBACK}:{self.web_port}", GUNICORN_WORKERS=str(workers))
        # a control socket of its own: gunicorn's default path is shared by every instance of a user
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "config/gunicorn.py",
            "--control-socket",
            str(self.directory / "gunicorn.ctl"),
            "config.wsgi",
        ]
        self.web = Child(command, env, self.directory / "gunicorn.log")
        _wait(self._web_ready, "gunicorn", log=self.web.log)

    def _web_ready(self) -> bool:
        import http.client

        if self.web is None or self.web.process.poll() is not None:
            raise RuntimeError("gunicorn exited:\n" + (self.web.log_text() if self.web else ""))
        try:
            connection = http.client.HTTPConnection(LOOPBACK, self.web_port, timeout=2)
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False

    # -- the Celery worker ---------------------------------------------------------------------------

    def start_worker(self) -> Child:
        """A Celery worker (solo pool, as in CI); a new one gets a new name and log."""
        self.workers_started += 1
        name = f"worker{self.workers_started}"
        celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
        log = self.directory / f"{name}.log"
        command = [
            celery,
            "-A",
            "config",
            "worker",
            "--pool=solo",
            f"--loglevel={self.worker_log_level}",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"{name}@%h",
        ]
        self.worker = Child(command, self.env(CONN_MAX_AGE="0"), log)
        worker = self.worker
        _wait(lambda: " ready." in worker.log_text(), "Celery worker", log=log)
        return worker

    def logs(self) -> dict[str, str]:
        """Every log the stack wrote so far, by file name."""
        return {path.name: path.read_text(errors="replace") for path in sorted(self.directory.glob("*.log"))}

    def close(self) -> None:
        for child in (self.web, self.worker):
            if child is not None:
                child.stop()


def keep_logs(stack: Stack, name: str) -> None:
    """Copy the stack's logs (and PostgreSQL's) to test-artifacts/<name>/ for whoever reads a CI run."""
    target = ARTIFACTS / name
    target.mkdir(parents=True, exist_ok=True)
    for log in [*stack.directory.glob("*.log"), stack.postgres.log]:
        if log.exists():
            shutil.copyfile(log, target / ("postgres.log" if log == stack.postgres.log else log.name))


@contextmanager
def live_stack(
    *,
    name: str,
    web_workers: int = 4,
    env: dict[str, str] | None = None,
    postgres_settings: dict[str, str] | None = None,
    worker_log_level: str = "INFO",
) -> Iterator[Stack]:
    """A migrated database with the demo survey, gunicorn and a Celery worker, all private.

    Everything is stopped and deleted when the block ends, even when it raised; the logs are kept in
    test-artifacts/``name``/.
    """
    with ExitStack() as cleanup:
        postgres = PrivatePostgres(postgres_settings)
        cleanup.callback(postgres.close)
        postgres.start()
        postgres.query(f"CREATE DATABASE {DATABASE}", database="postgres")
        directory = Path(tempfile.mkdtemp(prefix="volna-live-"))
        cleanup.callback(shutil.rmtree, directory, ignore_errors=True)
        redis = PrivateRedis(directory)
        cleanup.callback(redis.stop)
        redis.start()
        stack = Stack(directory, postgres, redis)
        stack.extra_env = dict(env or {})
        stack.worker_log_level = worker_log_level
        cleanup.callback(keep_logs, stack, name)
        cleanup.callback(stack.close)
        stack.manage("migrate", "--noinput")
        stack.manage("load_demo", "--password", ADMIN_PASSWORD)
        stack.start_web(workers=web_workers)
        stack.start_worker()
        yield stack


def report_not_runnable(items: list, directory: Path, fixture: str = "stack") -> None:
    """Tests under ``directory`` that use ``fixture`` (a private stack) are "could not run"
    (tests/conftest.py) where its programs are missing; an error under VOLNA_REQUIRE_ALL=1 (CI)."""
    import pytest

    from tests import conftest as suite

    reason = servers_missing()
    if reason is None or suite._integration_missing():
        return  # without PostgreSQL and Redis, tests/conftest.py reports every integration test already
    for item in items:
        if directory not in item.path.parents or fixture not in getattr(item, "fixturenames", ()):
            continue
        if os.environ.get("VOLNA_REQUIRE_ALL") == "1":
            raise pytest.UsageError(f"VOLNA_REQUIRE_ALL=1 but {item.nodeid} {reason}")
        suite._not_run.append((item.nodeid, reason))
        item.add_marker(pytest.mark.skip(reason=f"could not run: {reason}"))
