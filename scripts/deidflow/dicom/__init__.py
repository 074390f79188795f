"""DICOM de-identification: the PS3.15 Annex E profile, UID remapping, date shifts, pixels, conversion to NIfTI."""
