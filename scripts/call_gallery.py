"""A video call's gallery of real faces, as a web page to share and as the picture it shows.

Each tile shows one photo of ``../shared/data/faces_wild/`` (real 350x350 photos, the face filling
most of each) at :data:`ZOOM` of the tile's height, on a blurred copy of itself filling the 16:9
tile, the way call apps frame a webcam with a blurred background; only photos in which the
cascade finds the face on its own at that size are used. :func:`write_call_page` writes a page
titled "Class call" that lays the tiles out for any rows x columns (``#5x5``) and can reflow
(``window.setLayout(4, 4)``); :func:`compose` draws the same gallery as an image, for benchmarks.

    python -m scripts.call_gallery --out call/      # then open call/index.html#5x5
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from scripts.common import SHARED

WILD = SHARED / "faces_wild"
TITLE = "Class call"
# The tiles of the galleries the tests share (5x5 and 4x4 at 1280x720, 7x7 at 1920x1080) and a
# slightly smaller one: a browser scales photos its own way, so each is chosen with a margin.
CALL_TILES = ((240, 135), (250, 140), (268, 150), (314, 176))
ZOOM = 0.62  # a photo's side against its tile's height: faces about half the tile's height, as in calls


@cache
def photos() -> list[tuple[str, str]]:
    """``(file name, label)`` of every faces_wild photo, the labels taking turns (the file lists
    them class by class), so that any first N make a class of mixed moods."""
    by_label: dict[str, list[str]] = {}
    with (WILD / "labels.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            by_label.setdefault(row["label"], []).append(Path(row["file"]).name)
    mixed = []
    for i in range(max(map(len, by_label.values()))):
        mixed += [(names[i], label) for label, names in by_label.items() if i < len(names)]
    return mixed


def tile_image(name: str, width: int, height: int) -> np.ndarray:
    """A ``width`` x ``height`` BGR tile: the photo, :data:`ZOOM` of the height, centred on a
    blurred copy of itself that covers the tile."""
    photo = cv2.imread(str(WILD / "images" / name), cv2.IMREAD_COLOR)
    cover = cv2.resize(photo, (width, width), interpolation=cv2.INTER_AREA)
    top = (width - height) // 2
    canvas = cv2.GaussianBlur(cover[top : top + height], (0, 0), 10)
    side = round(height * ZOOM)
    small = cv2.resize(photo, (side, side), interpolation=cv2.INTER_AREA)
    x, y = (width - side) // 2, (height - side) // 2
    canvas[y : y + side, x : x + side] = small
    return canvas


@cache
def findable(count: int, *tiles: tuple[int, int]) -> tuple[str, ...]:
    """The first ``count`` photos in which the cascade finds exactly one face in tiles of each size."""
    from fer.detection import FaceDetector

    detector = FaceDetector()
    chosen = []
    for name, _ in photos():
        gray = (cv2.cvtColor(tile_image(name, w, h), cv2.COLOR_BGR2GRAY) for w, h in tiles)
        if all(len(detector.detect(g)) == 1 for g in gray):
            chosen.append(name)
            if len(chosen) == count:
                return tuple(chosen)
    raise RuntimeError(f"only {len(chosen)} faces_wild photos have a findable face in tiles of {tiles}")


def compose(rows: int, cols: int, width: int, height: int, gap: int = 4) -> np.ndarray:
    """The gallery as a BGR image: ``rows * cols`` findable faces in 16:9 tiles, centred."""
    tile_w, tile_h = tile_size(rows, cols, width, height, gap)
    names = findable(rows * cols, (tile_w, tile_h))
    return place([tile_image(name, tile_w, tile_h) for name in names], cols, width, height, gap)


def place(tiles: list[np.ndarray], cols: int, width: int, height: int, gap: int = 4) -> np.ndarray:
    """A ``width`` x ``height`` BGR image with equal-sized ``tiles`` in rows of ``cols``, centred."""
    rows = -(-len(tiles) // cols)
    tile_h, tile_w = tiles[0].shape[:2]
    image = np.full((height, width, 3), 18, np.uint8)
    x0 = (width - cols * tile_w - (cols - 1) * gap) // 2
    y0 = (height - rows * tile_h - (rows - 1) * gap) // 2
    for n, tile in enumerate(tiles):
        r, c = divmod(n, cols)
        x, y = x0 + c * (tile_w + gap), y0 + r * (tile_h + gap)
        image[y : y + tile_h, x : x + tile_w] = tile
    return image


def tile_size(rows: int, cols: int, width: int, height: int, gap: int = 4) -> tuple[int, int]:
    """The largest 16:9 tile that lets ``rows`` x ``cols`` tiles fit, as call apps size them."""
    tile_w = min((width - (cols - 1) * gap) / cols, (height - (rows - 1) * gap) / rows * 16 / 9)
    return int(tile_w), int(tile_w * 9 / 16)


PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>
html, body {{ margin: 0; height: 100%; background: #121212; overflow: hidden; }}
#grid {{ position: absolute; inset: 0; }}
.tile {{ position: absolute; overflow: hidden; background: #282828; }}
.tile img, .tile video {{ position: absolute; left: 50%; top: 50%; height: {zoom}%; transform: translate(-50%, -50%); }}
.tile img.backdrop {{ height: auto; width: 100%; filter: blur(10px); }}
.tile video {{ height: 150%; }}
</style></head><body><div id="grid"></div>
<script>
const PHOTOS = {photos};
const VIDEO = {video};
window.setLayout = (rows, cols) => {{
  const gap = 4, W = innerWidth, H = innerHeight;
  const tw = Math.floor(Math.min((W - (cols - 1) * gap) / cols, (H - (rows - 1) * gap) / rows * 16 / 9));
  const th = Math.floor(tw * 9 / 16);
  const x0 = Math.floor((W - cols * tw - (cols - 1) * gap) / 2);
  const y0 = Math.floor((H - rows * th - (rows - 1) * gap) / 2);
  const grid = document.getElementById("grid");
  grid.innerHTML = "";
  for (let n = 0; n < rows * cols; n++) {{
    const r = Math.floor(n / cols), c = n % cols;
    const tile = document.createElement("div");
    tile.className = "tile";
    Object.assign(tile.style, {{left: x0 + c * (tw + gap) + "px", top: y0 + r * (th + gap) + "px",
                               width: tw + "px", height: th + "px"}});
    let media;
    if (VIDEO && n === rows * cols - 1) {{
      media = document.createElement("video");
      Object.assign(media, {{src: VIDEO, muted: true, loop: true, autoplay: true, playsInline: true}});
    }} else {{
      const backdrop = document.createElement("img");
      backdrop.className = "backdrop";
      backdrop.src = PHOTOS[n % PHOTOS.length];
      tile.appendChild(backdrop);
      media = document.createElement("img");
      media.src = PHOTOS[n % PHOTOS.length];
    }}
    tile.appendChild(media);
    grid.appendChild(tile);
  }}
  document.body.dataset.layout = rows + "x" + cols;
}};
const [rows, cols] = (location.hash.slice(1) || "5x5").split("x").map(Number);
setLayout(rows, cols);
</script></body></html>
"""


def write_call_page(folder: Path, count: int, tiles: tuple[tuple[int, int], ...], video: Path | None = None) -> Path:
    """Write ``index.html`` and the photos of ``count`` faces findable in tiles of each size of
    ``tiles`` into ``folder``; with ``video`` (a WebM file) the last tile plays it. Returns the page."""
    folder.mkdir(parents=True, exist_ok=True)
    names = findable(count, *tiles)
    for name in names:
        shutil.copy(WILD / "images" / name, folder / name)
    video_name = None
    if video is not None:
        video_name = video.name
        if video.parent != folder:
            shutil.copy(video, folder / video_name)
    page = PAGE.format(title=TITLE, zoom=round(ZOOM * 100), photos=json.dumps(names), video=json.dumps(video_name))
    (folder / "index.html").write_text(page, encoding="utf-8")
    return folder / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="folder for the page and its photos")
    parser.add_argument("--faces", type=int, default=49)
    args = parser.parse_args(argv)
    page = write_call_page(args.out, args.faces, CALL_TILES)
    print(f"wrote {page}; open it with #5x5, #7x7 or any rows x columns")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
