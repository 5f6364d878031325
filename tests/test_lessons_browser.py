"""End to end: a lesson outlives its server killed outright, and another server shows it and goes on with it.

A real PostgreSQL 15 (the ``postgres_server`` fixture) and two servers of the app (``streamlit run app.py``)
saving to it, each with a data folder of its own. In a real Chromium the teacher shares a "video call" tab
(a gallery of real faces_wild photos) on server A until the class page shows seats and the lesson's link;
A is killed (SIGKILL: no goodbye, no last save); the same link on server B shows the lesson from the
database, stopped, with its downloads holding the lesson up to the writer's last save; sharing again on B
goes on with the same lesson after a pause. Server A is started again, and while B still shares the call,
A's Lessons page (another tab) lists the lesson, opens it and deletes it: B's sharing tab says the lesson
was ended on another page and stops, and the database holds no row of it (B does not store it again).

The browser and both servers run in a private network namespace (``unshare -n``, as root, like
tests/test_class_browser.py): this file, run as a script there, drives them and prints one JSON object.
The servers reach the PostgreSQL server, which runs outside the namespace, over its unix socket.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from browser import launch_sharing
from browser import run_session as browser_run
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROWS, COLS, WIDTH, HEIGHT = 4, 4, 1280, 720  # the call's gallery and the tabs' size
TIMEZONE, ZONE = "Asia/Kolkata", timezone(timedelta(minutes=330))  # the teacher's clock (the browser's), not UTC
RUN_ON_A_S = 10.0  # the lesson goes on this long on server A once seats and link are shown
SAVED_WITHIN_S = 5.0  # a killed server's lesson is stored up to at most this long before the kill (saves: 2 s)
LINKS_KEY = "class-mood-lessons"  # the browser's list of its lessons (ui/lesson_links.js)
DOWNLOADS = ("Download the lesson report (HTML)", "Class per second (CSV)", "Seats per minute (CSV)")


# -- the database, read directly -------------------------------------------------------------------------------


def lesson_rows(url: str, code: str) -> dict[str, int]:
    """How many rows each table of the lessons database holds of the lesson of ``code`` (by its key)."""
    from fer.storage import tables

    key = tables.lesson_key(code)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            ids = select(tables.lessons.c.id).where(tables.lessons.c.key == key).scalar_subquery()
            counts = {"lessons": connection.execute(select(func.count()).where(tables.lessons.c.key == key)).scalar()}
            for table in tables.PARTS:
                counts[table.name] = connection.execute(
                    select(func.count()).select_from(table).where(table.c.lesson_id.in_(ids))
                ).scalar()
    finally:
        engine.dispose()
    return counts


def socket_url(tcp_url: str, folder: Path, port: int) -> str:
    """The same database reached over the server's unix socket in ``folder``: the only way in from
    another network namespace."""
    database = make_url(tcp_url).database
    url = URL.create("postgresql+psycopg", username="postgres", database=database, query={"host": str(folder)})
    return url.update_query_dict({"port": str(port)}).render_as_string(hide_password=False)


# -- the test, outside the namespace ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def session(postgres_server, tmp_path_factory) -> dict:
    url = postgres_server.create_database("lessons_e2e")
    out = tmp_path_factory.mktemp("lessons_browser")
    started = time.monotonic()
    result = browser_run(
        Path(__file__),
        [
            "--database",
            socket_url(url, postgres_server.folder, postgres_server.port),
            "--out",
            str(out),
        ],
        420,
        "server_logs",
    )
    print(
        f"\nlessons session: {time.monotonic() - started:.0f} s;",
        json.dumps({k: v for k, v in result.items() if k not in ("server_logs", "csv_a", "csv_b", "csv_after")}),
    )
    return result | {"url": url}


def test_the_killed_server_was_the_one_serving_the_lesson(session):
    killed = session["killed"]
    assert killed["cmdline_has_streamlit_run"] and killed["returncode"] == -signal.SIGKILL
    assert killed["healthy_before"] and not killed["healthy_after"]
    a = session["on_a"]
    assert a["faces"] >= ROWS * COLS - 2 and re.match(r"\d+ faces", a["headline"]), a


def test_the_other_server_shows_the_lesson_from_the_database_stopped(session):
    b = session["on_b"]
    assert b["url_kept"] and b["headline"] == "Stopped" and b["faces"] == 0
    # "Sharing stopped at HH:MM": the last stored frame's minute on the teacher's clock (the second row's
    # minute, or the next one when the frame came late in a second that ended a minute).
    assert b["stopped_at"] in b["stopped_at_expected"], b
    assert b["downloads_shown"] == list(DOWNLOADS)
    assert ROWS * COLS - 2 <= b["seats"] <= ROWS * COLS and b["seats"] >= session["on_a"]["faces"]
    assert b["report_seat_rows"] == b["seats"]


def test_the_stored_lesson_holds_its_seconds_up_to_the_last_save_before_the_kill(session):
    rows_a, rows_b = session["csv_a"], session["csv_b"]
    # What A's page gave shortly before the kill is what B gives from the database, second by second (but
    # the latest of each: still taking frames on A when one was read, or when the other was saved).
    both = min(len(rows_a), len(rows_b)) - 1
    assert both >= RUN_ON_A_S / 2 and rows_b[:both] == rows_a[:both]  # a row per second with frames: 1-2 a second
    b = session["on_b"]
    last_second_end = datetime.fromisoformat(b["last_second_ends"])
    killed_at = datetime.fromisoformat(session["killed"]["at"])
    assert last_second_end - timedelta(seconds=1) < killed_at  # no second after the kill
    assert killed_at - last_second_end <= timedelta(seconds=SAVED_WITHIN_S), (killed_at, last_second_end)


def test_sharing_again_on_the_other_server_goes_on_with_the_same_lesson_after_a_pause(session):
    from fer.classroom.lesson import PAUSE_S

    after = session["after_resume"]
    assert after["url_kept"] and after["faces"] >= ROWS * COLS - 2
    rows_b, rows = session["csv_b"], session["csv_after"]
    assert rows[: len(rows_b)] == rows_b  # the same lesson: its stored seconds kept as they were, the same clock
    seconds = [int(r["second"]) for r in rows]
    gaps = [b - a for a, b in zip(seconds, seconds[1:], strict=False)]
    assert max(gaps) > PAUSE_S and sum(g > PAUSE_S for g in gaps) == 1, gaps
    assert len(seconds) - 1 - gaps.index(max(gaps)) >= 3  # seconds after the pause
    # The report lists the one pause, from A's last frame to B's first, and its timeline breaks there.
    (pause,) = after["report_pauses"]
    killed = datetime.fromisoformat(session["killed"]["at"]).astimezone(ZONE)
    assert pause[0] <= f"{killed:%H:%M:%S}" <= pause[1], (pause, killed)
    assert after["report_timeline_parts"] == 2 and after["report_frames"] > session["on_b"]["report_frames"]


def test_the_lessons_page_lists_opens_and_deletes_it_from_the_database(session):
    listed = session["lessons_page"]
    assert session["restarted_a"]["healthy"]
    # Named by its start on the teacher's clock, its length and its line: "2026-12-02 20:06 · 38 s · 16 faces · ..."
    assert re.fullmatch(re.escape(listed["option_expected"]) + r"[0-9a-z ]+ · \d+ faces · .+", listed["option"]), listed
    # Opened on A while B shares it: shown from the database (live while B's frames keep coming: B's line).
    assert listed["opened"]["url_kept"] and listed["opened"]["headline"], listed["opened"]
    # Asked first: the lesson is still stored while the question stands.
    assert listed["asked_first"] and listed["rows_while_asked"]["lessons"] == 1
    assert listed["rows_while_asked"]["lesson_seconds"] > 0 and listed["rows_while_asked"]["seat_minutes"] > 0
    assert listed["gone_from_list"] and listed["code_left_in_browser"] is False
    assert listed["link_after_delete_says_none_stored"], listed
    # Read here, outside the namespace, over TCP, after B had rounds to save it again: no row is left in any table.
    rows = lesson_rows(session["url"], session["code"])
    assert set(rows) == set(listed["rows_while_asked"]) and not any(rows.values()), rows


def test_the_server_sharing_a_lesson_deleted_elsewhere_stops_and_says_so(session):
    ended = session["ended_on_b"]
    assert ended["told"] and ended["lesson_left_the_address"], ended
    assert ended["headline"] == "Stopped" and not ended["receiving"], ended
    assert not any(ended["rows_after"].values()), ended  # B's writer, rounds after, stored none of it again


# -- the session, inside the namespace (``python tests/test_lessons_browser.py``) --------------------------------


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


def read_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def download(page, label: str, tries: int = 3) -> str:
    """A download, clicked again if a redraw of its button swallowed the click."""
    for attempt in range(tries):
        try:
            return page.download(label, timeout_ms=20_000)
        except Exception:  # playwright's TimeoutError: the click lost in a redraw
            if attempt == tries - 1:
                raise
    raise AssertionError("unreachable")


def report_facts(report: str) -> dict:
    frames = re.search(r"(\d+) frames analysed over", report)
    return {
        "report_frames": int(frames[1]) if frames else None,
        "report_seat_rows": len(re.findall(r"<tr><td>[A-Z]+\d+</td><td>\d\d:\d\d:\d\d", report)),
        "report_pauses": re.findall(r"<li>(\d\d:\d\d:\d\d)&ndash;(\d\d:\d\d:\d\d) \([^)]*\)</li>", report),
        # The timeline is drawn in one part per stretch watched, each of seven areas, one per emotion.
        "report_timeline_parts": report.count("<polygon") // 7,
    }


def read_notice(app) -> None:
    """The page's notice, read once per browser session: it folds away."""
    read = app.get_by_role("button", name="I have read this")
    read.wait_for(timeout=90_000)
    read.click()
    app.wait_for_function("!document.body.innerText.includes('Article 5(1)(f)')", polling=100, timeout=30_000)


