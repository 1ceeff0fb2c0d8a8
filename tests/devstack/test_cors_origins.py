"""`make dev`'s browser origins: BABELCAST_CORS_ORIGINS validated before anything starts, joined
to the environment root's dev-server origins and the docs viewer's."""

from __future__ import annotations

from pathlib import Path

import pytest
from babelcast_devstack import cli
from babelcast_devstack.cors_origins import (
    CORS_ORIGINS_VARIABLE,
    OriginError,
    cors_origins_with,
    declared_origins,
    origins_from_environment,
    parse_origins,
)
from babelcast_devstack.terraform import repository_root


def test_origins_are_parsed_lowercased_and_deduplicated() -> None:
    value = " http://localhost:9000, HTTPS://App.Example.com ,,http://localhost:9000, http://10.0.0.7:65535"
    assert parse_origins(value) == ["http://localhost:9000", "https://app.example.com", "http://10.0.0.7:65535"]
    assert parse_origins("") == [] and parse_origins(" , ") == []
    assert origins_from_environment({CORS_ORIGINS_VARIABLE: "http://localhost:1234"}) == ("http://localhost:1234",)
    assert origins_from_environment({}) == ()


@pytest.mark.parametrize(
    "bad",
    [
        "localhost:5173",
        "http://localhost:5173/",
        "http://localhost:5173/app",
        "ftp://host",
        "http://host:0",
        "http://host:70000",
        "*",
        "http://user@host",
        "http://host:5173?x=1",
    ],
)
def test_a_value_that_is_not_an_origin_is_a_clear_error(bad: str) -> None:
    with pytest.raises(OriginError) as error:
        parse_origins(f"http://localhost:9000,{bad}")
    message = str(error.value)
    assert message.startswith(f'{CORS_ORIGINS_VARIABLE}: "{bad}" is not an origin: write scheme://host[:port]')


def test_the_error_escapes_what_it_quotes() -> None:
    with pytest.raises(OriginError) as error:
        parse_origins("http://ok\n[http] forged line\x1b[31m" + "x" * 300)
    message = str(error.value)
    assert "\n" not in message and "\x1b" not in message
    assert "http://ok\\x0a[http] forged line\\x1b[31m" in message and "x" * 101 not in message


def test_make_dev_refuses_a_bad_value_before_starting_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CORS_ORIGINS_VARIABLE, "http://localhost:5173/")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["up", "--no-package"])
    assert str(exit_.value).startswith(f'error: {CORS_ORIGINS_VARIABLE}: "http://localhost:5173/" is not an origin')
    monkeypatch.delenv(CORS_ORIGINS_VARIABLE)
    monkeypatch.setenv("BABELCAST_DEV_LOGS", "function")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["up", "--no-package"])
    assert str(exit_.value) == "error: BABELCAST_DEV_LOGS: unknown value function; use `functions` (or leave it unset)"


def test_the_local_workspace_allows_the_common_dev_servers() -> None:
    origins = declared_origins(repository_root() / "terraform" / "environments" / "local")
    for port in (5173, 3000, 4200, 8080):
        assert {f"http://localhost:{port}", f"http://127.0.0.1:{port}"} <= set(origins)
    assert parse_origins(",".join(origins)) == origins, "each is an origin the module's validation admits"


def test_extra_origins_join_the_environment_root_once(tmp_path: Path) -> None:
    root = tmp_path / "main.tf"
    root.write_text(
        'module "babelcast" {\n  log_level = "DEBUG"\n  cors_allowed_origins = ["http://localhost:5173"]\n}\n'
    )
    docs, extra = "http://127.0.0.1:8002", "http://localhost:9000"
    assert cors_origins_with(tmp_path, docs, extra) == ["http://localhost:5173", docs, extra]
    assert cors_origins_with(tmp_path, "http://localhost:5173", extra, extra) == ["http://localhost:5173", extra]
    root.write_text('module "babelcast" {\n  log_level = "DEBUG"\n}\n')
    assert cors_origins_with(tmp_path, docs) == [docs]
