"""How far a teacher can trust "may want a check-in", on labelled call galleries.

Each standard gallery (``tests/fixtures/call_galleries.py``: faces_wild photos drawn at random, cameras
off, close-ups, name tags) is shared for ``--minutes`` of lesson time through the class page's own
path (:meth:`fer.classroom.call.SharedCall.take` into a :class:`~fer.classroom.lesson.Lesson`), every
frame a little different as a call's video is (sensor noise, a brightness drift, the browser's JPEG
at a varying quality), ``--fps`` frames a second. The check-in rule judges a seat on its readings over
a 4-minute window, so the rate changes how many readings it has, not what it asks of them.

A seat is *truly negative* when its tile's photo is labelled angry, disgust, fear or sad (faces_wild's
labels, noisy). Against that:

* precision: of the seats flagged at any time, the share that are truly negative
* recall: of the truly negative seats whose face was seated, the share flagged at any time
* false alarms: check-in stretches on seats that are not truly negative, per 25 seats per 10 minutes
* time to flag: lesson seconds from the start to a truly negative seat's first flag (median)

    python -m scripts.bench.alerts --seeds 2 --minutes 10 --fps 0.5 --json alerts.json
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from fer.labels import NEGATIVE
from tests.fixtures.call_galleries import STANDARD, CallGallery, standard


def as_video(bgr: np.ndarray, rng: np.random.Generator) -> str:
    """One frame of a call showing ``bgr``: sensor noise, a brightness drift, a JPEG of varying quality,
    as the page's data URL."""
    gain = rng.uniform(0.92, 1.08)
    noisy = bgr.astype(np.float32) * gain + rng.normal(0, 3.0, bgr.shape).astype(np.float32)
    frame = np.clip(noisy, 0, 255).astype(np.uint8)
    jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(60, 91))])[1].tobytes()
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()


