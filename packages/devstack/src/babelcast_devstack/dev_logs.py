"""What `make dev` prints: one line per request by default; the functions' own output (their JSON
logs, Lambda's START/END/REPORT lines) always goes to <local dir>/functions.log, and to the
terminal too on demand (BABELCAST_DEV_LOGS=functions, or `make dev VERBOSE=1`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TextIO

from babelcast_devstack.invocation import printable

DEV_LOGS_VARIABLE = "BABELCAST_DEV_LOGS"
_CHOICES = {"functions"}


def function_logs_shown(environ: Mapping[str, str] | None = None) -> bool:
    """Whether BABELCAST_DEV_LOGS asks for the functions' logs in the terminal; a value it does not
    know is an error (a typo must not silently hide what was asked for)."""
    value = (os.environ if environ is None else environ).get(DEV_LOGS_VARIABLE, "")
    wanted = {part.strip().lower() for part in value.split(",") if part.strip()}
    unknown = wanted - _CHOICES
    if unknown:
        shown = printable(", ".join(sorted(unknown))[:100])
        raise ValueError(f"{DEV_LOGS_VARIABLE}: unknown value {shown}; use `functions` (or leave it unset)")
    return "functions" in wanted


class FunctionLogs:
    """The Lambda runtime's log sink: every line to the file, and to ``terminal`` when shown."""

    def __init__(self, path: Path, *, show: bool, terminal: TextIO | None = None) -> None:
        self.path = path
        self.show = show
        self.terminal = terminal or sys.stdout
        self._file = path.open("w", encoding="utf-8")  # each start begins a new file

    def __call__(self, function_name: str, line: str) -> None:
        text = f"[{function_name}] {printable(line)}\n"  # a \r or escape code cannot forge a line
        self._file.write(text)
        self._file.flush()
        if self.show:
            self.terminal.write(text)
            self.terminal.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> FunctionLogs:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
