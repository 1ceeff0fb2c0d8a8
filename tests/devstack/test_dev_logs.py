"""`make dev`'s terminal: the functions' logs always in functions.log, in the terminal on demand."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babelcast_devstack.dev_logs import DEV_LOGS_VARIABLE, FunctionLogs, function_logs_shown


def test_function_logs_go_to_the_file_and_to_the_terminal_only_when_asked(tmp_path: Path) -> None:
    quiet, loud = io.StringIO(), io.StringIO()
    with FunctionLogs(tmp_path / "quiet.log", show=False, terminal=quiet) as sink:
        sink("fn", '{"event": "request_completed"}')
        sink("fn", "START\r[http] forged")
    with FunctionLogs(tmp_path / "loud.log", show=True, terminal=loud) as sink:
        sink("fn", "hello")
    assert quiet.getvalue() == ""
    assert (tmp_path / "quiet.log").read_text() == '[fn] {"event": "request_completed"}\n[fn] START\\x0d[http] forged\n'
    assert loud.getvalue() == (tmp_path / "loud.log").read_text() == "[fn] hello\n"


@pytest.mark.parametrize(("value", "shown"), [("", False), ("functions", True), (" Functions ", True)])
def test_the_variable_turns_them_on(value: str, shown: bool) -> None:
    assert function_logs_shown({DEV_LOGS_VARIABLE: value}) is shown
    assert function_logs_shown({}) is False
