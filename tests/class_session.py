"""Drive the class page in a real Chromium that shares a real "video call" tab (run by test_class_browser.py).

Serves a call page (a gallery of real faces_wild photos, the shared face video playing in one
tile; tests/fixtures/galleries.py) and app.py on 127.0.0.1, opens the call in one tab and the app in
another, presses "Share the call" (Chromium picks the call's tab by its title, no dialog) and
records what the page shows: the size the server receives, the faces, the headline, the seats;
then downloads the report and CSVs, reloads, reflows the gallery, stops and switches modes.
Prints one JSON object. Run it in a private network namespace (``unshare -n``), as root.

    PYTHONPATH=. unshare -n python tests/class_session.py --rows 5 --cols 5 --width 1280 --height 720 --still 60
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import http.server
import io
import json
import re
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from browser import ROOT, ConsoleTail, launch_sharing, serve_app, stop_server

APP_PORT, CALL_PORT = 8611, 8612
VIDEO = ROOT.parent / "shared" / "data" / "video" / "short_hamilton_clip.mp4"


def serve_call(folder: Path, port: int = CALL_PORT) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def call_page(folder: Path, faces: int, video: bool = True) -> None:
    """The call's page in ``folder``: ``faces`` tiles of real photos, the last one playing the shared face
    video (``video=False``: photos only, without the video's conversion, which costs seconds)."""
    from tests.fixtures.galleries import CALL_TILES, write_call_page

    folder.mkdir(parents=True, exist_ok=True)
    webm = None
    if video:
        webm = folder / "singer.webm"  # Debian's Chromium plays WebM, not H.264
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-y", "-i", str(VIDEO), "-c:v", "libvpx", "-b:v", "1M", "-an", str(webm)],
            check=True,
        )
    write_call_page(folder, faces, CALL_TILES, video=webm)


class ClassPage:
    """What the app's class page shows, read from its DOM."""

    def __init__(self, page) -> None:
        self.page = page

    def text(self) -> str:
        return self.page.inner_text("body")

    def received(self) -> tuple[int, int] | None:
        found = re.search(r"Receiving (\d+)x(\d+)", self.text())
        return (int(found[1]), int(found[2])) if found else None

    def headline(self) -> str:
        return self.page.locator("h3").first.inner_text().strip()

    def faces(self) -> int:
        return int(self.page.get_by_test_id("stMetricValue").first.inner_text())

    def download(self, label: str, timeout_ms: float = 60_000, tries: int = 3) -> str:
        """The file behind a download button. A download the page cancels by drawing its button again
        while the file comes (the lesson's downloads are drawn once more, a few seconds after the first
        view) is asked for again, as a teacher would click again."""
        from playwright.sync_api import Error

        for attempt in range(tries):
            try:
                with self.page.expect_download(timeout=timeout_ms) as info:
                    self.page.get_by_role("button", name=label).click()
                return Path(info.value.path()).read_text(encoding="utf-8")
            except Error as err:
                if attempt == tries - 1 or "canceled" not in str(err):
                    raise
        raise AssertionError("unreachable")


