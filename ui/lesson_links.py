"""The lessons this browser has opened, kept in the browser (its ``localStorage``), never listed by the server.

A lesson's link (``?lesson=<code>``) is the only key to it: the server never lists the lessons it
holds. The browser keeps the codes of the lessons it has opened, and the Lessons page asks the server
about exactly those. A Streamlit v2 component with no markup of its own: its script (``lesson_links.js``)
adds or forgets a code and returns the list.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from fer.classroom.lesson_store import CODE

JS = Path(__file__).with_name("lesson_links.js").read_text(encoding="utf-8")

_links = st.components.v2.component("lesson_links", html="<span hidden></span>", js=JS)


def lesson_links(add: str | None = None, remove: str | None = None) -> list[str]:
    """The codes of the lessons this browser has opened, newest first, after adding ``add`` and
    forgetting ``remove``. Empty until the browser has answered (the first run of a page)."""
    result = _links(
        data={"add": add if add and CODE.fullmatch(add) else None, "remove": remove},
        key="lesson_links",
        on_codes_change=lambda: None,
    )
    codes = getattr(result, "codes", None)
    return [c for c in codes if isinstance(c, str) and CODE.fullmatch(c)] if isinstance(codes, list) else []
