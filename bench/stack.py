"""What the server benchmarks share: the bench environment, a fresh database with the demo, gunicorn.

Everything runs on this machine and talks only to 127.0.0.1: PostgreSQL (user postgres, trust auth) with
a database of its own (``volna_bench``, dropped and re-created on every run), Redis database 9 (flushed on
every run) and gunicorn started with the production configuration (``config/gunicorn.py``).
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
POSTGRES_PORT = 5432
BENCH_DATABASE = "volna_bench"
DATABASE_URL = f"postgresql://postgres@{LOOPBACK}:{POSTGRES_PORT}/{BENCH_DATABASE}"
REDIS_URL = f"redis://{LOOPBACK}:6379/9"  # a database number of its own: flushed on every run
GUNICORN_WORKERS = 2  # the reference setup of DESIGN.md §6
READY_SECONDS = 30
STOP_SECONDS = 20


def bench_environment() -> dict[str, str]:
    """The environment of the benchmark server and of the process that prepares its data.

    Production-like: DEBUG off, persistent database connections, Redis as the cache. The keys are
    throw-away values for this local database only. Static files are served from the finders
    (STATIC_MANIFEST=0): the page benchmarks never request them.
    """
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "volna-bench-only-secret-key",
        "VOLNA_TOKEN_KEY": "volna-bench-only-token-key",
        "DEBUG": "0",
        "STATIC_MANIFEST": "0",
        "ALLOWED_HOSTS": f"{LOOPBACK},localhost,testserver",
        "CONN_MAX_AGE": "60",
    }


def use_bench_environment() -> None:
    """Point this process at the bench settings (before ``django.setup()``)."""
    os.environ.update(bench_environment())
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def database_recreate() -> None:
    """Drop and create ``volna_bench``: every run starts from an empty database."""
    import psycopg2

    admin = psycopg2.connect(host=LOOPBACK, port=POSTGRES_PORT, user="postgres", dbname="postgres")
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    finally:
        admin.close()


def cache_flush() -> None:
    """Empty Redis database 9 (and only it), so that cached pages are rendered afresh by the server."""
    import redis

    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Server:
    pid: int
    port: int
    log_path: Path
    workers: int

    def worker_pids(self) -> list[int]:
        return [pid for pid, ppid, _comm in _processes() if ppid == self.pid]

    def log_errors(self) -> list[str]:
        """Lines of the server log that report an error (gunicorn's or Django's), not access lines."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [line for line in lines if re.search(r"\b(ERROR|CRITICAL|Traceback)\b", line)]


@contextmanager
def gunicorn(
    *, log_path: Path, workers: int = GUNICORN_WORKERS, app: str = "config.wsgi"
) -> Iterator[Server]:
    """gunicorn as deployed (``--config config/gunicorn.py config.wsgi``), on a free loopback port.

    Stopped (SIGTERM, then SIGKILL after STOP_SECONDS) when the block ends, whatever happened in it.
    """
    port = free_port()
    environment = {
        **os.environ,
        **bench_environment(),
        "GUNICORN_BIND": f"{LOOPBACK}:{port}",
        "GUNICORN_WORKERS": str(workers),
    }
    command = [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py", app]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        server = Server(pid=process.pid, port=port, log_path=log_path, workers=workers)
        _wait_ready(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_SECONDS)


def _wait_ready(server: Server, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            status, _headers, _body = http_request(server.port, "GET", "/healthz")
            if status == 200 and len(server.worker_pids()) >= server.workers:
                return
        except OSError:
            pass
        time.sleep(0.3)
    tail = "\n".join(server.log_path.read_text(errors="replace").splitlines()[-30:])
    raise RuntimeError(f"gunicorn did not become ready in {READY_SECONDS} s; its log ends with:\n{tail}")


def http_request(
    port: int, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request to the benchmark server, redirects not followed."""
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        reply = connection.getresponse()
        return reply.status, dict(reply.getheaders()), reply.read()
    finally:
        connection.close()


# -- CPU accounting ---------------------------------------------------------------------------------

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _processes() -> Iterator[tuple[int, int, str]]:
    """(pid, parent pid, command name) of every process this user can see."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        yield int(entry.name), int(fields[1]), comm


def cpu_by_process(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds consumed so far by each of ``pids`` still running."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime
    return seconds


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two ``cpu_by_process`` readings; processes that exited meanwhile count
    nothing (a small undercount), processes started meanwhile count in full."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def bench_database_backends() -> list[int]:
    """PostgreSQL backends connected to the bench database (not other databases' work on this server)."""
    pattern = re.compile(rf"^postgres: .*? \S+ {BENCH_DATABASE} ")
    backends = []
    for pid in pids_named("postgres"):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if pattern.match(title):
            backends.append(pid)
    return backends


def pids_named(prefix: str) -> list[int]:
    """Processes whose command name starts with ``prefix`` ("postgres", "redis-server")."""
    return [pid for pid, _ppid, comm in _processes() if comm.startswith(prefix)]


def cpu_count() -> int:
    return len(os.sched_getaffinity(0))


def machine_cpu_seconds() -> dict[str, float]:
    """CPU time of the whole machine so far (all cores), from /proc/stat: busy, and stolen by the host."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return {"busy": (user + nice + system + irq + softirq) / _CLOCK_TICKS, "steal": steal / _CLOCK_TICKS}


# -- the machine ------------------------------------------------------------------------------------


def machine() -> dict[str, object]:
    """What the figures were measured on, for docs/benchmarks.md."""
    import django
    import gunicorn as gunicorn_package
    import redis

    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    meminfo = Path("/proc/meminfo").read_text()
    memory_kb = int(re.search(r"^MemTotal:\s*(\d+)", meminfo, re.MULTILINE).group(1))  # type: ignore[union-attr]
    wrk = shutil.which("wrk")
    wrk_version = ""
    if wrk:
        banner = subprocess.run([wrk, "--version"], capture_output=True, text=True, timeout=10)
        wrk_version = (banner.stdout or banner.stderr).splitlines()[0].split(" Copyright")[0]
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpus": cpu_count(),
        "cpu_model": model.group(1).strip() if model else platform.processor(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn_package.__version__,
        "postgres": _postgres_version(),
        "redis": redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).info("server")["redis_version"],
        "wrk": wrk_version,
    }


def source_tree() -> dict[str, object]:
    """The commit measured, and the files that differed from it (others may be editing the tree)."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
        )
        return done.stdout.rstrip("\n")  # not strip(): porcelain lines start with a space

    changed = [
        line[3:] for line in git("status", "--porcelain").splitlines() if not line[3:].startswith("bench/")
    ]
    return {"git_commit": git("rev-parse", "--short", "HEAD"), "uncommitted_changes": changed}


def _postgres_version() -> str:
    import psycopg2

    connection = psycopg2.connect(host=LOOPBACK, port=POSTGRES_PORT, user="postgres", dbname="postgres")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    finally:
        connection.close()


def write_json(path: Path, document: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
