"""The scheduler process: three fixed APScheduler jobs, led by one process at a time.

Our own tables hold the plan; APScheduler only wakes the jobs, so its job store is in memory.
On PostgreSQL a session-level advisory lock, held on a dedicated connection for the life of the
process, elects one leader; a second process waits and takes over when the leader dies (its
connection closes and PostgreSQL drops the lock). On SQLite there is no lock: run one process.
Logs carry counts only.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.jobs import run_dispatch, run_mark_missed, run_replan
from webapp.db import get_engine

log = logging.getLogger("nervetrack.scheduler")

LEADER_LOCK_KEY = 0x4E54_5343  # "NTSC": the one advisory lock id NerveTrack uses
LEADER_RETRY_SECONDS = 10


class LeaderLock:
    """A PostgreSQL session-level advisory lock on its own connection (always held on SQLite)."""

    def __init__(self, engine: sa.engine.Engine, key: int = LEADER_LOCK_KEY):
        self.engine, self.key = engine, key
        self.conn: sa.engine.Connection | None = None
        self.held = False

    @property
    def uses_lock(self) -> bool:
        """Tell whether this database elects a leader (PostgreSQL) or trusts one process."""
        return self.engine.dialect.name == "postgresql"

    def try_lock(self) -> bool:
        """Try once to become the leader; return True if this process leads now."""
        if not self.uses_lock:
            self.held = True
            return True
        if self.conn is None:
            # Autocommit: the lock belongs to the session, not to a transaction left open.
            self.conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.held = bool(self.conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"),
                                           {"k": self.key}).scalar())
        return self.held

    def still_held(self) -> bool:
        """Tell whether the lock's connection is alive (a dropped connection loses the lock)."""
        if not self.uses_lock:
            return self.held
        try:
            self.conn.execute(sa.text("SELECT 1"))
        except (sa.exc.DBAPIError, AttributeError):
            self.held = False
        return self.held

    def release(self) -> None:
        """Give up leadership and close the dedicated connection."""
        if self.conn is not None:
            try:
                if self.held:
                    self.conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            finally:
                self.conn.close()
                self.conn = None
        self.held = False


def wait_for_leadership(lock: LeaderLock, *, retry_seconds: float = LEADER_RETRY_SECONDS,
                        sleep: Callable[[float], None] = time.sleep) -> None:
    """Block until this process holds the leader lock, retrying every ``retry_seconds``."""
    while not lock.try_lock():
        log.info("another scheduler is leading; waiting")
        sleep(retry_seconds)


def _guarded(name: str, job: Callable, app, lock: LeaderLock | None, scheduler=None):
    """Wrap a job: check leadership first, log failures by type only (no SQL parameters)."""

    def run() -> None:
        if lock is not None and not lock.still_held():
            log.error("lost the leader lock; stopping the scheduler")
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            return
        try:
            result = job(app, None)
        except Exception as exc:  # noqa: BLE001 - the next run retries; never log row data
            log.error("job %s failed: %s", name, type(exc).__name__)
            return
        log.debug("job %s done: %s", name, result)

    run.__name__ = f"nervetrack_{name.replace('-', '_')}"
    return run


def build_scheduler(app, scheduler_cls=BlockingScheduler, *, lock: LeaderLock | None = None,
                    now: datetime | None = None):
    """Return a UTC scheduler with the dispatch, replan and mark-missed jobs (not started)."""
    scheduler = scheduler_cls(timezone=UTC, jobstores={"default": MemoryJobStore()},
                              executors={"default": ThreadPoolExecutor(3)})
    common = {"replace_existing": True, "coalesce": True, "max_instances": 1}
    scheduler.add_job(_guarded("dispatch", run_dispatch, app, lock, scheduler),
                      IntervalTrigger(minutes=1, timezone=UTC), id="dispatch",
                      name="dispatch due reminders", misfire_grace_time=120, **common)
    scheduler.add_job(_guarded("replan", run_replan, app, lock, scheduler),
                      IntervalTrigger(minutes=1, timezone=UTC), id="replan",
                      name="re-plan changed courses", misfire_grace_time=3600, **common)
    # Daily at 02:30 UTC, and once at start so a restart catches up at once.
    scheduler.add_job(_guarded("mark-missed", run_mark_missed, app, lock, scheduler),
                      CronTrigger(hour=2, minute=30, timezone=UTC), id="mark-missed",
                      name="mark closed windows missed", misfire_grace_time=3600,
                      next_run_time=now or datetime.now(UTC), **common)
    return scheduler


def run_scheduler(app, *, sleep: Callable[[float], None] = time.sleep) -> None:
    """Run the blocking scheduler process until Ctrl-C or SIGTERM, then release the lock."""
    lock = LeaderLock(get_engine(app))
    wait_for_leadership(lock, sleep=sleep)
    log.info("scheduler leading (%s)", "advisory lock" if lock.uses_lock else "single process")
    scheduler = build_scheduler(app, BlockingScheduler, lock=lock)
    previous = signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler stopping")
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        signal.signal(signal.SIGTERM, previous)
        lock.release()


def start_background_scheduler(app) -> BackgroundScheduler | None:
    """Start the same jobs in a background thread of this process (``nervetrack demo``)."""
    lock = LeaderLock(get_engine(app))
    if not lock.try_lock():
        log.info("another scheduler is leading; not starting one in this process")
        lock.release()
        return None
    scheduler = build_scheduler(app, BackgroundScheduler, lock=lock)
    scheduler.start()
    return scheduler
