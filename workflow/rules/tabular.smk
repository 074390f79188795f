# Rules of the tabular step (see docs/contracts.md).
