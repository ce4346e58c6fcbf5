"""Admin pages: staff users and the audit trail."""