def press_share(app) -> None:
    from class_session import wait_for

    share = app.get_by_role("button", name="Share the call")
    # A run after the notice may leave the old share button a moment: one button, then click.
    wait_for(lambda: share.count() == 1, 90, 0.1)
    share.click()
    app.wait_for_function("document.body.innerText.includes('Receiving ')", polling=50, timeout=60_000)


def choose_mode(app, mode: str, shown, tries: int = 3) -> None:
    """Choose ``mode`` in the sidebar until ``shown()``: the click's run can be lost in a race with the class
    page's timed runs (a teacher clicks again)."""
    from class_session import wait_for

    for _ in range(tries):
        app.get_by_test_id("stSidebar").get_by_text(mode, exact=True).click()
        if wait_for(shown, 15, 0.2):
            return
    raise TimeoutError(f"{mode} was chosen {tries} times and did not show")


def browser_codes(app) -> list[str]:
    """The codes of the lessons the browser keeps for the page's origin (its localStorage)."""
    return json.loads(app.evaluate("key => window.localStorage.getItem(key)", LINKS_KEY) or "[]")


def shown_headline(page) -> str:
    """The class page's headline, or "" while the page shows none (another mode, a run drawing)."""
    with contextlib.suppress(Exception):
        return page.headline() if page.page.locator("h3").count() else ""
    return ""


