"""Stable local identifiers: the same user pool id, app client id and speaker password on every
`make dev` of a checkout, so a frontend's configuration survives a restart.

A random seed and the speaker's password are made once and kept in <local dir>/identity.json
(.local/ is git-ignored; the file is readable by its owner only). The embedded emulator derives
the ids of the pools and app clients Terraform creates from the seed and their names
(emulator_server.py), instead of drawing random ones; the same names give the same ids.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

IDENTITY_FILE = "identity.json"
# Passed to the emulator's process: set, the Cognito ids it makes derive from it
ID_SEED_VARIABLE = "BABELCAST_EMULATOR_ID_SEED"


@dataclass(frozen=True)
class Identity:
    seed: str
    speaker_password: str


def new_password() -> str:
    """Satisfies any Cognito password policy: length, upper, lower, digit, symbol."""
    return f"Bc-{secrets.token_hex(6)}-Aa1!"


def local_identity(state_dir: Path) -> Identity:
    """This checkout's identity, made on first use (or again if the file was damaged)."""
    path = state_dir / IDENTITY_FILE
    try:
        document = json.loads(path.read_text())
        return Identity(str(document["seed"]), str(document["speakerPassword"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    identity = Identity(secrets.token_hex(16), new_password())
    state_dir.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"seed": identity.seed, "speakerPassword": identity.speaker_password}) + "\n")
    temporary.chmod(0o600)
    temporary.replace(path)
    return identity


def derived(seed: str, alphabet: str, length: int, *parts: str) -> str:
    """``length`` characters of ``alphabet`` drawn from a hash of the seed and ``parts``."""
    number = int.from_bytes(hashlib.sha256("\x00".join([seed, *parts]).encode()).digest(), "big")
    characters = []
    for _ in range(length):
        number, index = divmod(number, len(alphabet))
        characters.append(alphabet[index])
    return "".join(characters)


def user_pool_id(seed: str, region: str, name: str) -> str:
    """A pool's id in AWS's shape: ``<region>_`` and 9 alphanumerics."""
    return f"{region}_{derived(seed, string.ascii_letters + string.digits, 9, 'pool', name)}"


def app_client_id(seed: str, pool_id: str, name: str) -> str:
    """An app client's id in AWS's shape: 26 lowercase alphanumerics."""
    return derived(seed, string.ascii_lowercase + string.digits, 26, "client", pool_id, name)


def seed_from_environment() -> str | None:
    return os.environ.get(ID_SEED_VARIABLE) or None
