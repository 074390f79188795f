"""Utility and anonymeter risk of the synthetic twin (run by the `risk_synth` shell rule in the twinify environment)."""

import sys

from deidflow.synth.cli import main

main(["risk", *sys.argv[1:]])
