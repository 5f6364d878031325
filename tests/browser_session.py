"""Drive the live page in a real Chromium over a real WebRTC connection (run by test_browser.py).

Must run as root inside a fresh network namespace (``unshare -n``): it brings up loopback and a
veth pair, serves app.py with Streamlit on 127.0.0.1, opens its live camera mode in Chromium
whose fake webcam plays a real face video, presses START and measures what comes back; then
presses START and STOP ``--cycles`` times and records the server's threads and memory. Prints
one JSON object with the observations.

    unshare -n python tests/browser_session.py VIDEO.mjpeg SCREENSHOT.png [--cycles 20]
"""

from __future__ import annotations

import argparse
import json
import re
import time
import traceback
from collections import Counter
from pathlib import Path

from browser import ConsoleTail, launch, network_up, script_state, serve_app, stop_server, wait_idle

from fer.labels import COLORS_BGR, LABELS

PORT = 8599
LIVE_MODE = "Live camera"  # the live page's label in the sidebar's mode selector
WEBRTC_IFRAME = 'iframe[title="streamlit_webrtc.component.webrtc_streamer"]'
# Share of a frame's pixels within this distance (per RGB channel) of an emotion colour.
COLOR_TOLERANCE = 40
OVERLAY_JS = """([colors, tol]) => {
  const v = document.querySelector('video');
  if (!v || v.readyState < 2 || v.videoWidth === 0) return null;
  const c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d');
  g.drawImage(v, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let hits = 0;
  for (let i = 0; i < d.length; i += 4) {
    for (const [r, gg, b] of colors) {
      if (Math.abs(d[i] - r) <= tol && Math.abs(d[i + 1] - gg) <= tol && Math.abs(d[i + 2] - b) <= tol) {
        hits++; break;
      }
    }
  }
  return {width: c.width, height: c.height, time: v.currentTime, overlay_share: hits / (c.width * c.height)};
}"""
PLAYING_JS = "() => { const v = document.querySelector('video'); return !!v && v.readyState >= 2 && v.currentTime > 0 }"


def open_live_page(browser, **page_options):
    """A new page on the app's live camera mode, START shown and the script idle.

    Returns the page, a frame locator for the streaming component's iframe and the page's
    console tail.
    """
    page = browser.new_page(**page_options)
    console = ConsoleTail(page)
    page.goto(f"http://127.0.0.1:{PORT}/", wait_until="domcontentloaded")
    page.get_by_test_id("stSidebar").get_by_text(LIVE_MODE, exact=True).click(timeout=60_000)
    component = page.frame_locator(WEBRTC_IFRAME)
    component.get_by_role("button", name="START").wait_for(timeout=60_000)
    wait_idle(page)
    return page, component, console


def component_frame(page):
    """The streaming component's frame, to run JavaScript in (looked up anew each time)."""
    return next(f for f in page.frames if "webrtc_streamer" in f.url)


def panel_counts(text: str) -> tuple[int, int] | None:
    found = re.search(r"Frames analysed: (\d+) \((\d+) with faces\)", text)
    return (int(found[1]), int(found[2])) if found else None


def wait_frames_counted(page, above: int, timeout_s: float = 30) -> int:
    """Until the panel counts more than ``above`` frames analysed, which only the page's refresh
    loop shows: the server has the stream and knows it plays. Returns the count."""
    deadline = time.monotonic() + timeout_s
    while True:
        counts = panel_counts(page.inner_text("body"))  # None while the panel is being redrawn
        if counts and counts[0] > above:
            return counts[0]
        if time.monotonic() > deadline:
            raise TimeoutError(f"the panel counted no frames past {above} in {timeout_s} s (shows {counts})")
        time.sleep(0.2)


def what_the_page_shows(page, console: ConsoleTail) -> str:
    """The component's buttons and text, the script's state and the recent console, for a failure."""
    try:
        frame = component_frame(page)
        buttons = frame.evaluate(
            "() => [...document.querySelectorAll('button')].map(b => b.innerText + (b.disabled ? ' (disabled)' : ''))"
        )
        shown = f"buttons {buttons}; component text {frame.inner_text('body')[:300]!r}"
    except Exception as err:  # noqa: BLE001 - a report of what could be read
        shown = f"component unreadable: {err}"
    return f"{shown}; script state {script_state(page)!r}\nbrowser console (last lines):\n{console}"


