"""Documents (.docx, .odt, .rtf, .pdf): text read into a plain structure, de-identified, written as a fresh file."""
