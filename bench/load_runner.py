"""Run a WSGI app under gunicorn on loopback, drive it with wrk, and read its workers' CPU and RSS.

Used by bench/bench_survey_load.py. CPU and memory come from /proc (Linux): utime + stime of
the master's worker processes before and after each run, VmRSS at the end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

LUA = Path(__file__).with_name("wrk_survey.lua")
TICK = os.sysconf("SC_CLK_TCK")
START_TIMEOUT = 60.0


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()  # after "pid (comm) "; comm may hold spaces


def children(pid: int) -> list[int]:
    """Return the ids of the processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
    return sorted(found)


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU seconds a process has used."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    """Return a process's resident memory in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


IMPORT_PROBE = """
import importlib, sys
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
for name in sys.argv[1:]:
    importlib.import_module(name)
print(rss())
"""


def import_rss_mb(modules: list[str]) -> float:
    """Return the resident memory (MB) of a fresh interpreter after importing `modules`."""
    done = subprocess.run([sys.executable, "-c", IMPORT_PROBE, *modules], capture_output=True,
                          text=True, check=True, timeout=120)
    return float(done.stdout.strip())


class Server:
    """One gunicorn master with 2 sync workers on 127.0.0.1."""

    def __init__(self, label: str, app_spec: str, ready_path: str, env: dict, root: Path):
        self.label, self.app_spec, self.ready_path = label, app_spec, ready_path
        self.env, self.root, self.port = {**os.environ, **env}, root, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """Return the server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start gunicorn and wait until it answers."""
        self.env["NERVETRACK_BASE_URL"] = self.url
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.port}",
             "--chdir", str(self.root), "--log-level", "warning", self.app_spec],
            env=self.env, cwd=self.root, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + self.ready_path, timeout=2) as answer:
                    if answer.status == 200 and len(self.workers()) == 2:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.label} did not start on {self.url}")

    def workers(self) -> list[int]:
        """Return the worker process ids."""
        return children(self.process.pid) if self.process else []

    def worker_cpu(self) -> tuple[list[int], float]:
        """Return (worker ids, their CPU seconds so far)."""
        pids = self.workers()
        return pids, sum(cpu_seconds(pid) for pid in pids)

    def worker_rss_mb(self) -> float:
        """Return the workers' mean resident memory in MB."""
        pids = self.workers()
        return sum(rss_mb(pid) for pid in pids) / max(len(pids), 1)

    def stop(self) -> None:
        """Stop gunicorn (graceful, then killed)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def run_wrk(server: Server, targets: Path, method: str, expected: int, connections: int,
            duration: float, threads: int) -> dict:
    """Drive `server` with wrk; return its RESULT plus req/s and the workers' CPU seconds."""
    threads = min(threads, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--timeout", "10s",
               "-s", str(LUA), server.url, "--", str(targets), method, str(expected),
               str(threads)]
    pids, before = server.worker_cpu()
    finished = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60,
                              check=False)
    after_pids, after = server.worker_cpu()
    line = next((x for x in finished.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result: {finished.stdout[-500:]} {finished.stderr[-500:]}")
    result = json.loads(line.removeprefix("RESULT "))
    if after_pids != pids:
        print(f"  warning: {server.label} workers changed during a run (CPU not comparable)")
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["cpu_s"] = after - before
    return result
