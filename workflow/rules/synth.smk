# Rules of the synth step (see docs/contracts.md).
