"""`python -m deidflow.synth fit|risk ...` (see deidflow.synth.cli)."""

from .cli import main

main()
