"""Risk measures, the leak scan and the report that gates a release."""
