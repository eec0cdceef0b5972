"""Built-in teaching scenarios, as raftviz script files (package data)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from raftviz.core.etcdtext.describe import escape

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


def not_found(name: str) -> str | None:
    """The one line that tells a user `name` is neither a file nor a built-in scenario - with
    the scenario they probably meant, and every scenario's name - or None when it is one of
    them (anything that exists at that path is judged by the script loader, not here)."""
    if Path(name).exists() or Path(scenario_path(name)).exists():
        return None
    names = [s.name for s in builtin_scenarios()]
    close = difflib.get_close_matches(Path(name).name.removesuffix(".raft"), names, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (
        f"{escape(name)}: neither a file nor a built-in scenario{hint}; "
        f"the scenarios: {', '.join(names)}"
    )
