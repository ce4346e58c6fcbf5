"""Follow-up protocols: versions, the editor, moving patients to a new version."""
