"""Issue 17 items 3, 4 and 6 through the local stack (real Terraform, zips, Cognito tokens and
WebSocket clients): the speaker's audienceUpdate after a join and a language change (its latency
measured), targetLanguages on the audio records, listenersByLanguage in GET /sessions/{id}, and
audioAck for a chunk and for its resend."""

from __future__ import annotations

import json
import time
import uuid

from tests.support.report import record
from tests.support.stack import AUDIO, Speaker, Stack, audio_records, open_ws, receive, wait_for_sequences


def test_the_speaker_sees_the_audience_and_its_audio_arriving(stack: Stack) -> None:
    speaker = Speaker(stack, f"audience-{uuid.uuid4().hex[:8]}")
    session_id = speaker.create()["sessionId"]
    with open_ws(stack, sessionId=session_id, token=speaker.tokens["idToken"]) as speaking:
        joined_at = time.monotonic()
        with open_ws(stack, sessionId=session_id, targetLanguage="es") as listening:
            joined = receive(speaking, "audienceUpdate")
            join_latency = time.monotonic() - joined_at
            assert (joined["sessionId"], joined["listenerCount"], joined["languages"]) == (session_id, 1, {"es": 1})
            changed_at = time.monotonic()
            listening.send(json.dumps({"action": "changeLanguage", "targetLanguage": "fr"}))
            changed = receive(speaking, "audienceUpdate")  # within the second after the join: coalesced
            change_latency = time.monotonic() - changed_at
            assert (changed["listenerCount"], changed["languages"]) == (1, {"fr": 1})
            assert join_latency < 2 and change_latency < 2, (join_latency, change_latency)
            found = speaker.call("GET", f"/sessions/{session_id}").json()
            assert (found["listenerCount"], found["listenersByLanguage"]) == (1, {"fr": 1})

            speaking.send(json.dumps({"action": "sendAudio", "audioData": AUDIO, "sequence": 1}))
            assert receive(speaking, "audioAck") == {"type": "audioAck", "sequence": 1, "buffered": 0}
            speaking.send(json.dumps({"action": "sendAudio", "audioData": AUDIO, "sequence": 1}))  # a retry
            assert receive(speaking, "audioAck") == {"type": "audioAck", "sequence": 1, "buffered": 0}
            wait_for_sequences(stack, session_id, [1])  # forwarded once
            assert audio_records(stack, session_id)[0]["targetLanguages"] == ["fr"]
        left_at = time.monotonic()
        left = receive(speaking, "audienceUpdate")
        leave_latency = time.monotonic() - left_at
        assert (left["listenerCount"], left["languages"]) == (0, {})
    for name, seconds in (("join", join_latency), ("language change", change_latency), ("leave", leave_latency)):
        record("audienceUpdate latency through the local stack (s)", name, round(seconds, 3))
