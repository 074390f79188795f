"""deidflow's command line: `python -m deidflow init STUDY -o my-config.yaml` (run with PYTHONPATH=scripts, or
`make config STUDY=...`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deidflow", description="de-identify a BIDS-like study (Snakemake)")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="scan a study and write a commented config of its own")
    init.add_argument("study", type=Path, help="the study folder (participants.tsv, phenotype/, sub-*/ ...)")
    init.add_argument("-o", "--output", type=Path, default=Path("my-config.yaml"), help="config to write")
    init.add_argument("--key", default="/secure/place/study.key",
                      help="the key file the config names (create it with scripts/make_key.py)")
    init.add_argument("--out-dir", default="results", help="folder for release, secrets, reports, work, logs")
    init.add_argument("--force", action="store_true", help="overwrite an existing config")
    args = parser.parse_args(argv)

    from .discovery import StudyError
    from .init import summary_lines, write_config

    try:
        cfg = write_config(args.study, args.output, args.key, args.out_dir,
                           synth_python=REPO / ".venv-synth" / "bin" / "python", force=args.force)
    except (StudyError, FileExistsError) as err:
        print(f"deidflow init: {err}", file=sys.stderr)
        return 2
    print(f"wrote {args.output}: a config for {args.study} (every suggestion has its reason beside it)")
    for line in summary_lines(cfg):
        print("  " + line)
    print(f"next: read it, set pseudonym.key_file, then `snakemake -n --configfile {args.output}` (seconds) "
          f"and `snakemake --configfile {args.output}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
