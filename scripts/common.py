"""What the scripts share: where the data lies beside the checkout, the machine, memory and video frames."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
DEFAULT_DATA = SHARED / "fer2013" / "fer2013-images.tar.gz"
DEFAULT_VOTES = SHARED / "fer2013" / "ferplus_votes.csv"
DEFAULT_VIDEO = SHARED / "video" / "short_hamilton_clip.mp4"
EVERY_FRAME = 1e-9  # a VideoReader sampling interval that keeps every frame


def machine() -> str:
    """CPU model, logical core count and widest vector instructions, e.g.
    ``AMD EPYC, 2 logical cores, AVX-512 with bf16`` (the same model name hides different CPUs)."""
    first: dict[str, str] = {}  # the first core's fields
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            key, _, value = line.partition(":")
            first.setdefault(key.strip(), value.strip())
    cpu = first.get("model name") or platform.processor() or platform.machine()
    flags = set(first.get("flags", "").split())
    described = f"{cpu}, {os.cpu_count()} logical cores"
    if "amx_bf16" in flags:
        return described + ", AMX"
    if "avx512f" in flags:
        return described + (", AVX-512 with bf16" if "avx512_bf16" in flags else ", AVX-512")
    return described + (", AVX2" if "avx2" in flags else "")


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of process ``pid`` (default: this one) now, MB; Linux only."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def video_frames(video: str | Path, every_s: float = EVERY_FRAME) -> list[np.ndarray]:
    """The HxWx3 BGR frames of ``video``, one every ``every_s`` seconds (default: all of them)."""
    from fer.media import VideoReader

    with VideoReader(Path(video), every_s) as reader:
        return [sample.bgr for sample in reader]


def finish(text: str, figures: dict, json_path: Path | str | None) -> int:
    """Print a script's report and, if asked, write its figures as JSON; the exit status."""
    print(text)
    if json_path:
        Path(json_path).write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0