def deny_camera() -> dict:
    """Press START in a browser that refuses the camera; return what the page says."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p, camera=None)
        page, component, _ = open_live_page(browser)
        component.get_by_role("button", name="START").click()
        component.get_by_text("Permission denied").wait_for(timeout=20_000)
        text = {"component": component_frame(page).inner_text("body"), "page": page.inner_text("body")}
        browser.close()
    return {"denied": text}


def drive(video: Path, screenshot: Path, server_pid: int) -> dict:
    from playwright.sync_api import sync_playwright

    colors = [list(c[::-1]) for c in COLORS_BGR.values()]  # RGB, as the canvas gives them
    result: dict = {}
    with sync_playwright() as p:
        browser = launch(p, camera=video)
        page, component, _ = open_live_page(browser, viewport={"width": 1400, "height": 900})
        start, stop = component.get_by_role("button", name="START"), component.get_by_role("button", name="STOP")
        clicked = time.monotonic()
        start.click()
        stop.wait_for(timeout=30_000)
        video_frame = component_frame(page)

        playing_at = annotated_at = None
        samples = []
        deadline = clicked + 45
        while time.monotonic() < deadline:
            sample = video_frame.evaluate(OVERLAY_JS, [colors, COLOR_TOLERANCE])
            now = time.monotonic()
            if sample and sample["time"] > 0:
                playing_at = playing_at or now
                samples.append(sample)
                if sample["overlay_share"] >= 0.003:
                    annotated_at = annotated_at or now
            if annotated_at and now - annotated_at > 6:
                break
            time.sleep(0.1)

        # Watch the panel for a while: frames analysed per second from the page's own counter,
        # the emotions it lists, and a screenshot taken while a face is boxed and listed.
        first = last = None  # (time, (frames analysed, frames with faces)) as the panel showed them
        emotions: set[str] = set()
        shot_taken = False
        body = ""
        watch_until = time.monotonic() + 8
        while time.monotonic() < watch_until or not shot_taken and time.monotonic() < watch_until + 15:
            body = page.inner_text("body")
            counts = panel_counts(body)  # None while the panel is being redrawn
            if counts:
                last = (time.monotonic(), counts)
                first = first or last
            listed = {label for label in LABELS if re.search(rf"Face #\d+: {label}", body)}
            emotions |= listed
            sample = video_frame.evaluate(OVERLAY_JS, [colors, COLOR_TOLERANCE])
            if not shot_taken and listed and sample and sample["overlay_share"] >= 0.003:
                page.screenshot(path=str(screenshot))
                shot_taken = True
                result["server_rss_mb_streaming"] = server_resources(server_pid)["rss_mb"]
            time.sleep(0.5)
        result.update(
            seconds_to_playing=None if playing_at is None else round(playing_at - clicked, 2),
            seconds_to_first_annotated_frame=None if annotated_at is None else round(annotated_at - clicked, 2),
            samples=len(samples),
            max_overlay_share=max((s["overlay_share"] for s in samples), default=0.0),
            video_size=[samples[-1]["width"], samples[-1]["height"]] if samples else None,
            frames_analysed=last[1][0] if last else None,
            frames_with_faces=last[1][1] if last else None,
            analysed_fps=(
                round((last[1][0] - first[1][0]) / (last[0] - first[0]), 1) if last and last[0] > first[0] else None
            ),
            faces_in_view_shown="Faces in view" in body,
            emotions_shown=sorted(emotions),
            screenshot_taken=shot_taken,
            panel_text=body[-1500:],
        )
        # Stop as a viewer would, so that no stream of this session is left to the server's
        # timeouts while the next checks run.
        if stop.is_visible():
            stop.click()
            wait_idle(page)
        browser.close()
    return result


def server_resources(pid: int) -> dict:
    """Threads, resident memory (MB) and thread names (``comm``, counted) of a process."""
    status = Path(f"/proc/{pid}/status").read_text()
    names = Counter()
    for comm in Path(f"/proc/{pid}/task").glob("*/comm"):
        try:
            names[comm.read_text().strip()] += 1
        except OSError:
            pass  # the thread ended meanwhile
    return {
        "threads": int(re.search(r"Threads:\s+(\d+)", status)[1]),
        "rss_mb": round(int(re.search(r"VmRSS:\s+(\d+) kB", status)[1]) / 1024, 1),
        "thread_names": dict(sorted(names.items())),
    }


def settled_resources(pid: int, quiet_s: float = 1.5, limit_s: float = 10) -> dict:
    """``server_resources`` once the thread count has not changed for ``quiet_s`` (streams wind down
    on their own threads after STOP), or after ``limit_s``."""
    last = server_resources(pid)
    since = time.monotonic()
    deadline = since + limit_s
    while time.monotonic() < deadline and time.monotonic() - since < quiet_s:
        time.sleep(0.25)
        now = server_resources(pid)
        if now["threads"] != last["threads"]:
            since = time.monotonic()
        last = now
    return last


def cycles(video: Path, server_pid: int, n: int = 20) -> dict:
    """Start and stop one browser session's stream ``n`` times; the server's resources per cycle.

    Each click waits until the server, not only the browser, has acted on the one before: STOP
    once the panel counts this stream's frames (the page's refresh loop runs), START once the
    script runs that STOP set off have ended. Each component value starts a new script run at
    once (Streamlit's fast reruns), and streamlit-webrtc clears its context only after the old
    stream has stopped: a START whose run overlaps that has its new stream torn down as soon as
    it plays, and STOP is then gone.
    """
    from playwright.sync_api import sync_playwright

    per_cycle = []
    with sync_playwright() as p:
        browser = launch(p, camera=video)
        page, component, console = open_live_page(browser)
        start, stop = component.get_by_role("button", name="START"), component.get_by_role("button", name="STOP")
        before = None
        analysed = (panel_counts(page.inner_text("body")) or (0, 0))[0]
        for cycle in range(n):
            step = "START"
            try:
                start.click()
                step = "STOP shown"
                stop.wait_for(timeout=30_000)
                step = "video playing"
                component_frame(page).wait_for_function(PLAYING_JS, timeout=30_000)
                step = "frames counted"
                analysed = wait_frames_counted(page, above=analysed)
                time.sleep(1)
                before = before or server_resources(server_pid)  # while the first stream plays
                step = "STOP"
                stop.click()
                step = "START shown"
                start.wait_for(timeout=30_000)
                step = "script idle"
                wait_idle(page)
            except Exception as err:
                raise RuntimeError(
                    f"cycle {cycle + 1} of {n}, waiting for {step}: {err}\n{what_the_page_shows(page, console)}"
                ) from err
            per_cycle.append(settled_resources(server_pid))
        browser.close()
    return {
        "cycles": n,
        "while_playing": before,
        "after_first": per_cycle[0],
        "after_last": per_cycle[-1],
        "threads_per_cycle": [r["threads"] for r in per_cycle],
        "rss_mb_per_cycle": [r["rss_mb"] for r in per_cycle],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("video", type=Path)
    parser.add_argument("screenshot", type=Path)
    parser.add_argument("--cycles", type=int, default=0, help="START/STOP cycles after the other checks")
    args = parser.parse_args()
    network_up()
    log = args.screenshot.with_suffix(".server.log")
    # MALLOC_ARENA_MAX as the Procfile sets it: memory is then measured as deployed.
    server = serve_app(PORT, log, {"FER_ICE_SERVERS": "[]", "PYTHONUNBUFFERED": "1", "MALLOC_ARENA_MAX": "2"})
    try:
        result = drive(args.video, args.screenshot, server.pid)
        result.update(deny_camera())
        if args.cycles:
            result["start_stop"] = cycles(args.video, server.pid, args.cycles)
    except Exception:
        # The traceback says which step failed and what the page showed; the server's log is the
        # other half (stdout, which carries nothing else then).
        traceback.print_exc()
        print(f"server log (tail):\n{log.read_text()[-3000:]}")
        return 1
    finally:
        stop_server(server)
    result["server_log_tail"] = log.read_text()[-2000:]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
