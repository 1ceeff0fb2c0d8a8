"""Sessions over the HTTP API (the Python counterpart of the web app's SessionHttpService): create,
read, update, end and list, with retries, token refresh and typed errors."""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from babelcast_client.auth import TokenProvider
from babelcast_client.errors import (
    ApiError,
    BabelcastError,
    RequestTimeout,
    TransportError,
    Unauthorized,
    api_error,
)
from babelcast_client.models import QualityTier, Session, SessionPage, SessionStatus, SessionUpdate
from babelcast_client.retry import RetryPolicy

LOG = logging.getLogger("babelcast_client")
USER_AGENT = "babelcast-client/0.1 (python)"


@dataclass
class CallRecord:
    """What one logical call did: every attempt shares ``correlation_id``; ``delays`` are the
    seconds slept before each retry; ``outcomes`` is the status or the error of each attempt."""

    method: str
    path: str
    correlation_id: str
    attempts: int = 0
    delays: list[float] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    refreshed_token: bool = False


class SessionHttpClient:
    """``base_url`` is the HTTP API's URL (the ``http_api_url`` output). ``token_provider`` is needed
    for everything but ``get_session`` (public). ``sleep``, ``clock`` and ``rng`` are injectable so
    tests can record the delays instead of waiting them."""

    def __init__(
        self,
        base_url: str,
        token_provider: TokenProvider | None = None,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token_provider = token_provider
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._http = session or requests.Session()
        self.last_call: CallRecord | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SessionHttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the API ---------------------------------------------------------------------------------

    def create_session(
        self,
        source_language: str,
        quality_tier: QualityTier | str = QualityTier.STANDARD,
        *,
        correlation_id: str | None = None,
    ) -> Session:
        """POST /sessions. See ``RetryPolicy.retry_post`` about retrying a POST."""
        body = {"sourceLanguage": source_language, "qualityTier": str(quality_tier)}
        return Session.from_api(self._json("POST", "/sessions", body=body, correlation_id=correlation_id))

    def get_session(self, session_id: str, *, correlation_id: str | None = None) -> Session:
        """GET /sessions/{id}: public, sent without a token."""
        return Session.from_api(
            self._json("GET", f"/sessions/{_segment(session_id)}", authenticated=False, correlation_id=correlation_id)
        )

    def update_session(self, session_id: str, update: SessionUpdate, *, correlation_id: str | None = None) -> Session:
        return Session.from_api(
            self._json(
                "PATCH", f"/sessions/{_segment(session_id)}", body=update.to_api(), correlation_id=correlation_id
            )
        )

    def pause_session(self, session_id: str) -> Session:
        return self.update_session(session_id, SessionUpdate(status=SessionStatus.PAUSED))

    def resume_session(self, session_id: str) -> Session:
        return self.update_session(session_id, SessionUpdate(status=SessionStatus.ACTIVE))

    def delete_session(self, session_id: str, *, correlation_id: str | None = None) -> None:
        """DELETE /sessions/{id}: ends the session (repeating it is fine)."""
        self._call("DELETE", f"/sessions/{_segment(session_id)}", correlation_id=correlation_id)

    end_session = delete_session

    def list_sessions(
        self, *, limit: int | None = None, next_token: str | None = None, status: SessionStatus | str | None = None
    ) -> SessionPage:
        """One page of the caller's own sessions, newest first."""
        params = {"limit": limit, "nextToken": next_token, "status": str(status) if status else None}
        body = self._json("GET", "/sessions", params={k: v for k, v in params.items() if v is not None})
        return SessionPage([Session.from_api(s) for s in body.get("sessions", [])], body.get("nextToken"))

    def iter_sessions(
        self, *, page_size: int | None = None, status: SessionStatus | str | None = None
    ) -> Iterator[Session]:
        """Every session of the caller, following ``nextToken`` page by page (lazily)."""
        token: str | None = None
        while True:
            page = self.list_sessions(limit=page_size, next_token=token, status=status)
            yield from page.sessions
            if not page.next_token:
                return
            token = page.next_token

    # --- transport -------------------------------------------------------------------------------

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._call(method, path, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ApiError(
                response.status_code,
                "INVALID_RESPONSE",
                "The API answered with something that is not JSON.",
                correlation_id=response.headers.get("X-Correlation-Id"),
            )
        return body

    def _call(
        self,
        method: str,
        path: str,
        *,
        authenticated: bool = True,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        correlation_id: str | None = None,
    ) -> requests.Response:
        # One id for the whole logical call, retries included: the API logs it with every line the
        # request causes, so a duplicate created by a retried POST can be traced to this call.
        record = CallRecord(method, path, correlation_id or f"sdk-{uuid.uuid4().hex}")
        self.last_call = record
        retries = 0
        token = self._token() if authenticated else None
        while True:
            record.attempts += 1
            headers = {
                "X-Correlation-Id": record.correlation_id,
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            }
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            retryable, wait, failure = self._attempt(
                method=method, path=path, headers=headers, body=body, params=params, record=record
            )
            if isinstance(failure, requests.Response):
                response = failure
                if response.status_code < 400:
                    return response
                if response.status_code == 401 and token is not None and not record.refreshed_token:
                    record.refreshed_token = True  # once: the token may have been revoked or clock-skewed
                    fresh = self._token(refresh=True)
                    if fresh != token:
                        token = fresh
                        continue
            if not retryable or retries >= self.retry.max_retries:
                raise self._failure(failure, record)
            retries += 1
            delay = wait if wait is not None else self.retry.delay(retries, self.rng)
            record.delays.append(delay)
            LOG.warning(
                "retrying %s %s in %.2f s (attempt %d failed: %s, correlation id %s)",
                method,
                path,
                delay,
                record.attempts,
                record.outcomes[-1],
                record.correlation_id,
            )
            self.sleep(delay)

    def _attempt(
        self,
        *,
        method: str,
        path: str,
        headers: dict[str, str],
        body: dict[str, Any] | None,
        params: dict[str, Any] | None,
        record: CallRecord,
    ) -> tuple[bool, float | None, requests.Response | requests.RequestException]:
        """One HTTP exchange: (may retry, the server's wait if it gave one, the response or the error)."""
        unsafe = method == "POST" and not self.retry.retry_post
        try:
            response = self._http.request(
                method, self.base_url + path, json=body, params=params, headers=headers, timeout=self.retry.timeout
            )
        except requests.RequestException as error:
            record.outcomes.append(_describe(error))
            transient = isinstance(error, requests.ConnectionError | requests.Timeout)
            return transient and (not unsafe or _never_sent(error)), None, error
        record.outcomes.append(str(response.status_code))
        status = response.status_code
        if status == 429:
            after = _retry_after(response.headers.get("Retry-After"), self.clock)
            ok = self.retry.retry_rate_limited and after is not None and after <= self.retry.max_retry_after
            return ok, after, response
        return status >= 500 and not unsafe, None, response

    def _failure(self, failure: requests.Response | requests.RequestException, record: CallRecord) -> BabelcastError:
        if isinstance(failure, requests.Response):
            try:
                body = failure.json()
            except ValueError:
                body = None
            return api_error(
                failure.status_code,
                body,
                correlation_id=failure.headers.get("X-Correlation-Id") or record.correlation_id,
                retry_after=_retry_after(failure.headers.get("Retry-After"), self.clock),
                attempts=record.attempts,
            )
        attempts = f"{record.attempts} attempt{'s' if record.attempts > 1 else ''}"
        if isinstance(failure, requests.Timeout) and not _never_sent(failure):
            return RequestTimeout(
                f"The API did not answer within {self.retry.timeout:g} s ({attempts}).",
                correlation_id=record.correlation_id,
                attempts=record.attempts,
            )
        return TransportError(
            f"Cannot reach the API at {self.base_url}: {_describe(failure)} ({attempts}).",
            correlation_id=record.correlation_id,
            attempts=record.attempts,
        )

    def _token(self, *, refresh: bool = False) -> str:
        if self.token_provider is None:
            raise Unauthorized(401, "UNAUTHORIZED", "This call needs a token: give the client a token provider.")
        return self.token_provider.refresh() if refresh else self.token_provider.token()


def _segment(session_id: str) -> str:
    return quote(session_id, safe="")


def _retry_after(value: str | None, clock: Callable[[], float]) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - clock())
    except (TypeError, ValueError):
        return None


def _never_sent(error: requests.RequestException) -> bool:
    """True when the request cannot have reached the server (refused, or no connection in time)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def _describe(error: requests.RequestException) -> str:
    if _never_sent(error):
        return "connect timeout" if isinstance(error, requests.ConnectTimeout) else "could not connect (refused)"
    if isinstance(error, requests.Timeout):
        return "timeout"
    if isinstance(error, requests.ConnectionError):
        return "connection reset"
    return type(error).__name__


SessionHttpService = SessionHttpClient  # the name the web app's service has
