"""Transcript de-identification: Presidio + an offline spaCy model + the study's own identifiers."""
