"""The "Share the call" button: the browser captures a window, tab or screen and sends its frames.

A Streamlit v2 component: its markup and style here, its script in ``share.js`` beside this module
(an ES module handed to the component as it is: no front-end build). On the button's click the page
asks the browser for a display capture (``getDisplayMedia``: the teacher picks the call's window),
draws the captured video onto a canvas at its own size (at most 1920x1080) every ``1 / fps``
seconds and sends it as a JPEG over the page's own connection to the server: no WebRTC, so no
TURN server, and no encoder shrinking the picture. Frames leave the browser only for this server.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

HTML = """
<div class="share">
  <button id="share" type="button">Share the call</button>
  <button id="stop" type="button" hidden>Stop sharing</button>
  <span id="status" aria-live="polite">Not sharing.</span>
</div>
"""

CSS = """
.share { display: flex; gap: 0.75rem; align-items: center; font-family: var(--st-font); }
button { border: none; padding: 0.5rem 1rem; border-radius: var(--st-button-radius); cursor: pointer;
         background: var(--st-primary-color); color: white; font-size: 1rem; }
#stop { background: var(--st-red-color); }
#status { color: var(--st-text-color); }
"""

JS = Path(__file__).with_name("share.js").read_text(encoding="utf-8")

share_component = st.components.v2.component("share_the_call", html=HTML, css=CSS, js=JS)
