"""Make the synthetic twin (run by the `synthesize` shell rule with the twinify environment's Python)."""

import sys

from deidflow.synth.cli import main

main(["fit", *sys.argv[1:]])
