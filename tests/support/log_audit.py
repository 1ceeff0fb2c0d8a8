"""The log audit: no token an integration test was issued, nothing JWT-shaped and no credential
(an Authorization value, a WebSocket ``?token=``) in any log the local stack wrote — the gateway,
every function's output, the emulator. It runs over every log when the stack stops at the end of
the session (tests/integration/conftest.py) and fails the run if anything is found;
tests/integration/test_log_audit.py drives token-bearing traffic and proves the scanner flags
each kind of leak."""

from __future__ import annotations

import re
from pathlib import Path

# JWT-shaped (base64url JSON header "{"... = "eyJ") with at least a payload segment
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
# an Authorization header's value, or the WebSocket speaker's token in a logged URL
CREDENTIAL = re.compile(r"(?i)(bearer\s+[A-Za-z0-9._~+/-]{8,}|[?&]token=[^&\s\"']{8,})")


def log_texts(log_dir: Path) -> dict[str, str]:
    """Every log file under the stack's log directory, by name."""
    files = sorted(p for p in log_dir.rglob("*.log") if p.is_file())
    return {path.name: path.read_text(errors="replace") for path in files}


def findings(texts: dict[str, str], tokens: set[str]) -> list[str]:
    found: list[str] = []
    for name, text in texts.items():
        for token in tokens:
            for part in {token, token.rsplit(".", 1)[-1]}:  # the whole token, or its signature alone
                if len(part) >= 16 and part in text:
                    found.append(f"{name}: an issued token")
        found += [f"{name}: {m.group(0)[:24]}…" for m in JWT_SHAPE.finditer(text)]
        found += [f"{name}: {m.group(0)[:24]}…" for m in CREDENTIAL.finditer(text)]
    return found
