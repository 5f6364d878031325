"""Drive the live page in a real Chromium over a real WebRTC connection (run by test_browser.py).

Must run as root inside a fresh network namespace (``unshare -n``): it brings up loopback and a
veth pair (aiortc never offers 127.0.0.1 as an ICE candidate), serves app.py with Streamlit on
127.0.0.1, opens it in Chromium whose fake webcam plays a real face video, presses START and
measures what comes back. Prints one JSON object with the observations.

    unshare -n python tests/browser_session.py VIDEO.mjpeg SCREENSHOT.png
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fer.labels import COLORS_BGR, LABELS  # noqa: E402

PORT = 8599
CHROMIUM = "/usr/bin/chromium"
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


def sh(*cmd: str) -> None:
    subprocess.run(cmd, check=True)


def network_up() -> None:
    sh("ip", "link", "set", "lo", "up")
    sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
    sh("ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1")
    sh("ip", "addr", "add", "10.77.0.1/24", "dev", "v0")
    sh("ip", "addr", "add", "10.77.0.2/24", "dev", "v1")
    sh("ip", "link", "set", "v0", "up")
    sh("ip", "link", "set", "v1", "up")
    time.sleep(2)  # else Chromium fails page loads with net::ERR_NETWORK_CHANGED


def start_server(log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "FER_ICE_SERVERS": "[]", "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(PORT),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError(f"streamlit did not become healthy; log:\n{log_path.read_text()[-3000:]}")


def panel_counts(text: str) -> tuple[int, int] | None:
    found = re.search(r"Frames analysed: (\d+) \((\d+) with faces\)", text)
    return (int(found[1]), int(found[2])) if found else None


def deny_camera() -> dict:
    """Press START in a browser that refuses the camera; return what the page says."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--use-fake-device-for-media-stream", "--deny-permission-prompts", "--disable-gpu",
            "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync",
        ])
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{PORT}/", wait_until="domcontentloaded")
        frame = page.frame_locator("iframe").first
        frame.get_by_role("button", name="START").click(timeout=60_000)
        frame.get_by_text("Permission denied").wait_for(timeout=20_000)
        component = next(f for f in page.frames if f != page.main_frame).inner_text("body")
        text = {"component": component, "page": page.inner_text("body")}
        browser.close()
    return {"denied": text}


def drive(video: Path, screenshot: Path) -> dict:
    from playwright.sync_api import sync_playwright

    colors = [list(c[::-1]) for c in COLORS_BGR.values()]  # RGB, as the canvas gives them
    result: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"http://127.0.0.1:{PORT}/", wait_until="domcontentloaded")
        frame = page.frame_locator("iframe").first
        start = frame.get_by_role("button", name="START")
        start.wait_for(timeout=60_000)
        clicked = time.monotonic()
        start.click()
        frame.get_by_role("button", name="STOP").wait_for(timeout=30_000)
        video_frame = next(f for f in page.frames if f != page.main_frame)

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
            time.sleep(0.5)
        result.update(
            seconds_to_playing=None if playing_at is None else round(playing_at - clicked, 2),
            seconds_to_first_annotated_frame=None if annotated_at is None else round(annotated_at - clicked, 2),
            samples=len(samples),
            max_overlay_share=max((s["overlay_share"] for s in samples), default=0.0),
            video_size=[samples[-1]["width"], samples[-1]["height"]] if samples else None,
            frames_analysed=last[1][0] if last else None,
            frames_with_faces=last[1][1] if last else None,
            analysed_fps=(round((last[1][0] - first[1][0]) / (last[0] - first[0]), 1)
                          if last and last[0] > first[0] else None),
            faces_in_view_shown="Faces in view" in body,
            emotions_shown=sorted(emotions),
            screenshot_taken=shot_taken,
            panel_text=body[-1500:],
        )
        browser.close()
    return result


def main() -> int:
    video, screenshot = Path(sys.argv[1]), Path(sys.argv[2])
    network_up()
    log = screenshot.with_suffix(".server.log")
    server = start_server(log)
    try:
        result = drive(video, screenshot)
        result.update(deny_camera())
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    result["server_log_tail"] = log.read_text()[-2000:]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
