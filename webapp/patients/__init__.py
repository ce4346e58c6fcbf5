"""Patients: enrolment, contact details, status changes, data rights (the coordinator's side)."""
