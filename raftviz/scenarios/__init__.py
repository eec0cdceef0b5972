"""Built-in teaching scenarios, as raftviz script files (package data)."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Scenario:
    """A built-in scenario: its name (what `raftviz NAME` plays), its file and its one-line
    description (the file's first comment line)."""

    name: str
    path: str
    description: str


def builtin_scenarios() -> tuple[Scenario, ...]:
    """Every built-in scenario, by name."""
    found = []
    for path in sorted(FOLDER.glob("*.raft")):
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        description = first.removeprefix("#").strip() if first.startswith("#") else ""
        found.append(Scenario(path.stem, str(path), description))
    return tuple(found)
