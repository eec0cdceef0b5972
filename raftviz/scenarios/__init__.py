"""Built-in teaching scenarios, as raftviz script files (package data)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

FOLDER = Path(str(resources.files("raftviz.scenarios")))
"""Where the built-in scenarios are installed."""


def scenario_path(name: str) -> str:
    """A path as given, or a built-in scenario by name when no such file exists."""
    if Path(name).exists():
        return name
    builtin = FOLDER / f"{name.removesuffix('.raft')}.raft"
    return str(builtin) if builtin.exists() else name


def is_builtin(path: str) -> bool:
    """True for one of the built-in scenarios (which play as lectures by default)."""
    return Path(path).resolve().parent == FOLDER.resolve()
