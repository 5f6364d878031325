"""The lesson's panels on the class page: needs attention, the timeline in clock time, the seats."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from fer.labels import LABELS
from fer.lesson import Lesson
from ui.charts import emotion_colors, share_axis


def attention_list(lesson: Lesson) -> None:
    needs = lesson.needs_attention()
    if not needs:
        st.caption("Needs attention: nobody right now.")
        return
    lines = [
        f"**{a.seat}**: "
        + (
            f"{a.label} for {a.for_s / 60:.0f} min"
            if a.reason == "negative"
            else f"no face for {a.for_s / 60:.0f} min"
            if a.for_s >= 60
            else f"no face for {a.for_s:.0f} s"
        )
        for a in needs
    ]
    st.markdown("**Needs attention**  \n" + "  \n".join(lines))


def clock_timeline(lesson: Lesson) -> None:
    rows = [r for r in lesson.mood.seconds() if r.faces > 0]
    if len(rows) < 2:
        st.caption("The lesson's timeline starts after two seconds with faces in view.")
        return
    step = max(1, len(rows) // 600)  # at most 600 points, whatever the lesson's length
    table = pd.DataFrame(
        [
            {"time": lesson.clock(r.second).replace(tzinfo=None), "emotion": label, "share": float(v)}
            for r in rows[::step]
            for label, v in zip(LABELS, r.shares, strict=True)
        ]
    )
    st.vega_lite_chart(
        table,
        {
            "mark": {"type": "area"},
            "encoding": {
                "x": {
                    "field": "time",
                    "type": "temporal",
                    "title": "clock time",
                    "axis": {"format": "%H:%M:%S", "labelOverlap": True},
                },
                "y": share_axis("share of the faces", stack=True),
                "color": emotion_colors({"orient": "bottom", "columns": 4, "title": None, "labelFontSize": 13}),
            },
        },
        use_container_width=True,
        height=260,
    )


def seats_table(lesson: Lesson) -> None:
    rows = lesson.seat_rows()
    if not rows:
        return
    now = lesson.latest_s
    table = pd.DataFrame(
        [
            {
                "seat": r["seat"],
                "mood": r["label"],
                "confidence": f"{r['score']:.0%}",
                "last seen": "now" if now - r["last_seen_s"] < 5 else f"{now - r['last_seen_s']:.0f} s ago",
                **{label: f"{p:.0%}" for label, p in zip(LABELS, r["probabilities"], strict=True)},
            }
            for r in rows
        ]
    )
    st.dataframe(table, hide_index=True, use_container_width=True)
