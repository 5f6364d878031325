"""Resident memory of the serving process while a 39-megapixel photo is analysed, and after.

Makes a 7216x5412 class photo (a grid of 35 real face photos from ``../shared/data/faces_wild``, or
skimage's astronaut where that folder is absent, with a camera's grain: a 12 MB JPEG) and a small
warm-up photo in a temporary folder, and runs them, each path in a fresh child process, through:

* ``cli``: the command line's steps (``fer.cli.analyze_file``: ``read_photo``, ``analyze_photo`` with
  one analyzer for every photo, rows in the photo's own pixels) and the page's ``draw_faces``. Its
  analyzer's cascade keeps the buffers of the largest picture it has searched (about 20 bytes a
  pixel of the working size) for the process's life: that is most of its "after";
* ``page``: the photo page itself, through Streamlit's AppTest: the photo uploaded and shown, then
  the upload removed and the test app dropped, as when the tab closes.

Each child first runs the warm-up photo the same way (the model, the cascade and, for the page,
Streamlit are loaded), then reports its own RSS before the big photo, the peak while it is
analysed (the kernel's high-water mark, reset just before, or where it cannot be reset, RSS
sampled every millisecond) and after, :data:`AFTER_S` later.

    python -m scripts.bench.photo_memory [--size 7216x5412] [--faces 35] [--format png] [--only cli page]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from scripts.training.common import ROOT, SHARED, finish, machine

PATHS = ("cli", "page")
AFTER_S = 2.0  # "after" is read this long after the photo's session is gone, as a server is looked at later
FACES = SHARED / "faces_wild" / "images"


def class_photo(size: tuple[int, int], faces: int, folder: Path, name: str = "class.jpg") -> Path:
    """A ``size`` (width, height) photo of ``faces`` real face photos in a grid, written into ``folder``
    as ``name`` (JPEG or PNG, from its suffix)."""
    from PIL import Image

    width, height = size
    columns = max(1, math.ceil(math.sqrt(faces * width / height)))
    rows = math.ceil(faces / columns)
    side = min(width // columns, height // rows)
    files = sorted(FACES.glob("*.jpg"))[:faces] if FACES.is_dir() else []
    if files:
        photos = [Image.open(file).convert("RGB") for file in files]
    else:
        import skimage.data

        photos = [Image.fromarray(skimage.data.astronaut())]
    canvas = Image.new("RGB", size, (200, 200, 200))
    left, top = (width - columns * side) // 2, (height - rows * side) // 2
    for i in range(faces):
        face = photos[i % len(photos)].resize((side, side), Image.Resampling.LANCZOS)
        canvas.paste(face, (left + (i % columns) * side, top + (i // columns) * side))
    path = folder / name
    Image.fromarray(with_grain(np.asarray(canvas))).save(path, quality=90)
    return path


def with_grain(rgb: np.ndarray, amplitude: int = 16, seed: int = 0) -> np.ndarray:
    """``rgb`` with a camera's grain (uniform noise of +-``amplitude``), so that its JPEG has a
    camera's size: about 2.5 bits a pixel rather than the fraction a smooth picture takes."""
    rng = np.random.default_rng(seed)
    grainy = rgb.copy()
    for top in range(0, len(grainy), 256):  # a strip at a time: the noise of the whole is GBs
        strip = grainy[top : top + 256]
        noise = rng.integers(-amplitude, amplitude + 1, strip.shape, dtype=np.int16)
        strip[:] = np.clip(strip + noise, 0, 255)
    return grainy


def rss_mb() -> float:
    """This process's resident memory now, in MB."""
    return _status("VmRSS")


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


