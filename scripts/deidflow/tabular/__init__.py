"""Tabular de-identification: column roles, generalization hierarchies, privacy models, optimal search, DP noise."""
