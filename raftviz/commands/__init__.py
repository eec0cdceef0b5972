"""The subcommands, one module each (run, conform, bench, tui...); `raftviz.cli` only parses
arguments and dispatches to them."""

EXIT_USAGE = 2
"""Exit code of every user error: a bad option, script or file."""

EXIT_INTERRUPTED = 130
"""Exit code after Ctrl-C stopped a command with nothing to report (the shell's own, 128+2)."""

NO_SCRIPT = "no script given (the file name is empty)"
"""An empty name is not the current directory, as a path library would read it."""
