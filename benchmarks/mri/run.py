"""Benchmark of MRI defacing: seconds and peak memory per image at 1 mm and 0.8 mm (2 ANTs threads).

Run once (not part of the test suite):  .venv/bin/python benchmarks/mri/run.py [--out benchmarks/mri/results.md]
Each image is defaced in a fresh process (the adapter's interpreter, which starts the antspyx worker), so peak
memory is measured per image: the calling process (nibabel, masking, QC montage; its VmHWM) and the antspyx worker
(registration; ru_maxrss of the children, which is at least the caller's size when it forked the worker).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

CASES = [  # (label, voxel mm, deformation)
    ("1.0 mm", 1.0, dict(rotation_deg=(8, -5, 4), translation_mm=(6, -4, 8), scale=1.04, noise=0.02)),
    ("0.8 mm", 0.8, dict(rotation_deg=(-6, 4, -3), translation_mm=(-5, 6, -4), scale=0.97, noise=0.02)),
]


def vm_hwm_kib() -> int:
    """This process's own peak resident set (VmHWM; unlike ru_maxrss it does not inherit the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def make(case: str, mm: float) -> None:
    """Write the deformed head and its true face and brain masks (in a process of its own)."""
    import nibabel as nib
    import numpy as np

    from deidflow.demo.nifti import deformed_head

    kwargs = next(k for label, m, k in CASES if m == mm)
    head = deformed_head(voxel_mm=mm, **kwargs)
    nib.save(head.image, Path(case) / "head.nii.gz")
    np.savez_compressed(Path(case) / "truth.npz", face=head.face, brain=head.brain)


def one(path: str, threads: int, params: dict) -> dict:
    """Deface one image in this process and report time, peak memory and quality."""
    import nibabel as nib
    import numpy as np

    from deidflow.mri.deface import deface_images
    from deidflow.mri.qc import montage_png
    from deidflow.mri.safety import Bounds

    start = time.perf_counter()
    result = deface_images([Path(path)], Bounds(), params, threads=threads)[0]
    assert result.image is not None, result.reasons
    after = np.asanyarray(result.image.dataobj).astype(np.float32)
    montage_png(result.original, after, result.face, result.image.affine)
    out = Path(path).with_name("defaced.nii.gz")
    nib.save(result.image, out)
    seconds = time.perf_counter() - start
    truth = np.load(Path(path).with_name("truth.npz"))
    original = result.original
    face, brain = truth["face"] & (original > 0), truth["brain"] & (original > 0)
    return {
        "seconds": round(seconds, 1),
        "registration_seconds": result.metrics["registration_seconds"],
        "peak_rss_caller_mib": round(vm_hwm_kib() / 1024),
        "peak_rss_worker_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "face_removed": round(float((after[face] == 0).mean()), 4),
        "brain_removed": round(float((after[brain] == 0).mean()), 5),
        "nmi": round(result.metrics["nmi"], 3),
        "shape": list(original.shape),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "benchmarks/mri/results.md"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--params", default="{}", help='registration overrides, e.g. \'{"deterministic": false}\'')
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--make", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.threads, json.loads(args.params))))
        return
    if args.make:
        make(args.make[0], float(args.make[1]))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, mm, kwargs in CASES:
            case = Path(tmp) / label.replace(" ", "")
            case.mkdir()
            subprocess.run([sys.executable, __file__, "--make", str(case), str(mm)], check=True)
            command = [sys.executable, __file__, "--one", str(case / "head.nii.gz"), "--threads", str(args.threads),
                       "--params", args.params]
            proc = subprocess.run(command, capture_output=True, text=True, check=True)
            rows.append({"image": label, **json.loads(proc.stdout.strip().splitlines()[-1])})
            print(rows[-1], flush=True)
    lines = [
        "# MRI defacing benchmark (benchmarks/mri/run.py)",
        "",
        f"Machine: {platform.node()}, {platform.processor() or platform.machine()}, "
        f"{len(__import__('os').sched_getaffinity(0))} cores visible, shared with 7 other developers' jobs "
        "while it ran (timings are upper bounds). Rule threads: " + str(args.threads) + ", registration overrides: "
        f"`{args.params}` (the default, deterministic, registers on one ITK thread).",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Command: `.venv/bin/python benchmarks/mri/run.py "
        f"--params '{args.params}' --out {Path(args.out).name}`.",
        "",
        "| image | shape | seconds (all) | of which registration | peak RSS caller MiB | peak RSS worker MiB "
        "| face removed | brain removed | NMI |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['image']} | {'x'.join(map(str, r['shape']))} | {r['seconds']} | "
                     f"{r['registration_seconds']} | {r['peak_rss_caller_mib']} | {r['peak_rss_worker_mib']} | "
                     f"{r['face_removed']:.2%} | {r['brain_removed']:.3%} | {r['nmi']} |")
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
