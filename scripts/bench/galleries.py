"""Today's class path on labelled call galleries that were not chosen for easy detection.

Each standard gallery (``tests/fixtures/call_galleries.py``: 5x5 at 1280x720, 7x7 at 1920x1080,
photos drawn at random with the seed, cameras off, close-ups, name tags) is sent as the class page
sends it (a JPEG data URL) ``--frames`` times at 2 frames a second through
:meth:`fer.classroom.call.SharedCall.take` into a fresh :class:`~fer.classroom.lesson.Lesson`, and
scored against the gallery's truth:

* faces: boxes in the last frame; true: a box centred in a tile with a photo, mostly within it, the
  first such box of its tile; false: every other box (duplicates, boxes across tiles, on empty tiles)
* seats: the snapshot's seats; ghost: a seat whose place lies in no tile with a photo; double: a
  second seat in one tile; misnamed: a seat whose name is not its tile's row letter and place in
  the row; dropped: a tile whose face was found in the last frame but got no seat
* seat acc: the seat's label against its tile photo's label (faces_wild's noisy labels), over seats
  in a labelled tile; face acc: the same for the last frame's true faces, unsmoothed

    python -m scripts.bench.galleries --seeds 3 --frames 12 --json galleries.json
    python -m scripts.bench.galleries --model-dir some/dir    # another model's files
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
from datetime import UTC, datetime
from pathlib import Path

from fer.faces import Box
from tests.fixtures.call_galleries import STANDARD, CallGallery, standard

FPS = 2.0  # the class page sends about this many frames a second


def true_tiles(gallery: CallGallery, boxes: list[Box]) -> list[int | None]:
    """For each box, the photo tile whose face it is (None: a false box). A box is a tile's face when
    its centre lies in the tile, at least half of it lies within the tile, and no earlier box took it."""
    taken: list[int | None] = []
    for x, y, w, h in boxes:
        tile = gallery.tile_at(x + w / 2, y + h / 2)
        if tile is not None:
            tx, ty, tw, th = gallery.rects[tile]
            inside = max(0, min(x + w, tx + tw) - max(x, tx)) * max(0, min(y + h, ty + th) - max(y, ty))
            if gallery.photos[tile] is None or inside < 0.5 * w * h or tile in taken:
                tile = None
        taken.append(tile)
    return taken


def score(gallery: CallGallery, frames: int, call) -> dict:
    """Run ``frames`` frames of ``gallery`` through ``call`` (a SharedCall) into a fresh lesson; its figures."""
    from fer.classroom.lesson import Lesson
    from fer.media import encode_jpeg

    url = "data:image/jpeg;base64," + base64.b64encode(encode_jpeg(gallery.bgr, 85)).decode()
    lesson = Lesson(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    taken = [call.take(url, lesson, n / FPS) for n in range(frames)]
    last, snapshot = taken[-1], lesson.snapshot()
    tiles = true_tiles(gallery, [f.box for f in last.faces])
    found = {t for t in tiles if t is not None}
    seated_tiles = {t for t, f in zip(tiles, last.faces, strict=True) if t is not None and f.seat is not None}
    face_hits = [last.faces[i].label == gallery.labels[t] for i, t in enumerate(tiles) if t is not None]

    places = {t.name: (t.x, t.y) for t in (snapshot.layout.tiles if snapshot.layout else ())}
    ghosts, doubles, misnamed, hits, seen = [], [], [], [], set()
    for seat in snapshot.seats:
        tile = gallery.tile_at(*places[seat.name]) if seat.name in places else None
        if tile is None or gallery.photos[tile] is None:
            ghosts.append(seat.name)
            continue
        if tile in seen:
            doubles.append(seat.name)
        seen.add(tile)
        if seat.name != gallery.tile_name(tile):
            misnamed.append(seat.name)
        hits.append(seat.label == gallery.labels[tile])
    return {
        "tiles": len(gallery.rects),
        "photo_tiles": sum(p is not None for p in gallery.photos),
        "faces_found": len(last.faces),
        "true_faces": len(found),
        "false_boxes": sum(t is None for t in tiles),
        "seats": len(snapshot.seats),
        "ghost_seats": ghosts,
        "double_seats": doubles,
        "misnamed_seats": misnamed,
        "dropped_tiles": sorted(gallery.tile_name(t) for t in found - seated_tiles),
        "seat_accuracy": sum(hits) / len(hits) if hits else None,
        "face_accuracy": sum(face_hits) / len(face_hits) if face_hits else None,
        "reflows": len(snapshot.reflows),
        "headline": snapshot.line,
        "ms_per_frame": statistics.median(f.analyse_ms for f in taken),
    }


def line(what: str, r: dict) -> str:
    def pct(v):
        return "  -" if v is None else f"{100 * v:3.0f}%"

    def n(v):
        return len(v) if isinstance(v, list) else v

    return (
        f"{what}: photos {r['photo_tiles']:g}/{r['tiles']:g} tiles, found {r['faces_found']:g} "
        f"(true {r['true_faces']:g}, false {r['false_boxes']:g}); seats {r['seats']:g} (ghost {n(r['ghost_seats']):g}, "
        f"double {n(r['double_seats']):g}, misnamed {n(r['misnamed_seats']):g}), dropped {n(r['dropped_tiles']):g}; "
        f"seat acc {pct(r['seat_accuracy'])}, face acc {pct(r['face_accuracy'])}; {r['ms_per_frame']:.0f} ms/frame"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3, help="galleries per size, seeds 0..N-1")
    parser.add_argument("--frames", type=int, default=12, help="frames per gallery, at 2 a second")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--model-dir", type=Path, help="another model's files (default: the served model)")
    args = parser.parse_args(argv)
    from fer.classroom.call import SharedCall
    from fer.recognition.model_card import read_model_files

    call = SharedCall.from_model(read_model_files(args.model_dir) if args.model_dir else None)
    results: dict[str, dict] = {}
    for name in STANDARD:
        runs = []
        for seed in range(args.seeds):
            r = score(standard(name, seed), args.frames, call)
            runs.append(r)
            print(line(f"{name} seed {seed}", r))
            print(f"    headline: {r['headline']}")
            if r["ghost_seats"] or r["misnamed_seats"] or r["dropped_tiles"]:
                print(f"    ghost {r['ghost_seats']} misnamed {r['misnamed_seats']} dropped {r['dropped_tiles']}")
        mean = {
            k: statistics.fmean(len(r[k]) if isinstance(r[k], list) else r[k] for r in runs)
            for k in runs[0]
            if k != "headline" and all(r[k] is not None for r in runs)
        }
        mean.setdefault("seat_accuracy", None)
        mean.setdefault("face_accuracy", None)
        print(line(f"{name} mean of {args.seeds}", mean))
        results[name] = {"runs": runs, "mean": mean}
    if args.json:
        args.json.write_text(json.dumps({"frames": args.frames, "galleries": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
