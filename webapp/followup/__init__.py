"""Follow-up: re-planning courses, the reminder outbox, the coordinator's worklist."""
