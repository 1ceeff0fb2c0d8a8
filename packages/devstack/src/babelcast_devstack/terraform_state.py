"""Reading the applied Terraform state (`terraform show -json`): what both the gateway's
configuration and the triggers read it through."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def _resources(module: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _resources(child)


def managed_resources(root_module: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
    """The attribute values of every managed resource of the module and its children, by type."""
    by_type: dict[str, list[Mapping[str, Any]]] = {}
    for resource in _resources(root_module):
        if resource.get("mode") == "managed":
            by_type.setdefault(resource["type"], []).append(resource.get("values") or {})
    return by_type


def first_block(values: Any) -> Mapping[str, Any] | None:
    """A nested block (the state lists them even where there can be one), or None."""
    if isinstance(values, list):
        return values[0] if values else None
    return values if isinstance(values, Mapping) else None
