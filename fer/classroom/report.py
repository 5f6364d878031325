"""What a teacher downloads at the end of a lesson: one HTML report and two CSVs, in clock time.

* :func:`report_html`: a single self-contained file (no scripts, no outside resources): the
  timeline of the class's mood, the distribution over the lesson, a summary per seat, the
  moments a seat needed attention and the gallery's reflows.
* :func:`class_csv`: one row per second: the class's faces and each emotion's share.
* :func:`seats_csv`: one row per seat per minute: frames the face was seen in and its mean
  probabilities; ``layout`` counts the gallery's layouts (a reflow starts the next one, and seat
  names start afresh with it).

A presence-only lesson (:attr:`LessonSnapshot.expressions` False) has no emotion in any of them: faces,
seats, when each was seen, time on camera, cameras off and pauses.
"""

from __future__ import annotations

from html import escape

import numpy as np

from fer.classroom.snapshot import LessonSnapshot, duration
from fer.labels import HEX, LABELS
from fer.tables import rows_text

TIMELINE_BINS = 120  # columns of the report's timeline at most
CLASS_FIELDS = ("time", "second", "frames", "faces", *(f"share_{label}" for label in LABELS))
SEAT_FIELDS = ("minute", "layout", "seat", "frames_seen", "frames", "label", *(f"p_{label}" for label in LABELS))
PRESENCE_CLASS_FIELDS = CLASS_FIELDS[:4]
PRESENCE_SEAT_FIELDS = SEAT_FIELDS[:5]


def class_csv(lesson: LessonSnapshot) -> str:
    """One row per second, with the fields of :data:`CLASS_FIELDS` (presence only: :data:`PRESENCE_CLASS_FIELDS`)."""
    fields = CLASS_FIELDS if lesson.expressions else PRESENCE_CLASS_FIELDS
    rows = [
        {
            "time": lesson.clock(r.second).strftime("%H:%M:%S"),
            "second": r.second,
            "frames": r.frames,
            "faces": f"{r.faces:.2f}",
            **{f"share_{label}": f"{v:.4f}" for label, v in zip(LABELS, r.shares, strict=True)},
        }
        for r in lesson.seconds
    ]
    return rows_text([{k: row[k] for k in fields} for row in rows], fields)


def seat_minutes(lesson: LessonSnapshot, with_names: bool = False) -> list[dict]:
    """One row per seat per minute, with the fields of :data:`SEAT_FIELDS` (and ``name``, the name the
    teacher typed for a seat of the latest layout, when ``with_names``)."""
    latest = max((m.layout for m in lesson.minutes), default=0)
    return [
        {
            "minute": lesson.clock(m.minute * 60).strftime("%H:%M"),
            "layout": m.layout,
            "seat": m.seat,
            **({"name": lesson.names.get(m.seat, "") if m.layout == latest else ""} if with_names else {}),
            "frames_seen": m.frames_seen,
            "frames": m.frames,
            "label": m.label,
            **{f"p_{label}": round(float(v), 4) for label, v in zip(LABELS, m.probabilities, strict=True)},
        }
        for m in lesson.minutes
    ]


def seats_csv(lesson: LessonSnapshot, with_names: bool = False) -> str:
    """The seats per minute as CSV; names only where the teacher chose to put them in."""
    rows = seat_minutes(lesson, with_names)
    base = SEAT_FIELDS if lesson.expressions else PRESENCE_SEAT_FIELDS
    fields = (*base[:3], "name", *base[3:]) if with_names else base
    rows = [{k: f"{row[k]:.4f}" if isinstance(row[k], float) else row[k] for k in fields} for row in rows]
    return rows_text(rows, fields)


