"""What the class page tells the teacher before they use it, and what they can tell the class.

Emotion recognition of students is contested, and in the EU the AI Act (Article 5(1)(f), applying
since 2 February 2025) prohibits systems that infer the emotions of people in education institutions,
except for medical or safety reasons. The page does not decide the law; it makes its use informed:
a notice to the teacher until they have read it, the privacy text, and a message to paste into the
call's chat so that the students know and can say no.
"""

from __future__ import annotations

import streamlit as st

FIRST_RUN = """**Before you share a class: what this page does, and where it may be used.**
It estimates the **expression** on each face in the shared call (angry, disgust, fear, happy, sad,
surprise, neutral) and sums them for the class. An expression is not a feeling: a frown may be
concentration, a neutral face may be bored or absorbed, and the model is wrong on about one face in
three in real calls. Use it as a hint about the class, never as a judgement of a student.
**The law:** in the EU, the AI Act (Article 5(1)(f), applying since 2 February 2025) prohibits
inferring the emotions of people in education institutions, except for medical or safety reasons.
Check with your institution before using it with students; where it is not allowed, do not use it.
**Consent:** tell the class before you share, with the message below, and stop if a student objects."""

CHAT_TEXT = (
    "This lesson uses Class mood: the teacher's screen share of this call is analysed to estimate the "
    "facial expressions of the class as a whole (not feelings, and not a judgement of anyone). No picture "
    "or video is stored; only numbers per seat and per minute, kept for this lesson. If you do not want "
    "to be included, turn your camera off or tell the teacher, and they will stop."
)

PRIVACY = """**What Class mood does with the call.** While the teacher shares the call, this page
sends the picture of the call to the teacher's Class mood server once or twice a second. There the
faces in it are found and the emotion of each face's expression (angry, disgust, fear, happy, sad,
surprise, neutral) is estimated by a model. Pictures and faces are analysed in memory and then
dropped: **no picture, video or face is stored, and nothing is sent anywhere else.** What the
server keeps is numbers: per second, how many faces and the share of each emotion; per seat in the
gallery (like "B3"), its estimated mood per minute. They are kept in the server's lessons database
until the teacher ends the lesson, and at most 30 days, and leave the server only when the teacher
downloads the report or the CSV files. An estimate from a face is not a measure of what anyone feels."""

# Presence only (the operator's setting FER_PRESENCE_ONLY): no expression is estimated anywhere.
FIRST_RUN_PRESENCE = """**Before you share a class: what this page does.** This server runs in
**presence-only mode**, set by its operator: it finds the faces in the shared call, gives each its seat
in the gallery, and counts cameras on and off and each seat's time on camera. It estimates **no
expression or emotion**, on any page or in any download. **Consent:** tell the class before you share,
with the message below."""

CHAT_TEXT_PRESENCE = (
    "This lesson uses Class mood in presence-only mode: the teacher's screen share of this call is analysed "
    "to count the faces on camera and each seat's time on camera. No expression or emotion is estimated, and "
    "no picture or video is stored. If you do not want to be included, turn your camera off or tell the teacher."
)

PRIVACY_PRESENCE = """**What Class mood does with the call (presence only).** While the teacher shares
the call, this page sends its picture to the teacher's Class mood server once or twice a second. There
the faces in it are found and given their seats in the gallery (like "B3"); **no expression or emotion
is estimated**. Pictures and faces are analysed in memory and then dropped: no picture, video or face is
stored, and nothing is sent anywhere else. What the server keeps is numbers: per second, how many faces;
per seat, when its face was seen. They are kept until the teacher ends the lesson, and at most 30 days."""


def read_notice() -> None:
    st.session_state["notice_read"] = True


def class_notices(presence: bool = False) -> None:
    """The notice until the teacher has read it in this browser session; the chat message and the privacy
    text always, folded in the sidebar (the page itself is kept for the call's view). ``presence``: the
    server is in presence-only mode, and they say so."""
    # One container whether or not the notice is in it: the share panel below keeps its place on the page
    # (a fragment that moves when elements above it come and go leaves its old copy behind a while).
    notice = st.container()
    if not st.session_state.get("notice_read"):
        with notice:
            st.info(FIRST_RUN_PRESENCE if presence else FIRST_RUN)
            st.button("I have read this", key="notice_button", on_click=read_notice)
    with st.sidebar.expander("A message for the call's chat (tell the class before you share)"):
        st.code(CHAT_TEXT_PRESENCE if presence else CHAT_TEXT, language=None, wrap_lines=True)
    with st.sidebar.expander("Privacy: what is analysed and what is kept (to show the class)"):
        st.markdown(PRIVACY_PRESENCE if presence else PRIVACY)
