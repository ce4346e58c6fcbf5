"""What each audit action code means, in the plain words the admin's audit trail shows.

Every code the app or the scheduler writes has words here (a test reads the code base to
check), so the trail never shows a bare code; the CSV export keeps the codes beside the words.
"""

from __future__ import annotations

ACTION_WORDS = {
    # Sign-in and accounts
    "sign_in": "signed in",
    "sign_in_failed": "failed to sign in",
    "sign_in_locked": "was refused sign-in: too many failures for that email address",
    "sign_in_slowed": "was asked to wait before signing in: too many failures from that address",
    "sign_out": "signed out",
    "totp_enabled": "turned on two-factor sign-in",
    "user_created": "added a staff user",
    "user_activated": "reactivated a staff user",
    "user_deactivated": "deactivated a staff user",
    "user_password_reset": "reset a staff user's password",
    "audit_exported": "exported the audit trail",
    # Patients and their data
    "patient_enrolled": "enrolled a patient",
    "patient_viewed": "opened a patient's record",
    "patient_contact_updated": "changed a patient's contact details",
    "patient_status_changed": "changed a patient's status",
    "patient_contacted_by_phone": "logged a phone call with a patient",
    "contact_note_added": "added a note to a patient's contact log",
    "reminder_resend_requested": "asked for a reminder to be sent again",
    "reminders_paused": "paused the patient's reminders",
    "reminders_stopped": "stopped the patient's reminders",
    "reminders_resumed": "resumed the patient's reminders",
    "course_index_region_changed": "changed the region a course is analysed by",
    "patient_data_exported": "downloaded everything held about a patient",
    "patient_erased": "erased a patient",
    # Care and dashboards
    "patient_list_viewed": "viewed the patient list",
    "patient_dashboard_viewed": "viewed a patient's dashboard",
    "patient_report_viewed": "viewed a patient's report",
    "session_form_viewed": "opened a treatment session",
    "session_recorded": "recorded a treatment session",
    "session_edited": "changed a treatment session",
    "cohort_viewed": "viewed the cohort",
    "export_cohort": "exported the cohort",
    "export_patient": "exported a patient's results",
    "cohort_trial_table_exported": "exported the cohort's trial table",
    "fhir_exported": "exported a patient's record as FHIR",
    "cohort_fhir_exported": "exported the cohort as FHIR",
    "safety_flags_viewed": "viewed the safety flags",
    "safety_flag_acknowledged": "acknowledged a safety flag",
    # Protocols and follow-up
    "protocol_created": "created a protocol",
    "protocol_version_added": "added a protocol version",
    "course_protocol_changed": "moved a course to another protocol version",
    "assignment_created": "planned a follow-up",
    "assignment_moved": "moved a follow-up",
    "assignment_cancelled": "cancelled a follow-up",
    "assignment_missed": "marked a follow-up missed",
    "replan_failed": "could not re-plan a course",
    "reminder_sent": "sent a reminder",
    "reminder_failed": "could not send a reminder",
    # The patient's side
    "patient_link_used": "opened a survey link",
    "patient_language_chosen": "chose the language of their questions and reminders",
    "patient_relink_queued": "asked for a fresh survey link, which was queued",
    "patient_relink_refused": ("asked for a fresh survey link; none was sent (address not known, "
                               "no survey open, or asked too often)"),
    "survey_completed": "completed a survey",
}

RECORD_NOUNS = {
    "patient": "patient",
    "staff_user": "staff user",
    "treatment_course": "course",
    "treatment_session": "session",
    "protocol_version": "protocol version",
    "survey_assignment": "follow-up",
    "reminder": "reminder",
    "safety_flag": "safety flag",
    "contact_log": "contact-log entry",
    "patient_token": "survey link",
}

SYSTEM_ACTORS = {
    "dispatcher": "the reminder dispatcher",
    "scheduler": "the scheduler",
    "cli": "the command line",
}


def action_words(code: str) -> str:
    """Return the plain words for an action code (a code without words reads as itself)."""
    return ACTION_WORDS.get(code) or code.replace("_", " ")


def record_noun(record_type: str) -> str:
    """Return what a record type is called in plain words."""
    return RECORD_NOUNS.get(record_type) or record_type.replace("_", " ")
