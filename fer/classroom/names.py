"""Names that follow their students: a name the teacher typed for a seat goes where that student's face goes.

A call reflows its gallery when someone joins or leaves: the students move to other tiles, and a
lesson names its seats afresh (:meth:`fer.classroom.lesson.Lesson.add` drops the names then, so that
no name lands on another student). And a call that keeps its grid when one participant leaves moves
everyone after them one tile on. :class:`NameKeeper` keeps, for each typed name, a small template
of that student's face (the middle of the face, 20x20 gray: in this session's memory
only, never stored or sent), checks each frame that the face in the named seat is still that face,
and gives a name whose face was seen elsewhere to that face's seat. A name moves only on a clear
match (a normalised correlation of at least :data:`SAME`, searched over small shifts and three
scales, and the best by :data:`MARGIN` over any other face); a seat whose face is clearly another
student's (below :data:`OTHER` in two frames in a row) loses its name, which waits for its face.

The thresholds were chosen on the labelled call galleries (faces_wild photos): there the same face
scored 0.86-0.98 with the detector's box shifted or scaled by 10% or the tile 40% smaller, and two
different people at most 0.81; ``tests/test_names.py`` checks the separation on one gallery.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from fer.faces import Box, Face

SIDE = 20  # a template's side in pixels
INNER = 0.6  # the template is the middle of the face box: this share of its side
AROUND = 1.4  # a face is searched for in its box grown to this many times its side
SCALES = (0.9, 1.0, 1.1)
SAME = 0.85  # a face at least this like a name's template is that student's...
MARGIN = 0.04  # ...when no other face comes within this of it
OTHER = 0.7  # a named seat's face below this is another student's
REFRESH = 0.92  # a face this like its template renews it (light and pose drift over a lesson)


def face_template(gray: np.ndarray, box: Box) -> np.ndarray | None:
    """The middle of the face in ``box``, SIDE x SIDE; None for a box too small or outside."""
    x, y, w, h = box
    m = (1 - INNER) / 2
    middle = gray[max(0, int(y + m * h)) : int(y + (1 - m) * h), max(0, int(x + m * w)) : int(x + (1 - m) * w)]
    if min(middle.shape[:2], default=0) < 8:
        return None
    return cv2.resize(middle, (SIDE, SIDE), interpolation=cv2.INTER_AREA)


def likeness(gray: np.ndarray, box: Box, template: np.ndarray) -> float:
    """How like ``template`` the face in ``box`` is: the best normalised correlation over small shifts and
    :data:`SCALES` (-1..1)."""
    x, y, w, _ = box
    cx, cy, half = x + w / 2, y + w / 2, AROUND * w / 2
    region = gray[max(0, int(cy - half)) : int(cy + half), max(0, int(cx - half)) : int(cx + half)]
    best = -1.0
    for scale in SCALES:
        f = SIDE / INNER * scale / w  # the template's pixels per frame pixel at this scale
        if min(region.shape[:2]) * f < SIDE:
            continue
        seen = cv2.resize(region, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        best = max(best, float(cv2.matchTemplate(seen, template, cv2.TM_CCOEFF_NORMED).max()))
    return best


class NameKeeper:
    """The typed names of one shared call's lesson, following their faces. Not thread-safe: one per session."""

    def __init__(self) -> None:
        self._templates: dict[str, np.ndarray] = {}  # name -> its student's face
        self._waiting: set[str] = set()  # names whose face is not in a seat of theirs now
        self._misses: dict[str, int] = {}  # name -> frames in a row its seat showed another face
        self._names: dict[str, str] = {}  # seat -> name, as this keeper last left them
        self._layout = 0

    def follow(self, gray: np.ndarray, faces: Sequence[Face], names: dict[str, str], layout: int) -> dict[str, str]:
        """The names (seat -> name) after this frame, from the lesson's ``names`` now and its ``layout``
        number: a name whose face moved goes with it; one whose seat shows another student waits."""
        if layout != self._layout:  # the seats were named afresh: every name waits for its face
            self._waiting |= set(self._names.values())
            self._layout = layout
        else:  # a name the teacher took away is forgotten; a new one is learnt from its seat's face
            for name in set(self._names.values()) - set(names.values()):
                self._forget(name)
        seated = [f for f in faces if f.seat is not None]
        by_seat = {f.seat: f for f in seated}
        wanted: dict[str, tuple[str, float]] = {}  # name -> the seat it goes to, and how sure
        for seat, name in names.items():
            self._waiting.discard(name)
            face, known = by_seat.get(seat), self._templates.get(name)
            if known is None:  # a new name: its student's face learnt
                if face is not None:
                    self._learn(name, gray, face.box)
                wanted[name] = (seat, 1.0)
                continue
            score = likeness(gray, face.box, known) if face is not None else -1.0  # no face: camera off, or missed
            if score >= REFRESH:
                self._learn(name, gray, face.box)
            if score < SAME:  # not clearly its student: seen in another seat?
                other, there = self._best(gray, [f for f in seated if f.seat != seat], known)
                if other is not None and there >= SAME and there - score >= MARGIN:
                    wanted[name] = (other.seat, there)
                    continue
            if face is None:  # and not seen elsewhere: the name stays with its seat
                wanted[name] = (seat, 0.0)
                continue
            self._misses[name] = self._misses.get(name, 0) + 1 if score < OTHER else 0
            if self._misses[name] >= 2:  # another student sits there now: the name waits for its face
                self._waiting.add(name)
                continue
            wanted[name] = (seat, score)
        result: dict[str, str] = {}
        for name, (seat, _) in sorted(wanted.items(), key=lambda kv: -kv[1][1]):  # the surest first
            if seat in result:
                self._waiting.add(name)
            else:
                result[seat] = name
        self._seat_waiting(gray, [f for f in seated if f.seat not in result], result)
        self._names = dict(result)
        return result

    def _best(self, gray: np.ndarray, faces: list[Face], template: np.ndarray) -> tuple[Face | None, float]:
        """The face most like ``template``, and how like."""
        scores = [likeness(gray, f.box, template) for f in faces]
        return (faces[int(np.argmax(scores))], max(scores)) if scores else (None, -1.0)

    def _learn(self, name: str, gray: np.ndarray, box: Box) -> None:
        template = face_template(gray, box)
        if template is not None:
            self._templates[name] = template

    def _seat_waiting(self, gray: np.ndarray, free: list[Face], names: dict[str, str]) -> None:
        """Give each waiting name the free seat whose face is clearly its student's."""
        waiting = [n for n in self._waiting if n in self._templates]
        if not waiting or not free:
            return
        scores = np.array([[likeness(gray, f.box, self._templates[n]) for f in free] for n in waiting])
        for i, name in enumerate(waiting):
            j = int(scores[i].argmax())
            others = np.delete(scores[:, j], i)  # the other names' likeness to this face
            rivals = np.delete(scores[i], j)  # this name's likeness to the other faces
            best = scores[i, j]
            if best >= SAME and all(best - v >= MARGIN for v in (*others, *rivals)):
                names[free[j].seat] = name
                self._waiting.discard(name)
                self._misses[name] = 0

    def _forget(self, name: str) -> None:
        self._templates.pop(name, None)
        self._misses.pop(name, None)
        self._waiting.discard(name)
