# Rules of the mri step (see docs/contracts.md).
