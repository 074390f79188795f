"""Generate the demo study: `python scripts/make_demo_study.py OUT [--subjects 20] [--seed 7] [--small]`."""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deidflow.demo.study import MODALITIES, make_study  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("out", type=Path)
parser.add_argument("--subjects", type=int, default=20)
parser.add_argument("--seed", type=int, default=7)
parser.add_argument("--small", action="store_true", help="tiny files, for tests")
parser.add_argument("--modalities", default=",".join(MODALITIES), help="comma-separated subset of " + ",".join(MODALITIES))
args = parser.parse_args()
people = make_study(args.out, args.subjects, args.seed, small=args.small, modalities=tuple(args.modalities.split(",")))
print(f"demo study with {len(people)} participants written to {args.out}")
