"""Create a session and open the speaker's socket for it, over HTTP (default) or the legacy way
(the Python counterpart of the web app's SessionCreationOrchestrator)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from babelcast_client.auth import TokenProvider
from babelcast_client.http import SessionHttpClient
from babelcast_client.models import QualityTier, Session
from babelcast_client.speaker import SpeakerClient

LOG = logging.getLogger("babelcast_client")


@dataclass
class CreatedSession:
    session: Session
    speaker: SpeakerClient  # connected with the session's id; close it when done
    method: Literal["http", "websocket"]


class SessionCreationOrchestrator:
    """``use_http_session_creation=True`` (default): POST /sessions, then connect the speaker's socket
    with ``?sessionId=``. False: the legacy flow — connect with only the token, then send
    ``createSession`` on the socket (for backends where HTTP creation is not deployed yet)."""

    def __init__(
        self,
        http: SessionHttpClient,
        websocket_url: str,
        token_provider: TokenProvider,
        *,
        use_http_session_creation: bool = True,
        **speaker_options: Any,
    ) -> None:
        self.http = http
        self.websocket_url = websocket_url
        self.token_provider = token_provider
        self.use_http_session_creation = use_http_session_creation
        self.speaker_options = speaker_options

    def create_session(
        self, source_language: str, quality_tier: QualityTier | str = QualityTier.STANDARD
    ) -> CreatedSession:
        method: Literal["http", "websocket"] = "http" if self.use_http_session_creation else "websocket"
        LOG.info("creating a session over %s", method)  # which path is in use, for the rollout
        if self.use_http_session_creation:
            session = self.http.create_session(source_language, quality_tier)
            speaker = SpeakerClient(self.websocket_url, session.session_id, self.token_provider, **self.speaker_options)
            speaker.connect()
            return CreatedSession(session, speaker, method)
        speaker = SpeakerClient(self.websocket_url, None, self.token_provider, **self.speaker_options)
        speaker.connect()
        try:
            session = speaker.create_session_legacy(source_language, quality_tier)
        except BaseException:
            speaker.close()
            raise
        return CreatedSession(session, speaker, method)
