"""Lambda behind every route of the HTTP session API.

One function for all routes: the routes share the same table, models and dependencies, so one
warm process serves them all (fewer cold starts for a frontend that calls POST then GET), and
the per-route permission difference is small (see docs/architecture.md, "One HTTP function").
Handlers only translate HTTP <-> domain; the rules live in ``babelcast.domain``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from babelcast.domain.analytics import AnalyticsService
from babelcast.domain.health import check_health
from babelcast.domain.pagination import CursorCodec
from babelcast.domain.sessions import DEFAULT_PAGE_SIZE, SessionPolicy, SessionService
from babelcast.errors import ValidationFailed
from babelcast.http.app import HttpApp
from babelcast.http.request import HttpRequest
from babelcast.http.responses import HttpResponse, json_response
from babelcast.integration import budget
from babelcast.integration.sessions_table import SessionsTable
from babelcast.metrics import Metrics, flushes_metrics
from babelcast.models import CreateSessionRequest, SessionStatus, UpdateSessionRequest
from babelcast.runtime import cold_start
from babelcast.settings import HttpApiSettings
from babelcast.validation import bounded_details, parse_model

FUNCTION_NAME = "http_api"
SETTINGS = HttpApiSettings  # contract tests read the environment this function needs from here

app = HttpApp(FUNCTION_NAME)


@dataclass(frozen=True)
class Dependencies:
    settings: HttpApiSettings
    sessions_table: SessionsTable
    sessions: SessionService
    analytics: AnalyticsService
    metrics: Metrics


@cache
def dependencies() -> Dependencies:
    """Built on the first invocation, reused while the process stays warm."""
    settings, metrics = cold_start(HttpApiSettings, FUNCTION_NAME)
    sessions_table = SessionsTable(settings.sessions_table_name, quotas_table_name=settings.rate_limits_table_name)
    service = SessionService(
        store=sessions_table,
        policy=SessionPolicy(
            supported_languages=settings.supported_languages,
            session_ttl_hours=settings.session_ttl_hours,
            create_limit_per_minute=settings.create_rate_limit_per_minute,
        ),
        metrics=metrics,
        cursors=CursorCodec.from_keys([key.get_secret_value() for key in settings.cursor_signing_keys]),
    )
    return Dependencies(settings, sessions_table, service, AnalyticsService(sessions_table), metrics)


@flushes_metrics(lambda: dependencies().metrics)
def lambda_handler(event: dict[str, Any], context: Any) -> HttpResponse:
    return app.handle(event, context, dependencies().metrics)


@app.route("POST /sessions", operation="SessionCreation", authenticated=True)
def create_session(request: HttpRequest) -> HttpResponse:
    sessions = dependencies().sessions
    body = parse_model(CreateSessionRequest, request.json_object(), sessions.validation_context)
    session = sessions.create(request.user_id, body, resend_key=request.resend_key)
    return json_response(201, session.to_api(), {"Location": f"/sessions/{session.session_id}"})


@app.route("GET /sessions/{sessionId}", operation="SessionRetrieval", authenticated=False)
def get_session(request: HttpRequest) -> HttpResponse:
    session = dependencies().sessions.get(request.path_parameters.get("sessionId", ""))
    return json_response(200, session.to_api())


@app.route("PATCH /sessions/{sessionId}", operation="SessionUpdate", authenticated=True)
def update_session(request: HttpRequest) -> HttpResponse:
    sessions = dependencies().sessions
    body = parse_model(UpdateSessionRequest, request.json_object(), sessions.validation_context)
    session = sessions.update(
        request.path_parameters.get("sessionId", ""), request.user_id, body, resend_key=request.resend_key
    )
    return json_response(200, session.to_api())


@app.route("DELETE /sessions/{sessionId}", operation="SessionDeletion", authenticated=True)
def delete_session(request: HttpRequest) -> HttpResponse:
    dependencies().sessions.end(request.path_parameters.get("sessionId", ""), request.user_id)
    return json_response(204)


@app.route("GET /sessions/{sessionId}/analytics", operation="SessionAnalytics", authenticated=True)
def session_analytics(request: HttpRequest) -> HttpResponse:
    analytics = dependencies().analytics.for_owner(request.path_parameters.get("sessionId", ""), request.user_id)
    return json_response(200, analytics.to_api())


@app.route("GET /sessions", operation="SessionListing", authenticated=True)
def list_sessions(request: HttpRequest) -> HttpResponse:
    query = request.query
    unknown = sorted(set(query) - {"limit", "nextToken", "status"})
    if unknown:
        raise ValidationFailed(details=bounded_details(((name,), "unknown query parameter") for name in unknown))
    limit_text = query.get("limit", str(DEFAULT_PAGE_SIZE))
    if not (limit_text.isascii() and limit_text.isdigit()):
        raise ValidationFailed(details=[("limit", "must be an integer between 1 and 100")])
    status = None
    if "status" in query:
        if query["status"] not in SessionStatus._value2member_map_:
            raise ValidationFailed(details=[("status", "must be one of active, paused, ended")])
        status = SessionStatus(query["status"])
    page = dependencies().sessions.list(request.user_id, int(limit_text), query.get("nextToken"), status)
    return json_response(200, page.to_api())


@app.route("GET /health", operation="HealthCheck", authenticated=False)
def health(request: HttpRequest) -> HttpResponse:
    deps = dependencies()
    with budget.within(budget.HEALTH_PROBE_SECONDS):  # a stalled dependency is reported, not waited for
        report = check_health(
            {"dynamodb": deps.sessions_table.ping},
            version=deps.settings.service_version,
            environment=deps.settings.environment,
        )
    return json_response(200 if report.healthy else 503, report.body)
