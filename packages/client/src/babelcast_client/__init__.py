"""Python client for the Babelcast session API: sessions over HTTP, speaker and listener WebSockets."""

from babelcast_client.audio import wav_chunks
from babelcast_client.auth import (
    CognitoTokenProvider,
    RefreshingTokenProvider,
    StaticTokenProvider,
    TokenProvider,
    token_expiry,
)
from babelcast_client.errors import (
    ApiError,
    AuthenticationError,
    BabelcastError,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    RequestTimeout,
    ServerError,
    ServiceUnavailable,
    TransportError,
    Unauthorized,
    ValidationFailed,
    WebSocketError,
)
from babelcast_client.http import CallRecord, SessionHttpClient, SessionHttpService
from babelcast_client.models import QualityTier, Session, SessionPage, SessionStatus, SessionUpdate
from babelcast_client.orchestrator import CreatedSession, SessionCreationOrchestrator
from babelcast_client.retry import RetryPolicy
from babelcast_client.speaker import SpeakerClient, StreamStats
from babelcast_client.websocket import ListenerClient, ReconnectPolicy

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BabelcastError",
    "CallRecord",
    "CognitoTokenProvider",
    "Conflict",
    "CreatedSession",
    "Forbidden",
    "ListenerClient",
    "NotFound",
    "PayloadTooLarge",
    "QualityTier",
    "RateLimited",
    "ReconnectPolicy",
    "RefreshingTokenProvider",
    "RequestTimeout",
    "RetryPolicy",
    "ServerError",
    "ServiceUnavailable",
    "Session",
    "SessionCreationOrchestrator",
    "SessionHttpClient",
    "SessionHttpService",
    "SessionPage",
    "SessionStatus",
    "SessionUpdate",
    "SpeakerClient",
    "StaticTokenProvider",
    "StreamStats",
    "TokenProvider",
    "TransportError",
    "Unauthorized",
    "ValidationFailed",
    "WebSocketError",
    "token_expiry",
    "wav_chunks",
]
