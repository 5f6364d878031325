"""Drive the live page in a real Chromium over a real WebRTC connection (run by test_browser.py).

Must run as root inside a fresh network namespace (``unshare -n``): it brings up loopback and a
veth pair (aiortc never offers 127.0.0.1 as an ICE candidate), serves app.py with Streamlit on
127.0.0.1, opens it in Chromium whose fake webcam plays a real face video, presses START and
measures what comes back; then presses START and STOP ``--cycles`` times and records the
server's threads and memory. Prints one JSON object with the observations.

    unshare -n python tests/browser_session.py VIDEO.mjpeg SCREENSHOT.png [--cycles 20]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections import Counter
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
    # MALLOC_ARENA_MAX as the Procfile sets it: memory is then measured as deployed.
    env = {**os.environ, "FER_ICE_SERVERS": "[]", "PYTHONUNBUFFERED": "1", "MALLOC_ARENA_MAX": "2"}
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


def drive(video: Path, screenshot: Path, server_pid: int) -> dict:
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
            analysed_fps=(round((last[1][0] - first[1][0]) / (last[0] - first[0]), 1)
                          if last and last[0] > first[0] else None),
            faces_in_view_shown="Faces in view" in body,
            emotions_shown=sorted(emotions),
            screenshot_taken=shot_taken,
            panel_text=body[-1500:],
        )
        browser.close()
    return result


PLAYING_JS = "() => { const v = document.querySelector('video'); return !!v && v.readyState >= 2 && v.currentTime > 0 }"


def server_resources(pid: int) -> dict:
    """Threads, resident memory (MB) and thread names (``comm``, counted) of a process."""
    status = Path(f"/proc/{pid}/status").read_text()
    names = Counter()
    for comm in Path(f"/proc/{pid}/task").glob("*/comm"):
        try:
            names[comm.read_text().strip()] += 1
        except OSError:
            pass  # the thread ended meanwhile
    return {"threads": int(re.search(r"Threads:\s+(\d+)", status)[1]),
            "rss_mb": round(int(re.search(r"VmRSS:\s+(\d+) kB", status)[1]) / 1024, 1),
            "thread_names": dict(sorted(names.items()))}


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
    """Start and stop one browser session's stream ``n`` times; the server's resources per cycle."""
    from playwright.sync_api import sync_playwright

    per_cycle = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ])
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{PORT}/", wait_until="domcontentloaded")
        frame = page.frame_locator("iframe").first
        start, stop = frame.get_by_role("button", name="START"), frame.get_by_role("button", name="STOP")
        before = None
        for _ in range(n):
            start.click(timeout=60_000)
            stop.wait_for(timeout=30_000)
            component = next(f for f in page.frames if f != page.main_frame)
            component.wait_for_function(PLAYING_JS, timeout=30_000)
            time.sleep(1)
            before = before or server_resources(server_pid)  # while the first stream plays
            stop.click()
            start.wait_for(timeout=30_000)
            per_cycle.append(settled_resources(server_pid))
        browser.close()
    return {"cycles": n, "while_playing": before, "after_first": per_cycle[0], "after_last": per_cycle[-1],
            "threads_per_cycle": [r["threads"] for r in per_cycle],
            "rss_mb_per_cycle": [r["rss_mb"] for r in per_cycle]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("video", type=Path)
    parser.add_argument("screenshot", type=Path)
    parser.add_argument("--cycles", type=int, default=0, help="START/STOP cycles after the other checks")
    args = parser.parse_args()
    network_up()
    log = args.screenshot.with_suffix(".server.log")
    server = start_server(log)
    try:
        result = drive(args.video, args.screenshot, server.pid)
        result.update(deny_camera())
        if args.cycles:
            result["start_stop"] = cycles(args.video, server.pid, args.cycles)
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
