"""The $connect REQUEST authorizer. It runs for every connection: listeners (no token, or a
``targetLanguage``) are let in as anonymous listeners; a speaker's token must verify, or the
upgrade is refused with 401."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from babelcast.auth import InvalidToken, JwksCache, TokenVerifier
from babelcast.logging import bind_request_context, get_logger
from babelcast.metrics import Metrics, flushes_metrics
from babelcast.runtime import cold_start
from babelcast.settings import AuthorizerSettings

SETTINGS = AuthorizerSettings
_log = get_logger(__name__)


@dataclass(frozen=True)
class Dependencies:
    verifier: TokenVerifier
    metrics: Metrics


@cache
def dependencies() -> Dependencies:
    settings, metrics = cold_start(AuthorizerSettings, "ws_authorizer")
    # Cached with the dependencies: the JWKS is fetched once per warm process, not per connection.
    verifier = TokenVerifier(settings.jwt_issuer, settings.jwt_audience, JwksCache(settings.jwks_url))
    return Dependencies(verifier, metrics)


def _policy(principal: str, method_arn: str, context: dict[str, str]) -> dict[str, Any]:
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": method_arn}],
        },
        "context": context,
    }


@flushes_metrics(lambda: dependencies().metrics)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deps = dependencies()
    request_context = event.get("requestContext") or {}
    bind_request_context(
        correlation_id=str(request_context.get("requestId", "")),
        connection_id=str(request_context.get("connectionId", "")),
        aws_request_id=getattr(context, "aws_request_id", ""),
    )
    query = event.get("queryStringParameters") or {}
    token = str(query.get("token") or "")
    session_id = str(query.get("sessionId") or "")
    method_arn = str(event.get("methodArn", ""))
    # targetLanguage means a listener, token or not (the deployed listener app sends its user's
    # token too); listeners are anonymous, so that token is not even read.
    if not token or query.get("targetLanguage"):
        deps.metrics.add("AuthorizerDecision", 1, dimensions={"Decision": "anonymous"})
        # targetLanguage rides along so that changeLanguage knows the counter to move from
        listener = {
            "role": "listener",
            "sessionId": session_id,
            "targetLanguage": str(query.get("targetLanguage") or ""),
        }
        return _policy("anonymous", method_arn, listener)
    try:
        claims = deps.verifier.verify(token)
    except InvalidToken as refused:
        # The reason is logged for operators; the client only ever sees 401.
        _log.info("token_refused", reason=str(refused))
        deps.metrics.add("AuthorizerDecision", 1, dimensions={"Decision": "refused"})
        raise Exception("Unauthorized") from None
    deps.metrics.add("AuthorizerDecision", 1, dimensions={"Decision": "speaker"})
    return _policy(
        str(claims["sub"]), method_arn, {"role": "speaker", "userId": str(claims["sub"]), "sessionId": session_id}
    )