def address(app) -> str:
    """The page's address now (``page.url`` is brought up to date only while Playwright is called)."""
    return app.evaluate("() => window.location.href")


def lesson_code(url: str) -> str | None:
    found = re.search(r"[?&]lesson=([A-Za-z0-9_-]{22})", url)
    return found[1] if found else None


def drive(args, ports: dict[str, int], servers: dict, result: dict, restart_a) -> None:
    from browser import wait_idle
    from class_session import ClassPage, seats_of, wait_for
    from playwright.sync_api import sync_playwright

    from fer.classroom.lesson import PAUSE_S

    a_url, b_url = (f"http://127.0.0.1:{ports[s]}" for s in ("a", "b"))
    viewport = {"width": WIDTH, "height": HEIGHT}
    with sync_playwright() as p:
        browser = launch_sharing(p)
        context = browser.new_context(accept_downloads=True, timezone_id=TIMEZONE, viewport=viewport)
        call = context.new_page()
        call.goto(f"http://127.0.0.1:{ports['call']}/index.html#{ROWS}x{COLS}", wait_until="load")
        page = ClassPage(context.new_page())
        began = time.monotonic()

        def step(name: str) -> None:  # how far it got, and when (seconds from the browser's start)
            result["step"] = name
            result.setdefault("steps", {})[name] = round(time.monotonic() - began, 1)

        step("share on A")
        try:
            # 1. On server A: share the call until the page shows seats and the lesson's link.
            page.page.goto(f"{a_url}/", wait_until="domcontentloaded")
            read_notice(page.page)
            press_share(page.page)
            seated = wait_for(lambda: lesson_code(page.page.url) and page.faces() >= ROWS * COLS - 2, 90, 0.25)
            assert seated, f"no seats and link on A: {page.page.url}, {page.faces()} faces"
            code = result["code"] = lesson_code(page.page.url)
            seats_at = time.monotonic()
            wait_for(lambda: time.monotonic() - seats_at >= RUN_ON_A_S, RUN_ON_A_S + 5)
            result["on_a"] = {
                "headline": page.headline(),
                "faces": page.faces(),
                "seconds_after_seats": round(time.monotonic() - seats_at, 1),
                "noted_at": datetime.now(UTC).isoformat(),
            }
            page.page.screenshot(path=str(args.out / "1-class-page-on-a.png"))
            result["csv_a"] = read_csv(download(page, "Class per second (CSV)"))

            # 2. Kill server A outright: no last save, no goodbye to the browser.
            step("kill A")
            server_a = servers["a"]
            cmdline = Path(f"/proc/{server_a.pid}/cmdline").read_bytes().split(b"\0")
            killed = {
                "cmdline_has_streamlit_run": b"streamlit" in cmdline and b"run" in cmdline,
                "healthy_before": healthy(ports["a"]),
            }
            killed["at"] = datetime.now(UTC).isoformat()
            os.kill(server_a.pid, signal.SIGKILL)
            killed["returncode"] = server_a.wait(timeout=30)
            killed["healthy_after"] = healthy(ports["a"])
            result["killed"] = killed
            killed_at = datetime.fromisoformat(killed["at"])
            page.page.close()  # its share ends with it

            # 3. The same link on server B: the lesson from the database, stopped, with its downloads.
            step("open on B")
            page = ClassPage(context.new_page())
            page.page.goto(f"{b_url}/?lesson={code}", wait_until="domcontentloaded")
            read_notice(page.page)
            page.page.get_by_text("Sharing stopped at").first.wait_for(timeout=30_000)
            wait_idle(page.page)
            stopped_at = re.search(r"Sharing stopped at (\d\d:\d\d) \(the page", page.text())
            page.page.screenshot(path=str(args.out / "2-stored-lesson-on-b.png"))
            rows_b = read_csv(download(page, "Class per second (CSV)"))
            report = download(page, "Download the lesson report (HTML)")
            Path(args.out / "report-on-b.html").write_text(report)
            started = stored_start(args.database, code)
            last = int(rows_b[-1]["second"]) if rows_b else 0
            last_clock = started + timedelta(seconds=last)
            result["csv_b"] = rows_b
            result["on_b"] = {
                "url_kept": lesson_code(page.page.url) == code,
                "headline": page.headline(),
                "faces": page.faces(),
                "stopped_at": stopped_at[1] if stopped_at else None,
                "stopped_at_expected": sorted(
                    {f"{(last_clock + timedelta(seconds=s)).astimezone(ZONE):%H:%M}" for s in (0, 1)}
                ),
                "downloads_shown": [d for d in DOWNLOADS if page.page.get_by_role("button", name=d).count() == 1],
                "seats": len(seats_of(download(page, "Seats per minute (CSV)"))),
                "last_second_ends": (last_clock + timedelta(seconds=1)).isoformat(),
                **report_facts(report),
            }

            # 4. Share again on B, once a pause has passed since A's last frame: the lesson goes on.
            step("share again on B")
            wait_for(lambda: datetime.now(UTC) > killed_at + timedelta(seconds=PAUSE_S + 1), PAUSE_S + 5, 0.2)
            press_share(page.page)
            wait_for(lambda: page.faces() >= ROWS * COLS - 2, 60, 0.25)
            shared_at = time.monotonic()
            wait_for(lambda: time.monotonic() - shared_at >= 5, 10)
            page.page.screenshot(path=str(args.out / "3-going-on-on-b.png"))
            with contextlib.suppress(Exception):  # the page's timeline, for a look: the lesson's clock, with the pause
                charts = page.page.get_by_test_id("stVegaLiteChart")
                charts.nth(charts.count() - 1).screenshot(path=str(args.out / "3-timeline-on-b.png"), timeout=5_000)
            report = download(page, "Download the lesson report (HTML)")
            Path(args.out / "report-after.html").write_text(report)
            result["csv_after"] = read_csv(download(page, "Class per second (CSV)"))
            result["after_resume"] = {
                "url_kept": lesson_code(page.page.url) == code,
                "faces": page.faces(),
                **report_facts(report),
            }

            # 5. Server A again, and in another tab its Lessons page (this browser's list on A's origin: the
            # lesson was opened there), while B's tab still shares the call: list, open, delete.
            step("restart A")
            servers["a"] = restart_a()
            result["restarted_a"] = {"healthy": healthy(ports["a"])}
            step("lessons page on A")
            app = context.new_page()
            app.goto(f"{a_url}/", wait_until="domcontentloaded")
            read_notice(app)
            chosen = app.get_by_role("combobox", name="Lesson")
            choose_mode(app, "Lessons", lambda: chosen.count() == 1)
            listed = {}
            # The lesson to choose, as the list names it: its start on the teacher's clock and its line.
            option = f"{stored_start(args.database, code).astimezone(ZONE):%Y-%m-%d %H:%M} · "
            wait_for(lambda: chosen.count() and chosen.input_value(), 60, 0.25)
            listed["option"] = chosen.input_value() if chosen.count() else None
            listed["option_expected"] = option
            wait_idle(app)
            app.screenshot(path=str(args.out / "4-lessons-page-on-b.png"))
            app.get_by_role("button", name="Open it on the class page").click()
            opened = ClassPage(app)
            live = ("", "Stopped")  # not yet drawn, or not B's live line
            wait_for(lambda: lesson_code(address(app)) == code and shown_headline(opened) not in live, 30, 0.25)
            listed["opened"] = {"url_kept": lesson_code(address(app)) == code, "headline": shown_headline(opened)}
            app.screenshot(path=str(args.out / "5-shared-on-b-seen-on-a.png"))
            choose_mode(app, "Lessons", lambda: chosen.count() == 1)
            app.get_by_role("button", name="Delete it").click(timeout=60_000)
            asked = app.get_by_text(re.compile(r"Delete the lesson of .*for good"))
            listed["asked_first"] = bool(wait_for(lambda: asked.count() == 1, 30, 0.2))
            listed["rows_while_asked"] = lesson_rows(args.database, code)
            app.get_by_role("button", name="Delete the lesson").click()
            none = "No saved lesson has been opened in this browser yet"
            listed["gone_from_list"] = bool(wait_for(lambda: none in opened.text(), 30, 0.25))
            listed["code_left_in_browser"] = not wait_for(lambda: code not in browser_codes(app), 15, 0.2)

            # 6. B's tab, still sharing: told that the lesson was ended elsewhere; the share stops.
            step("ended on B")
            told = "This lesson was ended on another page"
            page.page.bring_to_front()  # the teacher looks at it
            ended = {"told": bool(wait_for(lambda: told in page.text(), 45, 0.25))}
            page.page.screenshot(path=str(args.out / "6-ended-on-b.png"))
            ended["lesson_left_the_address"] = lesson_code(page.page.url) is None
            wait_for(lambda: shown_headline(page) == "Stopped", 15, 0.25)
            ended["headline"] = shown_headline(page)
            ended["receiving"] = "Receiving " in page.text()
            waited = time.monotonic()  # B's writer has rounds to store it again, if it would
            wait_for(lambda: time.monotonic() - waited >= 6, 10)
            ended["rows_after"] = lesson_rows(args.database, code)
            result["ended_on_b"] = ended

            # The link on A: no lesson left, in the database or in the server's memory.
            app.goto(f"{a_url}/?lesson={code}", wait_until="domcontentloaded")
            gone = "No lesson is stored under that link"
            listed["link_after_delete_says_none_stored"] = bool(wait_for(lambda: gone in opened.text(), 60, 0.25))
            if not listed["link_after_delete_says_none_stored"]:
                listed["link_after_delete_text"] = opened.text()[-2000:]
                listed["link_after_delete_rows"] = lesson_rows(args.database, code)
            result["lessons_page"] = listed
            step("done")
            result.pop("step")
            browser.close()
        except Exception:
            with contextlib.suppress(Exception):
                result["page_text_at_error"] = page.text()[-3000:]
                page.page.screenshot(path=str(args.out / "error.png"))
            raise


