"""The Lessons page: the lessons this browser has opened, from the lessons database.

Only the lessons whose links this browser has opened are listed (their codes are kept in the browser:
:mod:`ui.lesson_links`), never the server's whole store. Each with its date, length, class size and
one line; a chart of the class's mood across them; open one (the class page shows its view and
downloads), or delete one, asked first.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
import streamlit as st

from fer.classroom.snapshot import duration
from fer.labels import LABELS
from ui.charts import emotion_colors, share_axis
from ui.lesson_links import lesson_links
from ui.modes import go_to
from ui.storage import lesson_storage

LESSONS_MODE = "Lessons"


def forget_lesson(code: str) -> None:
    """This browser forgets the lesson of ``code`` (its list is told on the next page that shows it)."""
    st.session_state["forget_lesson"] = code


def lessons_page(class_mode: str) -> None:
    st.caption(
        "The lessons this browser has opened, as the lessons database keeps them (numbers only: no picture, "
        "no face). Another browser sees only the lessons whose links it was given."
    )
    storage = lesson_storage()
    codes = lesson_links(remove=st.session_state.pop("forget_lesson", None))
    if storage.database is None:
        st.error(storage.error or "There is no lessons database.")
        return
    from fer.storage import StorageError

    try:
        lessons = storage.database.summaries(codes)
    except StorageError as err:
        st.error(f"The lessons cannot be read now: {err}.")
        return
    if not lessons:
        st.info("No saved lesson has been opened in this browser yet: a lesson appears here once its call is shared.")
        return
    table = pd.DataFrame(
        [
            {
                "started": f"{s.local_start:%Y-%m-%d %H:%M}",
                "length": duration(s.length_s),
                "watched": duration(s.watched_s),
                "faces": s.faces,
                "class": s.summary,
                "from": s.source or "shared call",
            }
            for s in lessons
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")
    mood_across(lessons)
    names = lesson_names(lessons)
    code = st.selectbox("Lesson", list(names), format_func=names.__getitem__)
    chosen = names[code]
    open_, delete = st.columns(2)

    def open_lesson() -> None:
        st.query_params["lesson"] = code
        go_to(class_mode)

    open_.button("Open it on the class page", on_click=open_lesson)
    if delete.button("Delete it"):
        st.session_state["delete_asked"] = code
    if st.session_state.get("delete_asked") == code:
        st.warning(f"Delete the lesson of {chosen}? Its record goes from the lessons database, for good.")
        if st.button("Delete the lesson", type="primary", key="delete_yes"):
            from ui.classroom import delete_lesson  # here: ui.classroom imports this module

            st.session_state.pop("delete_asked", None)
            error = delete_lesson(code)  # from this server's memory too: else its writer would save it again
            if error:
                st.error(f"Not deleted: {error}.")
                return
            st.rerun()


def told_apart(labels: list[str]) -> list[str]:
    """``labels`` with each repeat numbered ("10:00", "10:00 (2)"): a choice or a chart's bar per lesson, even for
    two lessons begun in the same minute."""
    seen: Counter[str] = Counter()
    numbered = []
    for label in labels:
        seen[label] += 1
        numbered.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return numbered


def lesson_names(lessons) -> dict[str, str]:
    """Code -> how the list names the lesson: its start, length and line (chosen by code, not by name)."""
    names = [f"{s.local_start:%Y-%m-%d %H:%M} · {duration(s.length_s)} · {s.summary}" for s in lessons]
    return dict(zip((s.code for s in lessons), told_apart(names), strict=True))


def mood_across(lessons) -> None:
    """Each lesson's share of each estimated expression, oldest first, a bar each."""
    shown = [s for s in reversed(lessons) if s.shares.sum() > 0]
    if len(shown) < 2:
        return
    names = told_apart([f"{s.local_start:%m-%d %H:%M}" for s in shown])
    rows = [
        {"lesson": name, "emotion": label, "share": float(v)}
        for name, s in zip(names, shown, strict=True)
        for label, v in zip(LABELS, s.shares, strict=True)
    ]
    st.vega_lite_chart(
        pd.DataFrame(rows),
        {
            "mark": {"type": "bar"},
            # The bars' own height, the axis labels and the legend below it (Streamlit's "fit" squeezed them
            # all into the chart's height, leaving the bars a sliver); the width fits the page.
            "height": 180,
            "autosize": {"type": "fit-x", "contains": "padding"},
            "encoding": {
                "x": {"field": "lesson", "type": "ordinal", "sort": None, "title": None, "axis": {"labelAngle": 0}},
                "y": share_axis("share of the faces", stack=True),
                "color": emotion_colors({"orient": "bottom", "columns": 4, "title": None}),
            },
        },
        width="stretch",
    )
