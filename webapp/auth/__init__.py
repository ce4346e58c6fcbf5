"""Staff sign-in: passwords, two-factor codes, sign-in sessions, users, security headers."""
