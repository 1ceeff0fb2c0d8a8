"""The reference apps (web/) in a real Chromium against the stack `make dev` runs (tests/web's
stack: pipeline stand-in on, apps served): web/test/browser.mjs drives them with playwright-core,
a fake microphone playing a WAV file, and reports each scenario; each is one test here."""

from __future__ import annotations

import json
import math
import os
import shutil
import struct
import subprocess
import time
import wave
from pathlib import Path
from typing import Any

import pytest
from babelcast_devstack.terraform import repository_root

from tests.support.report import record
from tests.support.stack import Stack

APPS = repository_root() / "web"
SCREENSHOTS = repository_root() / ".local" / "reports"
SCENARIOS = [
    "speaker signs in, creates and streams; es and fr listeners get their own language",
    "pause shows paused on both listeners and resume continues",
    "a listener changes language mid-session",
    "a listener page reload rejoins the same session",
    "end shows ended on the listeners and closes their sockets",
    "the flag-off (legacy WebSocket createSession) path streams too",
    "a page from an origin that is not allowed is refused by CORS",
]


def chromium() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    return configured or shutil.which("chromium") or shutil.which("chromium-browser")


def write_microphone(path: Path, seconds: float = 3.0, rate: int = 16_000) -> None:
    """A voice-like tone (220 Hz, modulated at 3 Hz): what the fake microphone plays, looped."""
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        samples = (
            0.4 * math.sin(2 * math.pi * 220 * n / rate) * (0.6 + 0.4 * math.sin(2 * math.pi * 3 * n / rate))
            for n in range(int(seconds * rate))
        )
        audio.writeframes(b"".join(struct.pack("<h", int(s * 32767)) for s in samples))


@pytest.fixture(scope="module")
def browser_run(web_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    node, browser = shutil.which("node"), chromium()
    assert node, "Node.js >= 20 is needed (see README)"
    assert browser, "Chromium is needed: `make chromium` installs Debian's package, or set CHROMIUM_PATH"
    assert (APPS / "dist" / "index.html").exists(), "the apps are not built: run `make web`"
    assert (APPS / "node_modules" / "playwright-core").exists(), "web/'s npm dependencies are missing: `make install`"
    work = tmp_path_factory.mktemp("browser")
    write_microphone(work / "microphone.wav")
    (work / "endpoints.json").write_text(json.dumps(web_stack.document))
    started = time.perf_counter()
    completed = subprocess.run(
        [node, "test/browser.mjs", str(work / "results.json")],
        cwd=APPS,
        env={
            "PATH": os.environ["PATH"],
            "HOME": str(work),
            "CHROMIUM_PATH": browser,
            "BABELCAST_ENDPOINTS_FILE": str(work / "endpoints.json"),
            "BABELCAST_FAKE_MIC_WAV": str(work / "microphone.wav"),
            "BABELCAST_SCREENSHOTS": str(SCREENSHOTS),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    elapsed = time.perf_counter() - started
    assert (work / "results.json").exists(), completed.stdout[-4000:] + completed.stderr[-4000:]
    run: dict[str, Any] = json.loads((work / "results.json").read_text())
    record("browser (Chromium, local stack)", "scenarios passed", sum(r["ok"] for r in run["results"]))
    record("browser (Chromium, local stack)", "wall time (s)", round(elapsed, 1))
    if run.get("latency"):
        record(
            "browser (Chromium, local stack)", "first caption after first audio (ms)", run["latency"]["firstCaptionMs"]
        )
    return run


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_browser_scenario(browser_run: dict[str, Any], scenario: str) -> None:
    results = {result["name"]: result for result in browser_run["results"]}
    assert set(results) == set(SCENARIOS), "web/test/browser.mjs and this list disagree"
    assert results[scenario]["ok"], results[scenario].get("error")


def test_the_apps_raise_no_page_errors(browser_run: dict[str, Any]) -> None:
    assert browser_run["pageErrors"] == []
