"""The local pipeline stand-in through the real stack: a listener receives captions and audio for
its own language only once a speaker streams audio, in the documented pipeline contract; and
`babelcast-dev segment` writes a chosen segment by hand."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from pathlib import Path

from websockets.exceptions import ConnectionClosed

from tests.support.stack import Speaker, Stack, open_ws, receive

SAMPLE_RATE = 16_000
# 2.5 s of a distinct 16-bit ramp, so a passed-through segment can be compared byte for byte
SPEECH = b"".join(int(n % 20_000 - 10_000).to_bytes(2, "little", signed=True) for n in range(SAMPLE_RATE * 5 // 2))
CHUNK = 8_000  # 0.25 s


def test_listeners_receive_their_language_once_the_speaker_streams(web_stack: Stack) -> None:
    speaker = Speaker(web_stack, f"standin-{uuid.uuid4().hex[:8]}")
    session_id = speaker.create("en")["sessionId"]
    with (
        open_ws(web_stack, sessionId=session_id, targetLanguage="es") as spanish,
        open_ws(web_stack, sessionId=session_id, targetLanguage="fr") as french,
        open_ws(web_stack, sessionId=session_id, token=speaker.tokens["idToken"]) as speaking,
    ):
        try:  # nothing arrives before there is audio
            early = json.loads(spanish.recv(timeout=1.5))
            raise AssertionError(f"a listener received {early} before any audio")
        except TimeoutError:
            pass
        for sequence, start in enumerate(range(0, len(SPEECH), CHUNK), start=1):
            audio = base64.b64encode(SPEECH[start : start + CHUNK]).decode()
            speaking.send(json.dumps({"action": "sendAudio", "audioData": audio, "sequence": sequence}))
        for socket, language in ((spanish, "es"), (french, "fr")):
            segments = [receive(socket, "translation", timeout=30) for _ in range(3)]
            assert [s["translatedText"] for s in segments] == [
                f"[{language}] segment 1 — 1.0 s of audio",
                f"[{language}] segment 2 — 1.0 s of audio",
                f"[{language}] segment 3 — 0.5 s of audio",  # the remainder, once the speaker is quiet
            ]
            assert {s["targetLanguage"] for s in segments} == {language}
            heard = b"".join(base64.b64decode(s["translatedAudio"]) for s in segments)
            assert heard == SPEECH, "the speaker's PCM passes through whole and in order"
            assert segments[0]["sampleRate"] == SAMPLE_RATE and segments[0]["audioEncoding"] == "pcm_s16le"


def test_a_segment_injected_by_hand_reaches_its_language(web_stack: Stack) -> None:
    speaker = Speaker(web_stack, f"inject-{uuid.uuid4().hex[:8]}")
    session_id = speaker.create("en")["sessionId"]
    local_dir = Path(web_stack.document["endpointsFile"]).parent
    with (
        open_ws(web_stack, sessionId=session_id, targetLanguage="de") as german,
        open_ws(web_stack, sessionId=session_id, targetLanguage="it") as italian,
    ):
        written = subprocess.run(
            [
                sys.executable,
                "-m",
                "babelcast_devstack.cli",
                "segment",
                session_id,
                "--language",
                "de",
                "--text",
                "Guten Tag",
                "--local-dir",
                str(local_dir),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert json.loads(written.stdout)["targetLanguage"] == "de"
        assert receive(german, "translation")["translatedText"] == "Guten Tag"
        italian.send(json.dumps({"action": "heartbeat"}))
        try:
            assert json.loads(italian.recv(timeout=10))["type"] == "heartbeatAck", "nothing else reached Italian"
        except ConnectionClosed as closed:
            raise AssertionError("the Italian listener was dropped") from closed
