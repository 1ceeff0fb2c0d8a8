"""The browser origins the local stack's HTTP API admits: the environment root's
``cors_allowed_origins`` (common dev-server origins), the API docs viewer, and any named in
BABELCAST_CORS_ORIGINS, so a frontend on another port needs no edit to a tracked file."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import hcl2

from babelcast_devstack.invocation import printable
from babelcast_devstack.terraform import MODULE

CORS_ORIGINS_VARIABLE = "BABELCAST_CORS_ORIGINS"
# What a browser sends in Origin and what the module's variable validation admits (lowercase)
_ORIGIN = re.compile(
    r"^https?://[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:(?P<port>[0-9]{1,5}))?$"
)
HOW_TO_ALLOW = f"add it to {CORS_ORIGINS_VARIABLE} (comma-separated) and restart `make dev`"


class OriginError(ValueError):
    """A value of BABELCAST_CORS_ORIGINS that is not an origin."""


def parse_origins(value: str, source: str = CORS_ORIGINS_VARIABLE) -> list[str]:
    """Comma-separated origins, each ``scheme://host[:port]`` (http or https, lowercased); empty
    entries are ignored, duplicates dropped. A bad entry raises OriginError naming it, escaped."""
    origins: list[str] = []
    for raw in value.split(","):
        entry = raw.strip()
        if not entry:
            continue
        origin = entry.lower()
        match = _ORIGIN.fullmatch(origin)
        port = match.group("port") if match else None
        if match is None or (port is not None and not 0 < int(port) < 65536):
            shown = printable(entry[:100]) + ("..." if len(entry) > 100 else "")
            raise OriginError(
                f'{source}: "{shown}" is not an origin: write scheme://host[:port] (http or https, no path, '
                "no trailing slash), e.g. http://localhost:5173; separate several with commas"
            )
        if origin not in origins:
            origins.append(origin)
    return origins


def origins_from_environment(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    return tuple(parse_origins((os.environ if environ is None else environ).get(CORS_ORIGINS_VARIABLE, "")))


def declared_origins(environment_root: Path) -> list[str]:
    """The environment root's ``cors_allowed_origins`` (its module block's argument)."""
    with (environment_root / "main.tf").open() as handle:
        modules = hcl2.load(handle).get("module", [])
    blocks = [body for block in modules for label, body in block.items() if label.strip('"') == MODULE]
    declared = blocks[0].get("cors_allowed_origins", []) if blocks else []
    return [str(o).strip('"') for o in declared]


def cors_origins_with(environment_root: Path, *extra: str) -> list[str]:
    """The environment root's CORS origins plus ``extra`` (the API docs viewer's, so its "Try it
    out" works, and BABELCAST_CORS_ORIGINS'), without duplicates."""
    origins = declared_origins(environment_root)
    return origins + [origin for i, origin in enumerate(extra) if origin not in origins and origin not in extra[:i]]
