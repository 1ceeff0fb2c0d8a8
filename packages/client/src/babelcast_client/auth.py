"""Where the speaker's Cognito token comes from: a fixed token, or a Cognito login that refreshes
itself before the token expires."""

from __future__ import annotations

import base64
import json
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from babelcast_client.errors import AuthenticationError

Clock = Callable[[], float]
DEFAULT_SKEW_SECONDS = 60.0


def token_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT, in epoch seconds, read WITHOUT verifying the signature (the API
    verifies it; the client only needs to know when to refresh). None if it is not a readable JWT."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = claims.get("exp")
    except (IndexError, ValueError, AttributeError):
        return None
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None


class TokenProvider(ABC):
    """Gives a valid token and can be asked for a fresh one (after a 401)."""

    @abstractmethod
    def token(self) -> str:
        """A token that is not about to expire."""

    @abstractmethod
    def refresh(self) -> str:
        """A new token, whatever the current one's expiry (the API refused it)."""


class StaticTokenProvider(TokenProvider):
    """A token obtained elsewhere. It cannot be refreshed: a 401 is final."""

    def __init__(self, token: str) -> None:
        self._token = token

    def token(self) -> str:
        return self._token

    def refresh(self) -> str:
        return self._token


class RefreshingTokenProvider(TokenProvider):
    """Caches a token and fetches a new one ``skew`` seconds before its ``exp`` (so a request never
    leaves with a token that expires on the way), or when asked to after a 401. Thread-safe."""

    def __init__(self, *, skew: float = DEFAULT_SKEW_SECONDS, clock: Clock = time.time) -> None:
        self.skew = skew
        self.clock = clock
        self._token: str | None = None
        self._lock = threading.Lock()
        self.fetches = 0

    @abstractmethod
    def _fetch(self, current: str | None) -> str:
        """A new token; ``current`` is the token being replaced (None on the first call)."""

    def _expiring(self, token: str) -> bool:
        expiry = token_expiry(token)
        return expiry is not None and self.clock() >= expiry - self.skew

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._expiring(self._token):
                self._token = self._fetch(self._token)
                self.fetches += 1
            return self._token

    def refresh(self) -> str:
        with self._lock:
            self._token = self._fetch(self._token)
            self.fetches += 1
            return self._token


class CognitoTokenProvider(RefreshingTokenProvider):
    """Logs in to a Cognito user pool app client with USER_PASSWORD_AUTH, then renews the token with
    REFRESH_TOKEN_AUTH (falling back to the password when the refresh token is refused).
    ``endpoint_url`` points boto3 at an emulator (the local stack's ``awsEndpointUrl``)."""

    def __init__(
        self,
        *,
        client_id: str,
        username: str,
        password: str,
        region: str,
        endpoint_url: str | None = None,
        use_access_token: bool = False,
        skew: float = DEFAULT_SKEW_SECONDS,
        clock: Clock = time.time,
        cognito: Any = None,
    ) -> None:
        super().__init__(skew=skew, clock=clock)
        self.client_id = client_id
        self.username = username
        self._password = password
        self.use_access_token = use_access_token
        self._refresh_token: str | None = None
        self._cognito = cognito or _cognito_client(region, endpoint_url)

    def _fetch(self, current: str | None) -> str:
        if self._refresh_token is not None:
            try:
                return self._authenticate("REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": self._refresh_token})
            except AuthenticationError:
                self._refresh_token = None  # expired or revoked: log in again below
        return self._authenticate("USER_PASSWORD_AUTH", {"USERNAME": self.username, "PASSWORD": self._password})

    def _authenticate(self, flow: str, parameters: dict[str, str]) -> str:
        try:
            result = self._cognito.initiate_auth(AuthFlow=flow, ClientId=self.client_id, AuthParameters=parameters)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "Unknown")
            raise AuthenticationError(f"Cognito refused the sign-in ({code}).") from None
        except BotoCoreError as error:
            raise AuthenticationError(f"Cognito is unreachable ({type(error).__name__}).") from None
        tokens = result.get("AuthenticationResult")
        if not tokens:
            challenge = result.get("ChallengeName", "unknown")
            raise AuthenticationError(f"Cognito asks for a challenge this client does not answer ({challenge}).")
        if tokens.get("RefreshToken"):  # REFRESH_TOKEN_AUTH does not return a new one
            self._refresh_token = tokens["RefreshToken"]
        return str(tokens["AccessToken" if self.use_access_token else "IdToken"])


def _cognito_client(region: str, endpoint_url: str | None) -> Any:
    # initiate_auth is unsigned; an emulator still wants some credentials when none are configured
    dummy = "unused" if endpoint_url else None
    return boto3.client(
        "cognito-idp",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id=dummy,
        aws_secret_access_key=dummy,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=10),
    )
