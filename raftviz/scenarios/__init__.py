"""Built-in teaching scenarios, as raftviz script files (package data)."""

from __future__ import annotations

from pathlib import Path


def scenario_path(name: str) -> str:
    """A path as given, or a built-in scenario by name when no such file exists."""
    if Path(name).exists():
        return name
    from importlib import resources

    builtin = Path(str(resources.files("raftviz.scenarios"))) / f"{name.removesuffix('.raft')}.raft"
    return str(builtin) if builtin.exists() else name
