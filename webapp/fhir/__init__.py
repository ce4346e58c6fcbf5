"""FHIR R4: export a patient or the cohort as Bundles, import a Questionnaire."""
