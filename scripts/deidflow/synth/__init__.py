"""Synthetic twins with twinify (NAPSU-MQ, DPVI) and honest privacy accounting; runs in the twinify environment."""
