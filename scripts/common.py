"""What the scripts share: where the data lies beside the checkout, and what machine this is."""

from __future__ import annotations

import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
DEFAULT_DATA = SHARED / "fer2013" / "fer2013-images.tar.gz"
DEFAULT_VOTES = SHARED / "fer2013" / "ferplus_votes.csv"
DEFAULT_VIDEO = SHARED / "video" / "short_hamilton_clip.mp4"


def machine() -> str:
    """CPU model and logical core count, e.g. ``AMD EPYC, 2 logical cores``."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                    if line.startswith("model name")), cpu)
    return f"{cpu}, {os.cpu_count()} logical cores"
