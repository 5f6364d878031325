"""A lesson's panels, live on the class page and after a recording: who may want a check-in, the timeline
in clock time (a recording's own time), the seats, the downloads."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pandas as pd
import streamlit as st

from fer.classroom.attention import AttentionConfig
from fer.classroom.lesson import MAX_NAME, Lesson
from fer.classroom.report import class_csv, report_html, seats_csv
from fer.classroom.snapshot import LessonSnapshot, duration
from fer.labels import LABELS
from ui.charts import emotion_colors, share_axis

CONFIDENT = AttentionConfig.confident  # below this a seat's mood is shown as "uncertain"


def attention_list(lesson: LessonSnapshot, live: bool = True) -> None:
    """Who may want a check-in, the longest first, each with what was seen; cameras off or away apart.
    Once sharing has stopped, in the past tense: as it was when the last frame came."""
    window = duration(min(lesson.window_s, lesson.watched_s))  # a lesson shorter than the window: all of it
    last = f"the last {window}" if live else f"the {window} before {lesson.clock(lesson.latest_s):%H:%M}"
    heading = "May want a check-in" if live else f"Sharing stopped at {lesson.clock(lesson.latest_s):%H:%M}; then"
    if lesson.expressions and lesson.attention:  # (presence only: nobody is flagged; cameras off are all there is)
        lines = [f"**{a.seat}**: {a.why} most of {last}" for a in lesson.attention]
        st.markdown(f"**{heading}**  \n" + "  \n".join(lines))
    elif lesson.expressions:
        st.caption(f"{heading}: nobody (no face looked negative most of {last}).")
    if lesson.away:
        seats = ", ".join(f"{a.seat} ({duration(a.for_s)})" for a in lesson.away)
        st.caption(f"Camera off or away: {len(lesson.away)} seat{'s' * (len(lesson.away) != 1)}: {seats}.")


def clock_timeline(lesson: LessonSnapshot) -> None:
    if not lesson.expressions:  # presence only: the count is the page's; no emotion to draw
        return
    rows = [r for r in lesson.seconds if r.faces > 0]
    if len(rows) < 2:
        st.caption("The lesson's timeline starts after two seconds with faces in view.")
        return
    step = max(1, len(rows) // 600)  # at most 600 points, whatever the lesson's length
    # Each stretch with frames is drawn apart: a pause in sharing is a gap, not a line across it.
    starts = [start for start, _ in lesson.watched]
    table = pd.DataFrame(
        [
            {
                "time": lesson.clock(r.second).replace(tzinfo=None),
                "part": sum(start <= r.second + 1 for start in starts),
                "emotion": label,
                "share": float(v),
            }
            for r in rows[::step]
            for label, v in zip(LABELS, r.shares, strict=True)
        ]
    )
    st.vega_lite_chart(
        table,
        {
            "mark": {"type": "area"},
            # The area's own height, with the axis and the legend below it (a height given to Streamlit is
            # shared by all three, and squeezed the area); the width fits the page.
            "height": 190,
            "autosize": {"type": "fit-x", "contains": "padding"},
            "encoding": {
                "detail": {"field": "part", "type": "nominal"},
                "x": {
                    "field": "time",
                    "type": "temporal",
                    "title": "time in the recording" if lesson.source else "clock time",
                    "axis": {"format": "%H:%M:%S", "labelOverlap": True},
                },
                "y": share_axis("share of the faces", stack=True),
                "color": emotion_colors({"orient": "bottom", "columns": 4, "title": None, "labelFontSize": 13}),
            },
        },
        width="stretch",
    )


def seats_table(lesson: LessonSnapshot, live: bool = True) -> None:
    """Every seat, with its face's mood and time on camera; ``live``: frames are coming in (else "last seen"
    is told in clock time, not as "now")."""
    if not lesson.seats:
        return
    now = lesson.latest_s

    def last_seen(t: float) -> str:
        if not live:
            return f"{lesson.clock(t):%H:%M:%S}"
        return "now" if now - t < 5 else f"{duration(now - t)} ago"

    table = pd.DataFrame(
        [
            {
                "seat": s.name,
                **({"name": lesson.names.get(s.name, "")} if lesson.names else {}),
                **({"mood": s.mood(CONFIDENT), "confidence": f"{s.score:.0%}"} if lesson.expressions else {}),
                "on camera": duration(s.on_camera_s),
                "last seen": last_seen(s.last_seen_s),
                **(
                    {label: f"{p:.0%}" for label, p in zip(LABELS, s.probabilities, strict=True)}
                    if lesson.expressions
                    else {}
                ),
            }
            for s in lesson.seats
        ]
        + [  # every tile is a seat: those whose face has not been seen since the tiles were learnt
            {"seat": a.seat, **({"mood": "no face yet"} if lesson.expressions else {}), "on camera": "0 s"}
            | {"last seen": "not yet"}
            for a in lesson.away
            if a.seat not in {s.name for s in lesson.seats}
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")


def moments_table(lesson: LessonSnapshot) -> None:
    """Every stretch in which a seat needed attention, in the lesson's clock."""
    if not lesson.moments:
        st.caption("Needs attention: no seat stayed negative or without a face for long.")
        return
    st.markdown("**Needed attention**")
    table = pd.DataFrame(
        [
            {
                "seat": m.seat,
                "why": m.why,
                "from": f"{lesson.clock(m.start_s):%H:%M:%S}",
                "to": f"{lesson.clock(m.end_s):%H:%M:%S}",
                "for": duration(m.end_s - m.start_s),
            }
            for m in lesson.moments
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")


def reflow_notes(lesson: LessonSnapshot, latest_only: bool = False) -> None:
    for reflow in lesson.reflows[-1:] if latest_only else lesson.reflows:
        st.info(
            f"At {lesson.clock(reflow.time_s):%H:%M:%S} the gallery changed from {reflow.before[0]}x"
            f"{reflow.before[1]} to {reflow.after[0]}x{reflow.after[1]}: the seats were named afresh."
        )


def seat_names(lesson: Lesson) -> bool:
    """The teacher's names for seats (kept with this lesson only), and whether the downloads carry them."""
    seats = lesson.seat_names()
    if not seats:
        return False
    with st.expander("Names for seats (optional: kept with this lesson only, never in the downloads unless you say)"):
        with st.form("seat_name", clear_on_submit=True, border=False):
            seat, name = st.columns([1, 3])
            chosen = seat.selectbox("Seat", seats)
            typed = name.text_input("Name (empty: no name)", max_chars=MAX_NAME)
            if st.form_submit_button("Save the name"):
                try:
                    lesson.name_seat(chosen, typed)
                except ValueError as err:
                    st.error(f"Not saved: {err}.")
        st.checkbox(
            "Keep the names with the saved lesson (else they are never saved: they go when the server lets it go)",
            key="keep_names",
        )
        return st.checkbox("Put the names in the report and the seats' CSV", key="names_in_downloads")


def lesson_downloads(snapshot: Callable[[], LessonSnapshot], stamp: str, with_names: bool = False) -> None:
    """The report and the two CSVs, each made from the lesson as it is when its button is pressed; the names
    the teacher typed are in the report and the seats' CSV only ``with_names``."""
    files = (
        (
            "Download the lesson report (HTML)",
            partial(report_html, with_names=with_names),
            f"class-mood-{stamp}.html",
            "text/html",
        ),
        ("Class per second (CSV)", class_csv, f"class-{stamp}.csv", "text/csv"),
        ("Seats per minute (CSV)", partial(seats_csv, with_names=with_names), f"seats-{stamp}.csv", "text/csv"),
    )
    for column, (label, make, name, mime) in zip(st.columns(len(files)), files, strict=True):
        made = partial(lambda make: make(snapshot()), make)
        column.download_button(label, made, file_name=name, mime=mime, on_click="ignore")
