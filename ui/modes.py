"""The page's mode (class, lessons, live camera, photo, video): chosen in the sidebar, kept by the server.

The mode lives in the session (``st.session_state[MODE]``); the selector shows it. A change the server
makes while the class page's share panel runs for each frame (a switch asked for and answered) draws the
selector afresh under a new key rather than setting its value: a panel's run that the browser sent before
the change reached it carries the selector's old value, which would undo the change; the old selector's
value, sent late, names a selector no longer on the page and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

MODE = "mode"  # the session's key of the mode the page shows
_SELECTOR = "mode_selector"  # how many times the selector was drawn afresh


def choose_mode(modes: Sequence[str], ask_first: Callable[[str], bool]) -> str:
    """The sidebar's mode selector and the mode the page shows. ``ask_first(chosen)``: whether a choice is
    only asked for, not taken (it puts the question to the teacher; :func:`go_to` takes the answer)."""
    if st.session_state.get(MODE) not in modes:
        st.session_state[MODE] = modes[0]
    key = _key()

    def picked() -> None:
        chosen = st.session_state[key]
        if ask_first(chosen):
            _redraw()  # the selector shows the page's mode again, until the teacher answers
        else:
            st.session_state[MODE] = chosen

    mode = st.session_state[MODE]
    st.sidebar.radio("Mode", modes, index=list(modes).index(mode), horizontal=True, key=key, on_change=picked)
    return mode


def go_to(mode: str, afresh: bool = False) -> None:
    """Show ``mode`` from the page's next run on, the selector with it (in a callback). ``afresh``: the
    selector is drawn under a new key, for a change made while the share panel's runs race the page's."""
    st.session_state[MODE] = mode
    if afresh:
        _redraw()
    else:
        st.session_state[_key()] = mode


def current_mode(default: str) -> str:
    return st.session_state.get(MODE, default)


def _key() -> str:
    return f"{_SELECTOR}_{st.session_state.get(_SELECTOR, 0)}"


def _redraw() -> None:
    st.session_state[_SELECTOR] = st.session_state.get(_SELECTOR, 0) + 1
