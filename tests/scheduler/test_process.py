"""The scheduler process: fixed jobs, leader election, the CLI commands."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

import scheduler.process as process
from scheduler.cli import dispatch_command
from scheduler.process import (
    LEADER_RETRY_SECONDS,
    LeaderLock,
    build_scheduler,
    run_scheduler,
    wait_for_leadership,
)
from tests.support.factories import planned_course
from webapp.db import get_engine

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@pytest.fixture
def pg_only(app):
    if get_engine(app).dialect.name != "postgresql":
        pytest.skip("advisory locks exist on PostgreSQL only (SQLite: one scheduler process)")


@pytest.mark.parametrize("cls", [BlockingScheduler, BackgroundScheduler])
def test_build_scheduler_registers_exactly_three_fixed_jobs(app, cls):
    sched = build_scheduler(app, cls, now=START)
    jobs = {job.id: job for job in sched.get_jobs()}
    assert set(jobs) == {"dispatch", "replan", "mark-missed"}
    assert str(sched.timezone) == "UTC"
    for job_id, grace in [("dispatch", 120), ("replan", 3600), ("mark-missed", 3600)]:
        job = jobs[job_id]
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, grace)
    for job_id in ("dispatch", "replan"):
        assert isinstance(jobs[job_id].trigger, IntervalTrigger)
        assert jobs[job_id].trigger.interval == timedelta(minutes=1)
    cron = jobs["mark-missed"].trigger
    assert isinstance(cron, CronTrigger)
    fields = {f.name: str(f) for f in cron.fields}
    assert (fields["hour"], fields["minute"], str(cron.timezone)) == ("2", "30", "UTC")
    assert jobs["mark-missed"].next_run_time == START  # once at start, then daily


def test_started_scheduler_plans_the_next_runs(app):
    sched = build_scheduler(app, BackgroundScheduler, now=START)
    sched.start(paused=True)
    try:
        jobs = {job.id: job for job in sched.get_jobs()}
        assert jobs["mark-missed"].next_run_time == START
        assert jobs["dispatch"].next_run_time is not None
        cron = jobs["mark-missed"].trigger
        nxt = cron.get_next_fire_time(None, datetime(2026, 3, 1, 3, 0, tzinfo=UTC))
        assert nxt == datetime(2026, 3, 2, 2, 30, tzinfo=UTC)
    finally:
        sched.shutdown(wait=False)


def test_failing_job_logs_the_error_type_only(app, caplog):
    def explode(_app, _now):
        raise ValueError("Sam Smith sam@example.test")

    job = process._guarded("dispatch", explode, app, None)
    with caplog.at_level(logging.ERROR, logger="nervetrack.scheduler"):
        job()
    assert "job dispatch failed: ValueError" in caplog.text
    assert "Sam" not in caplog.text and "example.test" not in caplog.text


def test_advisory_lock_elects_one_leader(app, pg_only):
    engine = get_engine(app)
    first, second = LeaderLock(engine, key=4242), LeaderLock(engine, key=4242)
    try:
        assert first.try_lock() is True
        assert second.try_lock() is False
        assert first.still_held() is True
        first.release()
        assert second.try_lock() is True
    finally:
        first.release()
        second.release()


def test_second_process_waits_then_takes_over(app, pg_only, caplog):
    engine = get_engine(app)
    leader, waiter = LeaderLock(engine, key=4243), LeaderLock(engine, key=4243)
    assert leader.try_lock()
    waits = []

    def fake_sleep(seconds):
        waits.append(seconds)
        if len(waits) == 2:
            leader.release()  # the leader dies

    with caplog.at_level(logging.INFO, logger="nervetrack.scheduler"):
        wait_for_leadership(waiter, sleep=fake_sleep)
    try:
        assert waits == [LEADER_RETRY_SECONDS, LEADER_RETRY_SECONDS] and waiter.held
        assert caplog.text.count("another scheduler is leading; waiting") == 2
    finally:
        waiter.release()


def test_sqlite_needs_no_lock(app):
    if get_engine(app).dialect.name != "sqlite":
        pytest.skip("SQLite behaviour")
    assert LeaderLock(get_engine(app)).try_lock() and LeaderLock(get_engine(app)).try_lock()


def test_ctrl_c_stops_cleanly_and_releases_the_lock(app, monkeypatch):
    class Interrupted(BlockingScheduler):
        def start(self, *args, **kwargs):
            raise KeyboardInterrupt

    monkeypatch.setattr(process, "BlockingScheduler", Interrupted)
    run_scheduler(app, sleep=lambda _s: pytest.fail("must not wait"))
    other = LeaderLock(get_engine(app))
    assert other.try_lock()  # free again
    other.release()


def test_dispatch_once_through_the_cli(app, db):
    planned_course(db)
    runner = app.test_cli_runner()
    result = runner.invoke(dispatch_command, ["--once", "--now", "2026-01-05T09:00:00Z"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output and "replanned 0" in result.output
    with open(app.config["OUTBOX_PATH"], encoding="utf-8") as fh:
        [record] = [json.loads(line) for line in fh]
    assert record["to"] == "sam@example.test"


@pytest.mark.parametrize(("args", "message"), [
    (["--once", "--now", "yesterday"], "is not an ISO 8601 time"),
    (["--once", "--now", "2026-01-05T09:00:00"], "has no time zone"),
    ([], "Use `nervetrack dispatch --once`"),
])
def test_dispatch_bad_usage_exits_2(app, args, message):
    result = app.test_cli_runner().invoke(dispatch_command, args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_commands_are_registered_on_the_nervetrack_group():
    from webapp.cli.main import cli

    assert {"scheduler", "dispatch"} <= set(cli.commands)
    dispatch = cli.commands["dispatch"]
    assert [p.hidden for p in dispatch.params if p.name == "now_text"] == [True]