def wait_for(check, timeout: float, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    return None


def seconds_until(check, timeout: float) -> float | None:
    """Seconds until ``check()`` holds, to a tenth; None if it did not within ``timeout``."""
    start = time.monotonic()
    return round(time.monotonic() - start, 1) if wait_for(check, timeout, 0.1) else None


def seats_of(seats_csv: str) -> dict[str, int]:
    """Seat -> frames its face was seen in, summed over the minutes, for the gallery's latest layout."""
    rows = list(csv.DictReader(io.StringIO(seats_csv)))
    latest = max((int(r["layout"]) for r in rows), default=0)
    seen: dict[str, int] = {}
    for row in rows:
        if int(row["layout"]) == latest:
            seen[row["seat"]] = seen.get(row["seat"], 0) + int(row["frames_seen"])
    return seen


def drive(args, downloads: Path, result: dict) -> None:
    """Fills ``result`` as it goes, so that a failure still tells how far it got."""
    from playwright.sync_api import sync_playwright

    result.update(layout=f"{args.rows}x{args.cols}", size=[args.width, args.height])
    with sync_playwright() as p:
        browser = launch_sharing(p)
        context = browser.new_context(accept_downloads=True)
        call = context.new_page()
        call.set_viewport_size({"width": args.width, "height": args.height})
        call.goto(f"http://127.0.0.1:{CALL_PORT}/index.html#{args.rows}x{args.cols}", wait_until="load")
        app = context.new_page()
        # The same size as the call's tab: a captured tab arrives at the size of the browser's window.
        app.set_viewport_size({"width": args.width, "height": args.height})
        app.goto(f"http://127.0.0.1:{APP_PORT}/", wait_until="domcontentloaded")
        page = ClassPage(app)
        console = ConsoleTail(app)
        try:
            # The teacher reads the page's notice first (once per browser session): it folds away.
            read = app.get_by_role("button", name="I have read this")
            read.wait_for(timeout=90_000)
            read.click()
            app.wait_for_function("!document.body.innerText.includes('Article 5(1)(f)')", polling=100, timeout=30_000)
            share = app.get_by_role("button", name="Share the call")
            # The page's run after the notice may leave the old share button a moment: one button, then click.
            wait_for(lambda: share.count() == 1, 90, 0.1)
            share.wait_for(timeout=90_000)
            clicked = time.monotonic()
            share.click()
            # The first annotated view: its caption says what size the server receives.
            app.wait_for_function("document.body.innerText.includes('Receiving ')", polling=20, timeout=60_000)
            result["seconds_to_first_view"] = round(time.monotonic() - clicked, 2)
            result["received"] = page.received()
            result["lesson_url"] = app.url
            # The gallery stands still: sample what the page shows once a second.
            time.sleep(args.settle)
            samples = []
            end = time.monotonic() + args.still
            while time.monotonic() < end:
                samples.append(
                    {
                        "headline": page.headline(),
                        "faces": page.faces(),
                        "received": page.received(),
                        "sharing": app.get_by_role("button", name="Stop sharing").count() > 0,
                    }
                )
                time.sleep(1)
            result["samples"] = samples
            result["console_tail"] = str(console)  # the share's stops say why there
            app.screenshot(path=str(downloads / "class-page.png"), full_page=False)
            seats_csv = page.download("Seats per minute (CSV)")
            result["seats"] = seats_of(seats_csv)
            result["class_rows"] = len(list(csv.DictReader(io.StringIO(page.download("Class per second (CSV)")))))
            report = page.download("Download the lesson report (HTML)")
            result["report_seat_rows"] = len(re.findall(r"<tr><td>[A-Z]+\d+</td><td>\d\d:\d\d:\d\d", report))
            result["report_has_gallery_changes"] = "Gallery changes" in report
            result["report_gallery_changes"] = re.findall(r"<li>[^<]*the gallery changed[^<]*</li>", report)

            if args.reflow:
                call.evaluate("([r, c]) => setLayout(r, c)", args.reflow)
                noticed = wait_for(lambda: "the seats were named afresh" in page.text(), 40)
                time.sleep(args.settle)
                result["reflow_noticed"] = bool(noticed)
                result["seats_after_reflow"] = seats_of(page.download("Seats per minute (CSV)"))
                report = page.download("Download the lesson report (HTML)")
                result["report_seat_rows_after_reflow"] = len(re.findall(r"<tr><td>[A-Z]+\d+</td><td>\d\d:", report))
                result["faces_after_reflow"] = page.faces()

            if args.faces_only:
                browser.close()
                return
            # A reload keeps the lesson (its code is in the address) and says truthfully that sharing stopped.
            app.reload(wait_until="domcontentloaded")
            app.get_by_role("button", name="Share the call").wait_for(timeout=60_000)
            result["after_reload"] = {
                "headline": wait_for(lambda: page.headline() if page.headline() == "Stopped" else None, 20),
                "faces": page.faces(),
                "url_kept": app.url == result["lesson_url"],
                "seats": len(seats_of(page.download("Seats per minute (CSV)"))),
            }

            # Share again, then STOP: the page says so and shows no faces.
            app.get_by_role("button", name="Share the call").click()
            wait_for(lambda: page.faces() > 0, 60)
            app.get_by_role("button", name="Stop sharing").click()
            stopped = wait_for(lambda: page.headline() == "Stopped" and page.faces() == 0, 20)
            result["after_stop"] = {
                "stopped": bool(stopped),
                "text_has_stopped": "Sharing stopped at" in page.text() and "go on with this lesson" in page.text(),
            }

            # Share again. While sharing, a switch to another mode is asked first: the teacher clicks Photo
            # and keeps sharing, several times (a frame's run of the share panel may race each click), then
            # switches. One click each, no second try: a click the page loses is a failure.
            app.get_by_role("button", name="Share the call").click()
            wait_for(lambda: page.faces() > 0, 60)
            modes = app.get_by_test_id("stSidebar")
            asked = app.get_by_role("button", name="Stop sharing and switch to Photo")
            rounds = result["switch_rounds"] = []
            for n in range(args.switch_rounds):
                switch = n == args.switch_rounds - 1
                modes.get_by_text("Photo", exact=True).click()
                rounds.append({"asked_s": seconds_until(lambda: asked.count() > 0, 20)})
                if rounds[-1]["asked_s"] is None:
                    break
                if switch:
                    asked.click()
                    done = seconds_until(lambda: app.get_by_text("A photo (").count() > 0, 30)
                else:
                    app.get_by_role("button", name="Keep sharing").click()
                    done = seconds_until(lambda: asked.count() == 0, 20)
                    time.sleep(1)
                    rounds[-1]["sharing"] = app.get_by_role("button", name="Stop sharing").count() > 0
                    rounds[-1]["class_page"] = app.get_by_text("A photo (").count() == 0
                rounds[-1]["switched_s" if switch else "kept_s"] = done
                if done is None:
                    break
            modes.get_by_text("Class", exact=True).click()
            app.get_by_text("Faces in view").first.wait_for(timeout=60_000)
            time.sleep(5)
            result["after_mode_switch"] = {
                "headline": page.headline(),
                "faces": page.faces(),
                "browser_sharing": app.get_by_role("button", name="Stop sharing").count() > 0,
            }
            browser.close()
        except Exception:
            # What the page showed when a step failed: the first thing to read in a failing run.
            with contextlib.suppress(Exception):
                result["page_text_at_error"] = page.text()[-3000:]
            raise


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5)
    parser.add_argument("--cols", type=int, default=5)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--still", type=float, default=60, help="seconds of a still gallery to watch")
    parser.add_argument(
        "--settle", type=float, default=15, help="seconds from the first view before the still part, and after a reflow"
    )
    parser.add_argument(
        "--reflow",
        type=lambda s: [int(v) for v in s.split("x")],
        default=None,
        help="after the still part, reflow the gallery to ROWSxCOLS",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the screenshot")
    parser.add_argument(
        "--switch-rounds", type=int, default=4, help="clicks on another mode while sharing: all but the last kept"
    )
    parser.add_argument("--faces-only", action="store_true", help="stop after the still part and the downloads")
    args = parser.parse_args()
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "call"
        call_page(folder, args.rows * args.cols)
        call_server = serve_call(folder)
        log = Path(tmp) / "streamlit.log"
        app = serve_app(APP_PORT, log, {})
        result: dict = {}
        try:
            args.out.mkdir(parents=True, exist_ok=True)
            drive(args, args.out, result)
        except Exception as err:  # noqa: BLE001 - reported with the server's log
            result["error"] = f"{type(err).__name__}: {err}"
        finally:
            stop_server(app)
            call_server.shutdown()
        result["server_log_tail"] = log.read_text()[-2000:]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
