"""``babelcast``: sessions from the command line. Errors are one readable line (message, code,
correlation id) on stderr with a non-zero exit code, never a traceback."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import wave
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from babelcast_client.audio import wav_chunks
from babelcast_client.config import ClientConfig, ConfigurationError
from babelcast_client.errors import BabelcastError
from babelcast_client.http import SessionHttpClient
from babelcast_client.models import Session
from babelcast_client.orchestrator import SessionCreationOrchestrator
from babelcast_client.retry import RetryPolicy
from babelcast_client.speaker import SpeakerClient, StreamStats
from babelcast_client.websocket import ListenerClient

EXIT_ERROR = 1
EXIT_USAGE = 2
DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRIES = 3


def parser() -> argparse.ArgumentParser:
    # accepted before or after the command; SUPPRESS keeps a subcommand's absent flag from hiding the root's
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("--http-url", help="HTTP API URL (BABELCAST_HTTP_URL)")
    common.add_argument("--ws-url", dest="websocket_url", help="WebSocket URL (BABELCAST_WS_URL)")
    common.add_argument("--token", help="a Cognito ID or access token (BABELCAST_TOKEN)")
    common.add_argument("--username", help="Cognito username (BABELCAST_USERNAME)")
    common.add_argument("--password", help="Cognito password (BABELCAST_PASSWORD)")
    common.add_argument("--client-id", help="Cognito app client id (BABELCAST_CLIENT_ID)")
    common.add_argument("--region", help="Cognito region (BABELCAST_REGION, AWS_REGION)")
    common.add_argument("--cognito-endpoint", help="Cognito endpoint URL, for an emulator (BABELCAST_COGNITO_ENDPOINT)")
    common.add_argument("--timeout", type=float, help=f"seconds per HTTP attempt (default {DEFAULT_TIMEOUT:g})")
    common.add_argument("--retries", type=int, help=f"retries after 5xx/network errors (default {DEFAULT_RETRIES})")
    common.add_argument("-v", "--verbose", action="store_true", help="log retries and reconnections")
    root = argparse.ArgumentParser(
        prog="babelcast",
        parents=[common],
        description="Manage Babelcast sessions. URLs and credentials come from flags, BABELCAST_* environment "
        "variables, or the local stack's .local/endpoints.json.",
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    create = commands.add_parser("create", parents=[common], help="create a session")
    create.add_argument("--language", default="en", help="source language (default en)")
    create.add_argument("--tier", default="standard", choices=["standard", "premium"])
    create.add_argument("--legacy", action="store_true", help="create over the WebSocket (createSession)")

    get = commands.add_parser("get", parents=[common], help="show a session (public)")
    get.add_argument("session_id")

    listing = commands.add_parser("list", parents=[common], help="list your sessions, newest first")
    listing.add_argument("--status", choices=["active", "paused", "ended"])
    listing.add_argument("--limit", type=int, help="page size (1-100)")
    listing.add_argument("--all", action="store_true", help="follow nextToken through every page")
    listing.add_argument("--next-token", help="continue from this page token")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")

    end = commands.add_parser("end", parents=[common], help="end a session")
    end.add_argument("session_id")

    stream = commands.add_parser("stream", parents=[common], help="stream a 16-bit mono 16 kHz WAV file as the speaker")
    stream.add_argument("wav")
    stream.add_argument("--session-id", help="an existing session (default: create one)")
    stream.add_argument("--language", default="en", help="source language of a created session")
    stream.add_argument("--realtime", action="store_true", help="pace the audio in real time")
    stream.add_argument("--chunk-ms", type=int, default=100, help="milliseconds of audio per message")
    stream.add_argument("--end", action="store_true", help="end the session afterwards")

    listen = commands.add_parser(
        "listen", parents=[common], help="print a session's messages for one language (JSON lines)"
    )
    listen.add_argument("session_id")
    listen.add_argument("--language", default="en", help="target language")
    listen.add_argument("--count", type=int, help="stop after this many messages")
    return root


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        options = parser().parse_args(argv)
    except SystemExit as exit_:  # argparse already printed the usage line
        return int(exit_.code or 0)
    logging.basicConfig(
        level=logging.INFO if getattr(options, "verbose", False) else logging.ERROR,
        stream=err,
        format="babelcast: %(message)s",
    )
    try:
        return COMMANDS[options.command](options, out, err)
    except ConfigurationError as error:
        print(f"babelcast: error: {error.one_line()}", file=err)
        return EXIT_USAGE
    except BabelcastError as error:
        print(f"babelcast: error: {error.one_line()}", file=err)
        return EXIT_ERROR
    except (OSError, ValueError, wave.Error) as error:
        print(f"babelcast: error: {error}", file=err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("babelcast: interrupted", file=err)
        return 130


def _config(options: argparse.Namespace) -> ClientConfig:
    flags = {field.name: getattr(options, field.name, None) for field in dataclasses.fields(ClientConfig)}
    return ClientConfig.resolve(flags)


def _http(options: argparse.Namespace, config: ClientConfig, *, authenticated: bool = True) -> SessionHttpClient:
    policy = RetryPolicy(
        max_retries=getattr(options, "retries", DEFAULT_RETRIES), timeout=getattr(options, "timeout", DEFAULT_TIMEOUT)
    )
    url = config.require_http()
    return SessionHttpClient(url, config.token_provider() if authenticated else None, retry=policy)


def _print_json(value: Any, out: TextIO) -> None:
    print(json.dumps(value, indent=2), file=out)


def _create(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    config = _config(options)
    with _http(options, config) as http:
        if not options.legacy:
            _print_json(http.create_session(options.language, options.tier).to_api(), out)
            return 0
        provider = http.token_provider
        assert provider is not None
        orchestrator = SessionCreationOrchestrator(
            http, config.require_websocket(), provider, use_http_session_creation=False, heartbeat_interval=None
        )
        created = orchestrator.create_session(options.language, options.tier)
        created.speaker.close()
        _print_json(created.session.to_api(), out)
    return 0


def _get(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _http(options, _config(options), authenticated=False) as http:
        _print_json(http.get_session(options.session_id).to_api(), out)
    return 0


def _list(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _http(options, _config(options)) as http:
        if options.all:
            sessions, token = list(http.iter_sessions(page_size=options.limit, status=options.status)), None
        else:
            page = http.list_sessions(limit=options.limit, next_token=options.next_token, status=options.status)
            sessions, token = page.sessions, page.next_token
    if options.json:
        _print_json({"sessions": [s.to_api() for s in sessions], "nextToken": token}, out)
        return 0
    for session in sessions:
        print(_row(session), file=out)
    if token:
        print(f"more: babelcast list --next-token {token}", file=err)
    return 0


def _row(session: Session) -> str:
    created = datetime.fromtimestamp(session.created_at / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return (
        f"{session.session_id:<32} {session.status.value:<7} {session.source_language:<3} "
        f"{session.quality_tier:<8} listeners={session.listener_count:<4} created {created}"
    )


def _end(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _http(options, _config(options)) as http:
        http.delete_session(options.session_id)
    print(f"ended {options.session_id}", file=out)
    return 0


def _stream(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    next(wav_chunks(options.wav, options.chunk_ms), None)  # a missing or unusable file fails before any session
    config = _config(options)
    with _http(options, config) as http:
        provider = http.token_provider
        assert provider is not None
        session_id = options.session_id or http.create_session(options.language).session_id
        print(f"session {session_id}", file=out)

        def progress(stats: StreamStats) -> None:
            if stats.chunks % 10 == 0:
                print(
                    f"\rsent {stats.chunks} chunks, {stats.audio_seconds:.1f} s of audio", end="", file=err, flush=True
                )

        with SpeakerClient(config.require_websocket(), session_id, provider) as speaker:
            stats = speaker.stream_wav(
                options.wav, chunk_ms=options.chunk_ms, realtime=options.realtime, on_progress=progress
            )
            speaker.heartbeat()  # messages are handled in order: the ack means every chunk was taken
            acknowledged = speaker.next_message("heartbeatAck", timeout=30) is not None
            refused = list(iter(lambda: speaker.next_message("error", timeout=0), None))
        print(
            f"\rsent {stats.chunks} chunks, {stats.audio_seconds:.1f} s of audio"
            f"{'' if acknowledged else ' (no acknowledgement from the server)'}",
            file=err,
        )
        for message in refused:
            print(
                f"babelcast: server refused a message: {message.get('message')} (code {message.get('code')})", file=err
            )
        if options.end:
            http.delete_session(session_id)
            print(f"ended {session_id}", file=out)
    return EXIT_ERROR if refused or not acknowledged else 0


def _listen(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    config = _config(options)
    received = 0
    with ListenerClient(config.require_websocket(), options.session_id, options.language) as listener:
        for message in listener:
            print(json.dumps(message), file=out, flush=True)
            received += 1
            if options.count and received >= options.count:
                break
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO, TextIO], int]] = {
    "create": _create,
    "get": _get,
    "list": _list,
    "end": _end,
    "stream": _stream,
    "listen": _listen,
}


if __name__ == "__main__":
    sys.exit(main())
