"""Speaker accounts on an emulator that outlives the stack (LocalStack, an external moto):
starting the stack again must not fail because its speaker already exists."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from babelcast_devstack.accounts import cognito_client, create_speaker, log_in
from babelcast_devstack.emulator import moto_server

REGION = "us-east-1"


@pytest.fixture(scope="module")
def pool() -> Iterator[tuple[str, str, str]]:
    with moto_server() as endpoint:
        cognito = cognito_client(endpoint, REGION)
        pool_id = cognito.create_user_pool(PoolName="accounts")["UserPool"]["Id"]
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        yield endpoint, pool_id, client_id


def test_an_existing_speaker_is_reused_with_a_new_password(pool: tuple[str, str, str]) -> None:
    endpoint, pool_id, client_id = pool
    first = create_speaker(endpoint, REGION, pool_id, "speaker")
    again = create_speaker(endpoint, REGION, pool_id, "speaker", reuse_existing=True)
    assert again.username == first.username
    assert again.password != first.password
    assert log_in(endpoint, REGION, client_id, again)["idToken"], "the new password logs in"
    with pytest.raises(Exception, match="NotAuthorized"):
        log_in(endpoint, REGION, client_id, first)


def test_without_reuse_an_existing_name_is_an_error(pool: tuple[str, str, str]) -> None:
    """`make dev-user --username taken` must not silently change someone's password."""
    endpoint, pool_id, _ = pool
    create_speaker(endpoint, REGION, pool_id, "taken")
    with pytest.raises(Exception, match="UsernameExists"):
        create_speaker(endpoint, REGION, pool_id, "taken")
