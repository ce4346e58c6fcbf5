"""Follow-up scheduling: pure planner, messages and channels (stdlib only), plus the dispatch job.

Public API of the pure half (never imports flask, sqlmodel, sqlalchemy or webapp; never reads the
clock: pass ``now``):

scheduler.protocol
    parse_protocol(d: dict, known_instruments: set[str] | None = None) -> Protocol
        raises ProtocolError(messages: list[str]) with coordinator-facing messages.
    protocol_to_dict(p: Protocol) -> dict            # round-trips through parse_protocol
    load_default_protocol() -> Protocol              # scheduler/default_protocol.json
    Protocol(name, timepoints, quiet_hours, channels, reminder_time), Timepoint(key, label,
    anchor, offset_days, window, instruments, reminders, repeat_every_days, repeat_until,
    skip_near), Window, ReminderStep(when, days, time), QuietHours, SkipNear
    (dataclasses live in scheduler.protocol_model and are re-exported).

scheduler.planner  (data classes in scheduler.plan_model)
    plan_followups(protocol, course: CourseInfo, sessions: Sequence[SessionInfo],
                   patient_tz: str, now: datetime, preferred_channel: str | None = None) -> Plan
        raises PlanError (unknown time zone, naive datetimes, unknown statuses).
    reconcile(existing: Sequence[ExistingAssignment], plan: Plan, now) -> Reconciliation
        (also in scheduler.reconcile) -> create / move [(id, PlannedAssignment)] / cancel / keep.
    load_zone(name) -> ZoneInfo, choose_channel(protocol, preferred) -> str
    CourseInfo(course_id, enrolled_on, regions, status, ended_on), SessionInfo(session_id, at,
    status), Plan(assignments), PlannedAssignment(slot, timepoint_key, label, due_local,
    opens_at, closes_at, instruments, regions, reminders), PlannedReminder(key, send_at,
    channel), ExistingAssignment(id, slot, status, opens_at, closes_at).

scheduler.localtime
    local_instant(day, time, tz) -> UTC datetime (DST gap -> first instant after it; fold=0),
    after_quiet_hours(instant, quiet, tz), is_quiet(instant, quiet, tz)

scheduler.messages
    build_reminder(first_name, clinic_name, deadline_utc, tz, link, channel, *, message_key,
                   domain, language="en") -> Message(subject, text, html | None, message_id)
    format_deadline(deadline_utc, tz, short=False) -> str, message_id_for(key, domain) -> str

scheduler.retry
    next_attempt_at(attempts, now, key=None) -> datetime, backoff(attempts, key=None),
    should_give_up(attempts), MAX_ATTEMPTS, DeliveryError, TemporaryFailure, PermanentFailure

scheduler.channels
    Channel.send(message, to) -> str  (provider id or ""; raises Temporary/PermanentFailure)
    SmtpChannel.from_url("smtp://user:pass@host:port?starttls=1" | "smtps://...", sender,
                         cafile=None)  # cafile: a clinic CA trusted on top of the system's
    SmsHttpChannel(url, token, sender), FileChannel(path), build_channel(kind, config)

The database shell (imports webapp.models; never imported by the pure modules above):

webapp.followup.replan
    replan_course(db, course_id, *, now, actor=None) -> ReplanResult  (caller commits)
    replan_pending_courses(db, *, now) -> list[ReplanResult]
scheduler.dispatch
    dispatch_due(db, *, now, channels, config, batch_size=200, lease=5 min) -> DispatchReport
    claim_due_reminders(db, *, now, batch_size, lease), channels_from_config(config)
scheduler.jobs
    run_replan(app, now), run_dispatch(app, now), run_mark_missed(app, now), run_once(app, now)
scheduler.process
    build_scheduler(app, scheduler_cls=BlockingScheduler), run_scheduler(app),
    start_background_scheduler(app), LeaderLock (PostgreSQL advisory lock)
scheduler.cli
    register(cli): `nervetrack scheduler`, `nervetrack dispatch --once [--now ISO]`
"""
