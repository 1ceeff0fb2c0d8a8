#!/usr/bin/env python3
"""Print the path of the Terraform CLI configuration to use, generating one when needed.

* ``TF_PROVIDER_MIRROR=/path`` (a directory holding ``registry.terraform.io/...``) wins.
* Otherwise a provider mirror is looked for in the usual places (air-gapped machines).
* If there is none, Terraform keeps its normal behaviour: the user's own ``TF_CLI_CONFIG_FILE``
  (if any) is printed unchanged, or nothing at all, and providers come from the public registry.

The generated file lives in ``.local/`` (never committed): it is specific to this machine.
It also enables a provider plugin cache so repeated ``terraform init`` runs are fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / ".local" / "terraformrc"
CACHE = ROOT / ".cache" / "terraform-plugins"
MARKER = Path("registry.terraform.io") / "hashicorp" / "aws"
# Filesystems that never hold a provider mirror (and are slow or endless to walk).
SKIPPED = {"proc", "sys", "dev", "run", "tmp", "var", "boot", "snap", "lost+found"}
SEARCH_DEPTH = 3


def _walk(root: Path, depth: int) -> Path | None:
    """Breadth-first, shallow: the directory that holds ``registry.terraform.io/hashicorp/aws``."""
    level = [root]
    for _ in range(depth + 1):
        following: list[Path] = []
        for directory in level:
            if (directory / MARKER).is_dir():
                return directory
            try:
                following += sorted(
                    child
                    for child in directory.iterdir()
                    if child.is_dir() and not child.is_symlink() and child.name not in SKIPPED
                )
            except OSError:
                continue
        level = following
    return None


def find_mirror() -> Path | None:
    """``TF_PROVIDER_MIRROR`` if set; else Terraform's own plugin directory under the home
    directory; else a shallow search of the filesystem (air-gapped machines keep mirrors in
    different places, so none is assumed)."""
    explicit = os.environ.get("TF_PROVIDER_MIRROR")
    if explicit:
        path = Path(explicit)
        if not (path / "registry.terraform.io").is_dir():
            sys.exit(f"TF_PROVIDER_MIRROR={explicit} has no registry.terraform.io directory")
        return path
    return (
        _walk(Path.home() / ".terraform.d" / "plugins", 0)
        or _previous_mirror()
        or _walk(Path(Path.cwd().anchor), SEARCH_DEPTH)
    )


def _previous_mirror() -> Path | None:
    """The mirror the last run found, while it is still there: the Makefile runs this script
    every time make starts, and walking the filesystem each time would cost that every time."""
    if not OUTPUT.is_file():
        return None
    for line in OUTPUT.read_text().splitlines():
        key, _, value = line.strip().partition("=")
        if key.strip() == "path":
            previous = Path(value.strip().strip('"'))
            return previous if (previous / MARKER).is_dir() else None
    return None


def render(mirror: Path | None) -> str:
    lines = [f'plugin_cache_dir = "{CACHE}"', ""]
    if mirror is not None:
        lines += [
            "provider_installation {",
            "  filesystem_mirror {",
            f'    path    = "{mirror}"',
            '    include = ["registry.terraform.io/*/*"]',
            "  }",
            "  direct {",
            '    exclude = ["registry.terraform.io/*/*"]',
            "  }",
            "}",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    mirror = find_mirror()
    user_config = os.environ.get("TF_CLI_CONFIG_FILE", "")
    if mirror is None and user_config and Path(user_config).is_file() and Path(user_config) != OUTPUT:
        print(user_config)  # respect the user's own configuration
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    content = render(mirror)
    if not OUTPUT.exists() or OUTPUT.read_text() != content:
        OUTPUT.write_text(content)
    print(OUTPUT)


if __name__ == "__main__":
    main()