def _timeline_svg(lesson: LessonSnapshot, width: int = 900, height: int = 220) -> str:
    seconds = [r for r in lesson.seconds if r.faces > 0]
    if len(seconds) < 2:
        return "<p>Too short for a timeline.</p>"
    t = np.array([r.second for r in seconds], float)
    shares = np.array([r.shares for r in seconds])
    edges = np.linspace(t[0], t[-1] + 1, min(TIMELINE_BINS, len(t)) + 1)
    which = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, len(edges) - 2)
    used = np.unique(which)
    binned = np.array([shares[which == b].mean(axis=0) for b in used])
    xs = (edges[used] + edges[used + 1]) / 2
    left, bottom, plot_w, plot_h = 60, 30, width - 80, height - 50
    x_of = lambda v: left + (v - edges[0]) / (edges[-1] - edges[0]) * plot_w  # noqa: E731
    parts = []
    # The timeline breaks at each pause: no area is drawn across time that had no frames.
    starts = [a for a, _ in lesson.watched]
    for segment in np.split(np.arange(len(xs)), np.nonzero(np.diff(np.searchsorted(starts, xs, "right")))[0] + 1):
        base = np.zeros(len(segment))
        for i, label in enumerate(LABELS):
            top = base + binned[segment, i]
            x, y = xs[segment], bottom + plot_h * (1 - top)
            under = bottom + plot_h * (1 - base)
            outline = [*zip(x, y, strict=True), *zip(x[::-1], under[::-1], strict=True)]
            points = " ".join(f"{x_of(a):.1f},{b:.1f}" for a, b in outline)
            parts.append(f'<polygon points="{points}" fill="{HEX[label]}"><title>{label}</title></polygon>')
            base = top
    ticks = np.linspace(edges[0], edges[-1], 6)
    for v in ticks:
        parts.append(
            f'<text x="{x_of(v):.1f}" y="{height - 8}" font-size="12" text-anchor="middle">'
            f"{lesson.clock(v).strftime('%H:%M:%S')}</text>"
        )
    for share in (0, 0.5, 1):
        parts.append(
            f'<text x="{left - 6}" y="{bottom + plot_h * (1 - share) + 4:.1f}" font-size="12" '
            f'text-anchor="end">{share:.0%}</text>'
        )
    return (
        f'<svg width="{width}" height="{height}" role="img" '
        f'aria-label="share of each emotion over the lesson">{"".join(parts)}</svg>'
    )


def _legend() -> str:
    return " ".join(f'<span class="key"><i style="background:{HEX[label]}"></i>{label}</span>' for label in LABELS)


def _bars(shares: np.ndarray) -> str:
    rows = "".join(
        f'<tr><td>{label}</td><td><div class="bar" style="width:{300 * v:.0f}px;'
        f'background:{HEX[label]}"></div></td><td>{v:.0%}</td></tr>'
        for label, v in zip(LABELS, shares, strict=True)
    )
    return f"<table>{rows}</table>"


def _pauses(lesson: LessonSnapshot) -> str:
    """The pauses in sharing, each from, to and how long: time that was not watched and counts nowhere."""
    if not lesson.pauses:
        return ""
    items = "".join(
        f"<li>{lesson.clock(a):%H:%M:%S}&ndash;{lesson.clock(b):%H:%M:%S} ({duration(b - a)})</li>"
        for a, b in lesson.pauses
    )
    return f"<p>Not watched (sharing paused or stopped); no duration counts this time:</p><ul>{items}</ul>"


def report_html(lesson: LessonSnapshot, with_names: bool = False) -> str:
    """The lesson's report: one HTML file, readable offline and printable."""
    if not lesson.expressions:
        return _presence_report(lesson, with_names)
    start, end = lesson.clock(0), lesson.clock(lesson.latest_s)
    seats = lesson.seats
    seat_rows = "".join(
        f"<tr><td>{escape(lesson.seat_called(s.name, with_names))}</td><td>{lesson.clock(s.first_seen_s):%H:%M:%S}</td>"
        f"<td>{lesson.clock(s.last_seen_s):%H:%M:%S}</td><td>{escape(s.label)}</td>"
        + "".join(f"<td>{p:.0%}</td>" for p in s.probabilities)
        + "</tr>"
        for s in seats
    )
    moments = "".join(
        f"<tr><td>{escape(m.seat)}</td><td>{escape(m.why)}</td>"
        f"<td>{lesson.clock(m.start_s):%H:%M:%S}</td><td>{lesson.clock(m.end_s):%H:%M:%S}</td>"
        f"<td>{duration(m.end_s - m.start_s)}</td></tr>"
        for m in lesson.moments
    ) or ('<tr><td colspan="5">None: no seat stayed negative or without a face for long.</td></tr>')
    reflows = "".join(
        f"<li>{lesson.clock(r.time_s):%H:%M:%S}: the gallery changed from "
        f"{r.before[0]}x{r.before[1]} to {r.after[0]}x{r.after[1]}; seats were named afresh</li>"
        for r in lesson.reflows
    )
    header = "".join(f"<th>{label}</th>" for label in LABELS)
    if lesson.source:
        title = f"recording {escape(lesson.source)}"
        heading = f"{title}, {start:%H:%M:%S}&ndash;{end:%H:%M:%S} (times from the recording's start)"
    else:
        title = f"lesson of {start:%d %b %Y, %H:%M}"
        heading = f"lesson of {start:%d %b %Y}, {start:%H:%M}&ndash;{end:%H:%M}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Class mood: {title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 960px; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 1.5rem; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; font-size: 14px; }}
