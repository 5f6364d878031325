"""Charts of emotion shares, in each emotion's overlay colour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from fer.labels import HEX, LABELS
from fer.video.mood import MoodTimeline

COLORS = [HEX[label] for label in LABELS]  # in label order, as the charts' colour ranges take them


def emotion_colors(legend: dict | None) -> dict:
    """A Vega-Lite colour encoding of the field ``emotion``: each emotion in its overlay colour."""
    return {"field": "emotion", "scale": {"domain": list(LABELS), "range": COLORS}, "legend": legend}


def share_axis(title: str, **more) -> dict:
    """A Vega-Lite encoding of the field ``share`` as a percentage from 0 to 100%."""
    return {
        "field": "share",
        "type": "quantitative",
        "title": title,
        "axis": {"format": "%"},
        "scale": {"domain": [0, 1]},
        **more,
    }


def distribution_chart(shares: np.ndarray, title: str = "share of the faces", height: int = 210) -> None:
    """Horizontal bars, one per emotion in label order and colour; ``shares`` is ``(7,)``."""
    data = pd.DataFrame({"emotion": list(LABELS), "share": np.asarray(shares, float)})
    st.vega_lite_chart(
        data,
        {
            "mark": "bar",
            "height": height,
            "encoding": {
                "y": {
                    "field": "emotion",
                    "type": "nominal",
                    "sort": list(LABELS),
                    "title": None,
                    "axis": {"labelOverlap": False},
                },
                "x": share_axis(title),
                "color": emotion_colors(legend=None),
            },
        },
    )


def timeline_chart(mood: MoodTimeline, last_s: int | None = None, x_label: str = "second") -> bool:
    """Stacked shares per second (seconds without faces left out); False if there is too little to draw."""
    rows = [r for r in mood.seconds() if r.faces > 0]
    if last_s is not None and rows:
        rows = [r for r in rows if r.second > rows[-1].second - last_s]
    if len(rows) < 2:
        return False
    table = pd.DataFrame(
        [r.shares for r in rows], columns=list(LABELS), index=pd.Index([r.second for r in rows], name="second")
    )
    st.area_chart(table, color=COLORS, height=220, y_label="share", x_label=x_label, stack=True)
    return True
