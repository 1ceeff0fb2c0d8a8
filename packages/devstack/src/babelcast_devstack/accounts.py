"""Speaker accounts in the (emulated) user pool, ready to log in with USER_PASSWORD_AUTH."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import boto3

from babelcast_devstack.identity import new_password


@dataclass(frozen=True)
class Account:
    username: str
    password: str


def cognito_client(endpoint: str, region: str) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def create_speaker(
    endpoint: str,
    region: str,
    user_pool_id: str,
    username: str | None = None,
    *,
    reuse_existing: bool = False,
    password: str | None = None,
) -> Account:
    """Create a confirmed user with a permanent password (no first-login challenge): ``password``,
    or a new random one.

    ``reuse_existing``: a user of that name from an earlier run (an external emulator keeps its
    users) gets the password instead of failing the start-up."""
    client = cognito_client(endpoint, region)
    username = username or f"speaker-{secrets.token_hex(3)}"
    password = password or new_password()
    try:
        client.admin_create_user(
            UserPoolId=user_pool_id,
            Username=username,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": f"{username}@example.com"},
                {"Name": "email_verified", "Value": "true"},
            ],
        )
    except client.exceptions.UsernameExistsException:
        if not reuse_existing:
            raise
    client.admin_set_user_password(UserPoolId=user_pool_id, Username=username, Password=password, Permanent=True)
    return Account(username, password)


def log_in(endpoint: str, region: str, client_id: str, account: Account) -> dict[str, str]:
    """What a frontend does: InitiateAuth with USER_PASSWORD_AUTH; returns the token set."""
    result = cognito_client(endpoint, region).initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": account.username, "PASSWORD": account.password},
    )["AuthenticationResult"]
    return {"idToken": result["IdToken"], "accessToken": result["AccessToken"], "refreshToken": result["RefreshToken"]}
