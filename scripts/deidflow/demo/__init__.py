"""Generators for the bundled demo study and for test fixtures (fake people, fake PHI)."""
