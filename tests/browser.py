"""What a real-browser session needs around the page it drives: a private network, the served app,
Debian's Chromium, and a way to wait until Streamlit has acted on a click.

Used by tests/browser_session.py, which runs as root inside ``unshare -n``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
# Every browser of a run: no sandbox (we are root), nothing that talks to the outside.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# Streamlit marks its root element with the script's state: "running", "rerunRequested", "notRunning"...
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def sh(*cmd: str) -> None:
    subprocess.run(cmd, check=True)


def network_up() -> None:
    """Loopback and a veth pair: aiortc never offers 127.0.0.1 as an ICE candidate."""
    sh("ip", "link", "set", "lo", "up")
    sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
    sh("ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1")
    sh("ip", "addr", "add", "10.77.0.1/24", "dev", "v0")
    sh("ip", "addr", "add", "10.77.0.2/24", "dev", "v1")
    sh("ip", "link", "set", "v0", "up")
    sh("ip", "link", "set", "v1", "up")
    time.sleep(2)  # else Chromium fails page loads with net::ERR_NETWORK_CHANGED


def serve_app(port: int, log_path: Path, env: dict[str, str]) -> subprocess.Popen:
    """``streamlit run app.py`` on 127.0.0.1:``port``, its output in ``log_path``, once healthy."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError(f"streamlit did not become healthy; log:\n{log_path.read_text()[-3000:]}")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


def launch(playwright, camera: Path | None):
    """Chromium whose fake webcam plays the video file ``camera`` with permission granted, or
    (``None``) one that refuses the camera."""
    if camera is None:
        media = ["--use-fake-device-for-media-stream", "--deny-permission-prompts"]
    else:
        media = [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={camera}",
        ]
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *media])


def wait_idle(page, timeout_ms: float = 60_000) -> None:
    """Until no script run is going: the server has acted on every click so far.

    A page whose script loops while something plays (the live page) is idle only once it stops.
    """
    page.locator(APP_IDLE).wait_for(state="attached", timeout=timeout_ms)


def script_state(page) -> str | None:
    return page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state", timeout=5_000)


class ConsoleTail:
    """The last ``size`` console messages of a page and its frames, timed, for failure reports
    (streamlit-webrtc logs its connection states there)."""

    def __init__(self, page, size: int = 25) -> None:
        self._start = time.monotonic()
        self._lines: deque[str] = deque(maxlen=size)
        page.on("console", self._add)

    def _add(self, message) -> None:
        if not message.text.startswith("Unrecognized feature"):
            self._lines.append(f"{time.monotonic() - self._start:7.2f}s {message.type}: {message.text[:160]}")

    def __str__(self) -> str:
        return "\n".join(self._lines)


def launch_sharing(playwright):
    """Chromium that plays video without a gesture and shares the tab titled "Class call" when a page asks
    to capture a display, without asking the user."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--autoplay-policy=no-user-gesture-required",
            "--auto-select-tab-capture-source-by-title=Class call",
        ],
    )


def run_session(script: Path, args: list[str], timeout: float, logs: str) -> dict:
    """Run a browser session's ``script`` as root in a private network (``unshare -n``) and return the result
    it prints last, as JSON; the test fails with its output if it failed, or with its error and the page's
    text and ``logs`` (the result's key for the servers' logs) if it says one."""
    import json
    import shutil

    assert os.geteuid() == 0, "the browser test makes a network namespace and must run as root"
    assert shutil.which("unshare") and shutil.which("ffmpeg"), "needs util-linux unshare and ffmpeg"
    assert os.path.exists(CHROMIUM), "needs Debian's chromium (apt-get install chromium)"
    done = subprocess.run(
        ["unshare", "-n", sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # the sessions build their call pages from tests.fixtures
    )
    assert done.returncode == 0, f"{script.name} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "error" not in result, (result["error"], result.get("page_text_at_error"), result.get(logs))
    return result
