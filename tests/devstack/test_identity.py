"""Stable local identifiers: one seed and speaker password per checkout (identity.json), and an
emulator that derives the Cognito pool and client ids from the seed, so a frontend's configuration
survives a restart of `make dev`."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

from babelcast_devstack.accounts import cognito_client
from babelcast_devstack.emulator import moto_server
from babelcast_devstack.identity import IDENTITY_FILE, app_client_id, local_identity, user_pool_id

REGION = "us-east-1"


def test_the_identity_is_made_once_and_kept_private(tmp_path: Path) -> None:
    first = local_identity(tmp_path)
    assert local_identity(tmp_path) == first
    path = tmp_path / IDENTITY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"seed": first.seed, "speakerPassword": first.speaker_password}
    path.write_text("{not json")  # damaged: a new one rather than a failed start
    assert local_identity(tmp_path) != first
    assert local_identity(tmp_path) == local_identity(tmp_path)
    assert local_identity(tmp_path / "other") != local_identity(tmp_path)


def test_ids_have_aws_shapes_and_depend_on_seed_and_name() -> None:
    pool = user_pool_id("seed", REGION, "babelcast-local")
    assert re.fullmatch(r"us-east-1_[A-Za-z0-9]{9}", pool)
    assert re.fullmatch(r"[a-z0-9]{26}", app_client_id("seed", pool, "web"))
    assert pool == user_pool_id("seed", REGION, "babelcast-local")
    assert pool != user_pool_id("other seed", REGION, "babelcast-local")
    assert pool != user_pool_id("seed", REGION, "babelcast-other")
    assert app_client_id("seed", pool, "web") != app_client_id("seed", pool, "cli")


def _create(endpoint: str) -> list[tuple[str, str]]:
    cognito = cognito_client(endpoint, REGION)
    made = []
    for _ in range(2):  # the second pool of the same name cannot take the first one's id
        pool = cognito.create_user_pool(PoolName="babelcast-local")["UserPool"]
        client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")["UserPoolClient"]
        assert pool["Arn"].endswith(f"userpool/{pool['Id']}")
        assert cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["Name"] == "babelcast-local"
        assert cognito.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
        made.append((pool["Id"], client["ClientId"]))
    return made


def test_a_restarted_emulator_gives_the_same_ids(tmp_path: Path) -> None:
    seed = local_identity(tmp_path).seed
    with moto_server(id_seed=seed) as endpoint:
        first = _create(endpoint)
    with moto_server(id_seed=seed) as endpoint:
        again = _create(endpoint)
    pool = user_pool_id(seed, REGION, "babelcast-local")
    assert first[0] == again[0] == (pool, app_client_id(seed, pool, "web"))
    assert first[1][0] != pool and len({first[1][0], again[1][0]}) == 2, "a taken id falls back to a random one"