def run(gallery: CallGallery, minutes: float, fps: float, call, seed: int) -> dict:
    """Share ``gallery`` for ``minutes`` at ``fps``; the check-ins it raised against its truth."""
    from fer.classroom.lesson import Lesson
    from fer.classroom.snapshot import Reason

    rng = np.random.default_rng(seed)
    lesson = Lesson(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    readings: dict[str, list[tuple[float, np.ndarray]]] = {}  # seat -> its readings, for --sweep
    for n in range(int(minutes * 60 * fps)):
        for face in call.take(as_video(gallery.bgr, rng), lesson, n / fps).faces:
            if face.seat is not None:
                readings.setdefault(face.seat, []).append((n / fps, face.probabilities))
    snapshot = lesson.snapshot()
    places = {t.name: (t.x, t.y) for t in (snapshot.layout.tiles if snapshot.layout else ())}

    def truth(seat: str) -> str | None:
        tile = gallery.tile_at(*places[seat]) if seat in places else None
        return None if tile is None else gallery.labels[tile]

    seated = {s.name: truth(s.name) for s in snapshot.seats}
    negative = {seat for seat, label in seated.items() if label in NEGATIVE}
    stretches = [m for m in snapshot.moments if m.reason is Reason.NEGATIVE]
    flagged = {m.seat for m in stretches}
    first_flag = {}
    for m in stretches:
        first_flag[m.seat] = min(first_flag.get(m.seat, m.start_s), m.start_s)
    false_stretches = [m for m in stretches if m.seat not in negative]
    return {
        "seats": len(seated),
        "truly_negative": len(negative),
        "flagged": len(flagged),
        "flagged_negative": len(flagged & negative),
        "false_alarms": len(false_stretches),
        "false_alarm_seats": sorted(f"{m.seat} ({seated[m.seat]}, looked {m.label})" for m in false_stretches),
        "missed": sorted(
            f"{s} ({seated[s]}, read {next(x.label for x in snapshot.seats if x.name == s)})"
            for s in negative - flagged
        ),
        "seconds_to_flag": [first_flag[s] for s in negative & flagged],
        "minutes": minutes,
        "readings": {seat: (seated.get(seat), frames) for seat, frames in readings.items()},
    }


def replay(runs: list[dict], config) -> dict:
    """The check-in rule with ``config`` on the runs' recorded readings (as the lesson applies it to a
    seat seen in every frame): its figures, as :func:`totals` gives them."""
    from fer.classroom.attention import Readings

    replayed = []
    for r in runs:
        flagged = set()
        stretches = falses = 0
        to_flag = []
        for seat, (label, frames) in r["readings"].items():
            readings, on = Readings(config), False
            for t, probabilities in frames:
                readings.add(t, probabilities)
                now = bool(readings.check_in(t, flagged=on))
                if now and not on:
                    stretches += 1
                    falses += label not in NEGATIVE
                    if seat not in flagged and label in NEGATIVE:
                        to_flag.append(t)
                    flagged.add(seat)
                on = now
        negative = {s for s, (label, _) in r["readings"].items() if label in NEGATIVE}
        replayed.append(
            r
            | {"flagged": len(flagged), "flagged_negative": len(flagged & negative), "false_alarms": falses}
            | {"truly_negative": len(negative), "seconds_to_flag": to_flag}
        )
    return totals(replayed)


def totals(runs: list[dict]) -> dict:
    flagged = sum(r["flagged"] for r in runs)
    negative = sum(r["truly_negative"] for r in runs)
    seat_minutes = sum(r["seats"] * r["minutes"] for r in runs)
    to_flag = [s for r in runs for s in r["seconds_to_flag"]]
    return {
        "precision": sum(r["flagged_negative"] for r in runs) / flagged if flagged else None,
        "recall": sum(r["flagged_negative"] for r in runs) / negative if negative else None,
        "false_alarms_per_25_seats_per_10_min": sum(r["false_alarms"] for r in runs) * 25 * 10 / seat_minutes,
        "median_seconds_to_flag": statistics.median(to_flag) if to_flag else None,
        "flagged": flagged,
        "truly_negative": negative,
        "seats": sum(r["seats"] for r in runs),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=2, help="galleries per size, seeds 0..N-1")
    parser.add_argument("--minutes", type=float, default=10.0, help="lesson time per gallery")
    parser.add_argument("--fps", type=float, default=0.5, help="frames a second of lesson time")
    parser.add_argument("--sizes", nargs="+", default=list(STANDARD), choices=list(STANDARD))
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--sweep", action="store_true", help="also replay the readings under other check-in rules")
    args = parser.parse_args(argv)
    from fer.classroom.call import SharedCall

    call = SharedCall.from_model()
    results, every = {}, []
    for name in args.sizes:
        runs = []
        for seed in range(args.seeds):
            r = run(standard(name, seed), args.minutes, args.fps, call, seed)
            runs.append(r)
            print(
                f"{name} seed {seed}: {r['seats']} seats, {r['truly_negative']} truly negative; flagged "
                f"{r['flagged']} ({r['flagged_negative']} truly negative), {r['false_alarms']} false alarms"
            )
            if r["false_alarm_seats"]:
                print(f"    false alarms: {', '.join(r['false_alarm_seats'])}")
            if r["missed"]:
                print(f"    missed: {', '.join(r['missed'])}")
        every += runs
        results[name] = {"runs": runs, "totals": totals(runs)}
        print(f"{name}: {summary(results[name]['totals'])}")
    overall = totals(every)
    print(f"all: {summary(overall)}")
    if args.sweep:
        sweep(every)
    for r in every:
        del r["readings"]
    if args.json:
        args.json.write_text(
            json.dumps({"minutes": args.minutes, "fps": args.fps, "galleries": results, "all": overall}, indent=2)
        )
    return 0


def sweep(runs: list[dict]) -> None:
    """The check-in rule's figures on the same readings for other confidences and shares."""
    from dataclasses import replace

    from fer.classroom.attention import AttentionConfig

    print("replayed (confident, most):")
    for confident in (0.5, 0.6, 0.7, 0.8):
        for most in (0.5, 0.6, 0.7):
            config = replace(AttentionConfig(), confident=confident, most=most)
            print(f"    {confident:.1f} {most:.1f}: {summary(replay(runs, config))}")


def summary(t: dict) -> str:
    def pct(v):
        return "-" if v is None else f"{100 * v:.0f}%"

    to_flag = "-" if t["median_seconds_to_flag"] is None else f"{t['median_seconds_to_flag']:.0f} s"
    return (
        f"precision {pct(t['precision'])} ({t['flagged']} seats flagged), recall {pct(t['recall'])} "
        f"(of {t['truly_negative']} truly negative), {t['false_alarms_per_25_seats_per_10_min']:.1f} false alarms "
        f"per 25 seats per 10 min, median {to_flag} to flag"
    )


if __name__ == "__main__":
    raise SystemExit(main())
