"""Where the API is and who is calling: flags, then environment variables, then the local stack's
``.local/endpoints.json`` (written by ``make dev``) when it exists."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babelcast_client.auth import CognitoTokenProvider, StaticTokenProvider, TokenProvider
from babelcast_client.errors import BabelcastError

ENDPOINTS_FILE = Path(".local") / "endpoints.json"


class ConfigurationError(BabelcastError):
    """Something needed to reach the API is missing."""


@dataclass(frozen=True)
class ClientConfig:
    http_url: str | None = None
    websocket_url: str | None = None
    token: str | None = None
    username: str | None = None
    password: str | None = None
    client_id: str | None = None
    region: str | None = None
    cognito_endpoint: str | None = None

    @classmethod
    def resolve(
        cls, flags: Mapping[str, str | None], environ: Mapping[str, str] | None = None, endpoints: Path | None = None
    ) -> ClientConfig:
        environ = os.environ if environ is None else environ
        local = _local_endpoints(endpoints or Path(environ.get("BABELCAST_ENDPOINTS_FILE") or ENDPOINTS_FILE))
        speaker = local.get("speaker") or {}
        fallbacks: dict[str, Any] = {
            "http_url": local.get("httpApiUrl"),
            "websocket_url": local.get("websocketUrl"),
            "client_id": local.get("userPoolClientId"),
            "region": local.get("region"),
            "cognito_endpoint": local.get("awsEndpointUrl"),
            "username": speaker.get("username"),
            "password": speaker.get("password"),
        }
        names = {
            "http_url": "BABELCAST_HTTP_URL",
            "websocket_url": "BABELCAST_WS_URL",
            "token": "BABELCAST_TOKEN",
            "username": "BABELCAST_USERNAME",
            "password": "BABELCAST_PASSWORD",
            "client_id": "BABELCAST_CLIENT_ID",
            "region": "BABELCAST_REGION",
            "cognito_endpoint": "BABELCAST_COGNITO_ENDPOINT",
        }
        values = {
            field: flags.get(field) or environ.get(variable) or fallbacks.get(field)
            for field, variable in names.items()
        }
        if not values["region"]:
            values["region"] = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
        return cls(**values)

    def require_http(self) -> str:
        if not self.http_url:
            raise ConfigurationError("No HTTP API URL: pass --http-url or set BABELCAST_HTTP_URL.")
        return self.http_url

    def require_websocket(self) -> str:
        if not self.websocket_url:
            raise ConfigurationError("No WebSocket URL: pass --ws-url or set BABELCAST_WS_URL.")
        return self.websocket_url

    def token_provider(self) -> TokenProvider:
        if self.token:
            return StaticTokenProvider(self.token)
        needed = {
            "username": self.username,
            "password": self.password,
            "client id": self.client_id,
            "region": self.region,
        }
        missing = [name for name, value in needed.items() if not value]
        if missing:
            raise ConfigurationError(
                f"No token: pass --token (BABELCAST_TOKEN), or Cognito credentials (missing: {', '.join(missing)})."
            )
        assert self.username and self.password and self.client_id and self.region
        return CognitoTokenProvider(
            client_id=self.client_id,
            username=self.username,
            password=self.password,
            region=self.region,
            endpoint_url=self.cognito_endpoint,
        )


def _local_endpoints(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}
