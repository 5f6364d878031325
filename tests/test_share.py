"""The "Share the call" button's script: a file of its own, handed to the component as it is, and valid."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from helpers import ROOT

SCRIPT = ROOT / "ui" / "share.js"

# Imports ui.share with Streamlit's component registration replaced by a recorder of what it is given.
CHILD = r"""
import json
import streamlit as st
handed = {}
st.components.v2.component = lambda name, **parts: handed.update(parts, name=name)
import ui.share
print(json.dumps(handed))
"""


def test_the_component_gets_the_script_file_whatever_the_working_folder(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    handed = json.loads(done.stdout.splitlines()[-1])
    assert handed["name"] == "share_the_call"
    assert handed["js"] == SCRIPT.read_text(encoding="utf-8")
    assert "export default function" in handed["js"]  # the component runs the module's default export
    assert all(f'id="{name}"' in handed["html"] for name in ("share", "stop", "status"))  # what the script finds


def parse_as_module(js: str) -> subprocess.CompletedProcess:
    # From stdin as an ES module: `node --check share.js` guesses the module type, and Node 20's guess
    # passes a file with `export` in it however broken the rest is.
    return subprocess.run(
        ["node", "--input-type=module", "--check"], input=js, capture_output=True, text=True, timeout=60
    )


def test_the_script_parses_as_an_es_module():
    assert shutil.which("node"), "needs Node.js to check ui/share.js (apt-get install nodejs, as .ci/run does)"
    js = SCRIPT.read_text(encoding="utf-8")
    done = parse_as_module(js)
    assert done.returncode == 0, done.stderr
    assert parse_as_module(js + "\n}").returncode != 0  # the check can fail


def drive(scenario: str, *args: str) -> dict:
    """ui/share.js in Node with a fake clock, page and capture (tests/js/share_harness.mjs): what it sent,
    after sharing 3 s and after the scenario."""
    assert shutil.which("node"), "needs Node.js to run ui/share.js (apt-get install nodejs, as .ci/run does)"
    harness = ROOT / "tests" / "js" / "share_harness.mjs"
    done = subprocess.run(
        ["node", str(harness), str(SCRIPT), scenario, *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return {line["what"]: line for line in map(json.loads, done.stdout.splitlines())}


def test_a_slow_rerun_of_the_page_does_not_end_the_share():
    # A rerun that takes the button away for 2.5 s (a busy server drawing a big gallery) and draws it again:
    # the share goes on, a frame a second.
    seen = drive("rerun", "2500")
    assert seen["shared"]["frames"] >= 3
    assert seen["after"]["sharing"] and seen["after"]["frames"] >= seen["shared"]["frames"] + 2
    assert not seen["after"]["console"]


def test_a_button_gone_for_good_ends_the_share():
    # The page went to another mode, or a button stayed away longer than a rerun takes: the capture stops
    # (the browser's "sharing" indicator goes away) and no frame is sent meanwhile.
    for seen in (drive("leave"), drive("rerun", "7000")):
        assert not seen["after"]["sharing"]
        assert seen["after"]["frames"] == seen["shared"]["frames"]
        assert seen["after"]["console"] == [f"share: stopped (unmounted) after {seen['shared']['frames']} frames"]
