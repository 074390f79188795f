"""deidflow: a reproducible de-identification pipeline for research data."""

__version__ = "0.1.0"
