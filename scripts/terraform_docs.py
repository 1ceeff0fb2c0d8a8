#!/usr/bin/env python3
"""Generate the inputs and outputs tables of terraform/README.md from variables.tf and outputs.tf
(between the BEGIN_TF_DOCS / END_TF_DOCS markers, as terraform-docs does).

    python scripts/terraform_docs.py           # rewrite the tables
    python scripts/terraform_docs.py --check   # exit 1 when the README differs from the code
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "terraform"
README = MODULE / "README.md"
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"


def _unquote(value: Any) -> Any:
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value


def _blocks(path: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    with path.open() as handle:
        parsed = hcl2.load(handle)
    return [(name.strip('"'), body) for block in parsed.get(kind, []) for name, body in block.items()]


def _cell(text: str) -> str:
    return " ".join(text.replace('\\"', '"').split()).replace("|", "\\|")


def _type(raw: Any) -> str:
    text = " ".join(str(raw).removeprefix("${").removesuffix("}").split())
    if len(text) > 40:  # a structure: its kind only; the attributes are in the description
        nested = re.match(r"(\w+)\((\w+)\(", text)
        text = f"{nested[1]}({nested[2]})" if nested else text.split("(", 1)[0]
    return f"`{text}`"


def _default(body: dict[str, Any]) -> str:
    if "default" not in body:
        return "required"
    value = _unquote(body["default"])
    return "`null`" if value is None else f"`{json.dumps(value, separators=(', ', ': '))}`"


def tables() -> str:
    inputs = sorted(_blocks(MODULE / "variables.tf", "variable"))
    outputs = sorted(_blocks(MODULE / "outputs.tf", "output"))
    lines = [BEGIN, "## Inputs", "", "| name | description | type | default |", "| --- | --- | --- | --- |"]
    for name, body in inputs:
        description = _cell(_unquote(body.get("description", "")))
        lines.append(f"| `{name}` | {description} | {_type(body.get('type', 'any'))} | {_cell(_default(body))} |")
    lines += ["", "## Outputs", "", "| name | description |", "| --- | --- |"]
    lines += [f"| `{name}` | {_cell(_unquote(body.get('description', '')))} |" for name, body in outputs]
    return "\n".join([*lines, "", END])


def rendered(readme: str) -> str:
    if BEGIN not in readme or END not in readme:
        return readme.rstrip("\n") + "\n\n" + tables() + "\n"
    head, rest = readme.split(BEGIN, 1)
    return head + tables() + rest.split(END, 1)[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when terraform/README.md is out of date")
    args = parser.parse_args(argv)
    current = README.read_text()
    wanted = rendered(current)
    if args.check:
        if current != wanted:
            print("terraform/README.md is out of date: run python scripts/terraform_docs.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
