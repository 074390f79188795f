# Rules of the media step (see docs/contracts.md).
