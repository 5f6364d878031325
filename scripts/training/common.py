"""What the pipeline's commands share, and the benchmarks with them: where the data lies beside the
checkout, the machine a command runs on, a command's report."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the checkout
SHARED = ROOT.parent / "shared" / "data"
DEFAULT_DATA = SHARED / "fer2013" / "fer2013-images.tar.gz"
DEFAULT_VOTES = SHARED / "fer2013" / "ferplus_votes.csv"
DEFAULT_VIDEO = SHARED / "video" / "short_hamilton_clip.mp4"


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


def finish(text: str, figures: dict, json_path: Path | str | None) -> int:
    """Print a command's report and, if asked, write its figures as JSON; the exit status."""
    print(text)
    if json_path:
        Path(json_path).write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0
