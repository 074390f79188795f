# Rules of the dicom step (see docs/contracts.md).
