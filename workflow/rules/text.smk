# Rules of the text step (see docs/contracts.md).
