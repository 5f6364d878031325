"""Deployment: the shipped Streamlit config, no credentials in the repository, and the Procfile's
``web:`` command served as Heroku runs it (``$PORT``, ``$HOME``, the repository as working directory).

Only 127.0.0.1 is contacted. The server's resident memory is printed (``pytest -s``) and held
under a basic dyno's 512 MB.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from helpers import ROOT

from scripts.bench.sessions import rss_mb

HEROKU_RAM_MB = 512  # a basic dyno's memory
# What the streaming library would fetch TURN servers with: kept out of the server's environment
# so that rendering the page never reaches the internet.
ICE_CREDENTIAL_VARS = ("FER_ICE_SERVERS", "TWILIO_", "HF_TOKEN", "CLOUDFLARE_TURN_")
CREDENTIALS = re.compile(rb"turn:|credential|twilio", re.IGNORECASE)
NOT_SHIPPED = ("docs/", "tests/", "README")  # examples of configuration live there


def tracked_files() -> list[str]:
    return subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.splitlines()


def test_shipped_config_keeps_usage_stats_off_and_xsrf_on(tmp_path):
    project = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    subprocess.run(["sh", "setup.sh"], cwd=ROOT, env={**os.environ, "HOME": str(tmp_path), "PORT": "40123"}, check=True)
    dyno = tomllib.loads((tmp_path / ".streamlit" / "config.toml").read_text())
    assert dyno["server"]["port"] == 40123 and dyno["server"]["headless"] is True
    for config in (project, dyno):
        assert config["browser"]["gatherUsageStats"] is False
        assert config["server"].get("enableXsrfProtection", True) is True
    # Nor switched off by a flag or variable anywhere in the repository.
    for name in tracked_files():
        text = (ROOT / name).read_bytes()
        assert not re.search(rb"xsrf\w*[\s\"'=:]+false", text, re.IGNORECASE), name


def test_shipped_config_holds_no_credentials():
    shipped = [name for name in tracked_files() if not name.startswith(NOT_SHIPPED)]
    assert "app.py" in shipped and "setup.sh" in shipped
    found = [f"{name}: {m[0]!r}" for name in shipped for m in [CREDENTIALS.search((ROOT / name).read_bytes())] if m]
    assert not found, found
    # TURN credentials go in the environment or in an untracked secrets.toml, never in git.
    assert not any(name.endswith("secrets.toml") for name in tracked_files())
    assert subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=ROOT).returncode == 0


def web_command() -> str:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("web:"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streamlit_pid(group: int) -> int:
    """The pid of the Streamlit server among the processes of a process group."""
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            pgrp = int(status.read_text().rsplit(")", 1)[1].split()[2])
            cmdline = (status.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
        if pgrp == group and any(arg.endswith(b"streamlit") for arg in cmdline) and b"run" in cmdline:
            return int(status.parent.name)
    raise AssertionError(f"no streamlit process in process group {group}")


def load_page(port: int, timeout_s: float = 90) -> list:
    """Open a browser-like session over Streamlit's websocket, run the page once, return its messages."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    rerun = BackMsg()
    rerun.rerun_script.SetInParent()  # the main page, no query string, no widget state
    messages = []
    deadline = time.monotonic() + timeout_s
    with connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"], max_size=None) as ws:
        ws.send(rerun.SerializeToString())
        while time.monotonic() < deadline:
            message = ForwardMsg()
            message.ParseFromString(ws.recv(timeout=deadline - time.monotonic()))
            messages.append(message)
            if message.WhichOneof("type") == "script_finished":
                return messages
    raise AssertionError(f"the page did not finish in {timeout_s} s")


def elements(messages: list, kind: str) -> list:
    return [
        m.delta.new_element
        for m in messages
        if m.WhichOneof("type") == "delta" and m.delta.new_element.WhichOneof("type") == kind
    ]


@pytest.mark.slow
def test_procfile_web_command_serves_the_app_within_a_basic_dyno(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(ICE_CREDENTIAL_VARS)}
    # This interpreter's `streamlit`, as Heroku puts the app's Python first on PATH.
    env.update(PORT=str(port), HOME=str(tmp_path), PATH=f"{Path(sys.executable).parent}:{env['PATH']}")
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            ["sh", "-c", web_command()], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline, health = time.monotonic() + 90, None
        while health != "ok" and time.monotonic() < deadline:
            assert server.poll() is None, f"the web command exited with {server.returncode}:\n{log.read_text()}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                    health = reply.read().decode()
            except OSError:
                time.sleep(0.5)
        assert health == "ok", f"no health answer on port {port}:\n{log.read_text()}"
        assert (tmp_path / ".streamlit" / "config.toml").exists()  # setup.sh ran first
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as reply:
            html = reply.read().decode()
        assert '<div id="root">' in html and "<title>Streamlit</title>" in html

        pid = streamlit_pid(server.pid)
        # Two malloc arenas: per-thread arenas otherwise keep freed frames after each STOP.
        assert b"MALLOC_ARENA_MAX=2" in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        started_mb = rss_mb(pid)
        messages = load_page(port)  # a session: the model is read and the live page rendered
        loaded_mb = rss_mb(pid)
        print(f"\nstreamlit server RSS: {started_mb:.0f} MB after start-up, {loaded_mb:.0f} MB after one page load")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()

    assert not elements(messages, "exception"), elements(messages, "exception")
    # No model error and no warning; the class page's own "Stopped" note is an info alert.
    problems = [e.alert for e in elements(messages, "alert") if e.alert.format in (e.alert.ERROR, e.alert.WARNING)]
    assert not problems, problems
    assert any(e.heading.body == "Class mood" for e in elements(messages, "heading"))
    assert messages[-1].script_finished == messages[-1].FINISHED_SUCCESSFULLY
    assert "Traceback" not in log.read_text(), log.read_text()
    assert loaded_mb < HEROKU_RAM_MB