def stored_start(url: str, code: str) -> datetime:
    """When the lesson of ``code`` began (UTC), as stored: the seconds of its CSV count from it."""
    from fer.storage import tables

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            key = tables.lesson_key(code)
            started = connection.execute(select(tables.lessons.c.started).where(tables.lessons.c.key == key)).scalar()
    finally:
        engine.dispose()
    return started.astimezone(UTC)


def main() -> int:
    from browser import serve_app, stop_server
    from class_session import call_page, serve_call

    from tests.fixtures.postgres import free_port

    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True, help="the PostgreSQL URL both servers save to")
    parser.add_argument("--out", type=Path, required=True, help="folder for the screenshots and reports")
    args = parser.parse_args()
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    result: dict = {}
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "call"
        call_page(folder, ROWS * COLS, video=False)
        ports = {"a": free_port(), "b": free_port(), "call": free_port()}
        call_server = serve_call(folder, ports["call"])
        logs = {s: Path(tmp) / f"streamlit-{s}.log" for s in ("a", "b", "a-again")}

        def serve(name: str, log: str | None = None):
            data = Path(tmp) / f"data-{name}"  # each server's own data folder: the database is the only thing shared
            env = {"DATABASE_URL": args.database, "FER_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1"}
            return serve_app(ports[name], logs[log or name], env)

        servers: dict = {}
        try:
            with ThreadPoolExecutor(2) as pool:  # both start at once: each takes seconds
                starting = {name: pool.submit(serve, name) for name in ("a", "b")}
            for name, future in starting.items():
                with contextlib.suppress(Exception):
                    servers[name] = future.result()
            for future in starting.values():
                future.result()  # raises what made a server fail, once both started ones are known to stop them
            result["setup_s"] = round(time.monotonic() - began, 1)  # the call's page and both servers
            drive(args, ports, servers, result, lambda: serve("a", "a-again"))
        except Exception as err:  # noqa: BLE001 - reported with the servers' logs
            result["error"] = f"{type(err).__name__}: {err}"
        finally:
            for server in servers.values():
                if server.poll() is None:
                    stop_server(server)
            call_server.shutdown()
        result["server_logs"] = {s: log.read_text()[-1500:] for s, log in logs.items() if log.exists()}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":  # run as a script, its folder is on the path: browser.py and class_session.py
    raise SystemExit(main())