class Peak:
    """The most RSS while the block runs: the kernel's high-water mark (VmHWM) reset on entry
    (``/proc/self/clear_refs``), or where that cannot be reset, RSS sampled every millisecond."""

    def __enter__(self) -> Peak:
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self._hwm = True
        except OSError:
            self._hwm = False
        self.mb, self._done = rss_mb(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._done.wait(0.001):
            self.mb = max(self.mb, rss_mb())

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()
        self.mb = max(self.mb, rss_mb(), _status("VmHWM") if self._hwm else 0.0)
        self.source = "high-water mark" if self._hwm else "sampled"


def measure(run, warm_up: Path, photo: Path) -> dict:
    """RSS before, peak during and after ``run(photo)``, once ``run(warm_up)`` has loaded everything."""
    run(warm_up)
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    with Peak() as peak:
        faces = run(photo)
    seconds = time.perf_counter() - started
    gc.collect()
    time.sleep(AFTER_S)
    after = rss_mb()
    return {
        "faces": faces,
        "seconds": round(seconds, 2),
        "peak_from": peak.source,
        "before_mb": round(before),
        "peak_mb": round(peak.mb),
        "after_mb": round(after),
        "peak_over_before_mb": round(peak.mb - before),
        "after_over_before_mb": round(after - before),
    }


def cli_child(warm_up: Path, photo: Path) -> dict:
    from fer.classroom.recorded import analyze_photo, face_rows
    from fer.images import read_photo
    from fer.recognition.frame import FrameAnalyzer
    from fer.video.overlay import draw_faces

    analyzer = FrameAnalyzer.from_model()

    def run(path: Path) -> int:
        photo = read_photo(path)
        result = analyze_photo(analyzer, photo.bgr)
        rows = face_rows(str(path), replace(result, faces=photo.in_original(result.faces)))
        draw_faces(photo.bgr, result.faces)
        return len(rows)

    return measure(run, warm_up, photo)


def page_child(warm_up: Path, photo: Path) -> dict:
    from streamlit.testing.v1 import AppTest

    def run(path: Path) -> int:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.session_state["mode"] = "Photo"
        at.run()
        at.file_uploader[0].set_value((path.name, path.read_bytes(), "image/jpeg")).run()
        if at.exception or at.error:
            raise RuntimeError(f"the photo page failed: {at.exception or at.error[0].value}")
        faces = int(at.metric[0].value)
        at.file_uploader[0].set_value(None).run()  # the upload removed, then the session dropped
        del at
        return faces

    return measure(run, warm_up, photo)


def in_child(path: str, warm_up: Path, photo: Path) -> dict:
    command = [sys.executable, "-m", "scripts.bench.photo_memory", "--child", path, str(warm_up), str(photo)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(results: dict) -> str:
    rows = [("what", "figure")]
    rows.append(("photo", results["photo"]))
    for path in PATHS:
        r = results.get(path)
        if r is None:
            continue
        if "error" in r:
            rows.append((path, r["error"]))
            continue
        rows.append(
            (
                path,
                f"RSS before {r['before_mb']} MB, peak {r['peak_mb']} MB (+{r['peak_over_before_mb']}, "
                f"{r['peak_from']}), after {r['after_mb']} MB ({r['after_over_before_mb']:+d}); "
                f"{r['faces']} faces in {r['seconds']} s",
            )
        )
    width = max(len(a) for a, _ in rows)
    return "\n".join(f"{a:<{width}}  {b}" for a, b in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.photo_memory",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--size", default="7216x5412", help="the big photo's WIDTHxHEIGHT (default: 39 MP)")
    parser.add_argument("--faces", type=int, default=35, help="faces in it, in a grid (default: a class of 35)")
    parser.add_argument("--format", choices=("jpeg", "png"), default="jpeg", help="the big photo's (default: jpeg)")
    parser.add_argument("--only", nargs="+", choices=PATHS, default=list(PATHS))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", nargs=3, metavar=("PATH", "WARM_UP", "PHOTO"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        path, warm_up, photo = args.child
        child = cli_child if path == "cli" else page_child
        print(json.dumps(child(Path(warm_up), Path(photo))))
        return 0
    width, height = (int(v) for v in args.size.lower().split("x"))
    results: dict = {"machine": machine()}
    with tempfile.TemporaryDirectory() as folder:
        photo = class_photo((width, height), args.faces, Path(folder), f"class.{args.format}")
        warm_up = class_photo((1280, 960), 12, Path(folder), "warm-up.jpg")
        results["photo"] = (
            f"{width}x{height} ({width * height / 1e6:.1f} MP), {args.faces} faces, "
            f"{photo.stat().st_size / 1e6:.1f} MB {args.format.upper()}"
        )
        for path in args.only:
            results[path] = in_child(path, warm_up, photo)
    return finish(f"{results['machine']}\n{table(results)}", results, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