.bar {{ height: 14px; }} .key {{ margin-right: 1rem; font-size: 14px; }}
.key i {{ display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }}
.note {{ color: #555; font-size: 13px; }}
</style></head><body>
<h1>Class mood: {heading}</h1>
<p><strong>{escape(lesson.line)}</strong> (at the end). {lesson.frames} frames analysed over
{duration(lesson.watched_s)} watched; {len(seats)} seats.</p>
{_pauses(lesson)}
<h2>The class over the lesson</h2>
<p>{_legend()}</p>
{_timeline_svg(lesson)}
<h2>Share of each emotion over the lesson</h2>
{_bars(lesson.overall())}
<h2>Needs attention</h2>
<table><tr><th>seat</th><th>why</th><th>from</th><th>to</th><th>for</th></tr>{moments}</table>
<h2>Seats</h2>
<table><tr><th>seat</th><th>first seen</th><th>last seen</th><th>mood at the end</th>{header}</tr>{seat_rows}</table>
{f"<h2>Gallery changes</h2><ul>{reflows}</ul>" if reflows else ""}
<p class="note">Made by Class mood from the numbers it kept during the lesson: no picture, video or face
was stored. Emotions are a model's estimate from a face's expression, not a measure of what anyone feels.</p>
</body></html>
"""


def _presence_report(lesson: LessonSnapshot, with_names: bool) -> str:
    """A presence-only lesson's report: faces, seats, time on camera, cameras off, pauses; no emotion."""
    start, end = lesson.clock(0), lesson.clock(lesson.latest_s)
    seat_rows = "".join(
        f"<tr><td>{escape(lesson.seat_called(s.name, with_names))}</td><td>{lesson.clock(s.first_seen_s):%H:%M:%S}</td>"
        f"<td>{lesson.clock(s.last_seen_s):%H:%M:%S}</td><td>{duration(s.on_camera_s)}</td></tr>"
        for s in lesson.seats
    )
    away = (
        "".join(
            f"<tr><td>{escape(m.seat)}</td><td>{lesson.clock(m.start_s):%H:%M:%S}</td>"
            f"<td>{lesson.clock(m.end_s):%H:%M:%S}</td><td>{duration(m.end_s - m.start_s)}</td></tr>"
            for m in lesson.moments
            if m.reason.value == "no face"
        )
        or '<tr><td colspan="4">None: the face of every seat was seen throughout.</td></tr>'
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Class presence: lesson of {start:%d %b %Y, %H:%M}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 960px; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 1.5rem; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; font-size: 14px; }}
.note {{ color: #555; font-size: 13px; }}
</style></head><body>
<h1>Class presence: lesson of {start:%d %b %Y}, {start:%H:%M}&ndash;{end:%H:%M}</h1>
<p><strong>{escape(lesson.line)}</strong> (at the end). {lesson.frames} frames analysed over
{duration(lesson.watched_s)} watched; {len(lesson.seats)} seats.</p>
{_pauses(lesson)}
<h2>Seats</h2>
<table><tr><th>seat</th><th>first seen</th><th>last seen</th><th>on camera</th></tr>{seat_rows}</table>
<h2>Camera off or away</h2>
<table><tr><th>seat</th><th>from</th><th>to</th><th>for</th></tr>{away}</table>
<p class="note">Made by Class mood in presence-only mode: faces were found and seated, and no expression or
emotion was estimated. No picture, video or face was stored.</p>
</body></html>
"""
