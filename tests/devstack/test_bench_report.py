"""The pure half of `make bench`: percentiles, verdicts against the targets, the rendered table and
the regenerated section of docs/PERFORMANCE.md (the bench itself is too slow for `make test`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from babelcast_devstack.bench_report import (
    BEGIN_MARKER,
    END_MARKER,
    MET,
    NOT_MET,
    Row,
    not_met,
    percentile,
    render_markdown,
    render_text,
    replace_between_markers,
    rows,
    summarize,
    write_report,
)


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(v) for v in range(10, 0, -1)]  # unsorted on purpose
    assert percentile(values, 0.5) == pytest.approx(5.5)
    assert percentile(values, 0.95) == pytest.approx(9.55)
    assert percentile(values, 0.0) == 1.0 and percentile(values, 1.0) == 10.0
    assert percentile([7.0], 0.99) == 7.0
    assert summarize(values) == {"p50_ms": 5.5, "p95_ms": 9.55, "p99_ms": 9.91, "samples": 10}
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)
    with pytest.raises(ValueError, match="within"):
        percentile(values, 95)


def figures() -> dict[str, Any]:
    def op(p95: float, budget: float, errors: int = 0) -> dict[str, Any]:
        return {
            "p50_ms": p95 / 2,
            "p95_ms": p95,
            "p99_ms": p95 + 1,
            "samples": 100,
            "concurrency": 100,
            "budget_p95_ms": budget,
            "errors": errors,
        }

    return {
        "latency": {
            "POST /sessions": op(1500, 2000),
            "GET /sessions/{id}": op(620, 500),
            "PATCH /sessions/{id}": op(300, 1000, errors=2),
        },
        "overhead": {
            "GET /sessions/{id}": {
                "operation_p50_ms": 24.6,
                "bare_p50_ms": 17.5,
                "bare_calls": ["GetItem"],
                "ratio": 1.41,
            },
            "POST /sessions": {
                "operation_p50_ms": 88.2,
                "bare_p50_ms": 41.5,
                "bare_calls": ["UpdateItem", "PutItem"],
                "ratio": 2.13,
            },
        },
        "aws_calls": {"POST /sessions": {"UpdateItem": 1, "PutItem": 1}},
        "cold_start": {
            "baseline_ms": 1000.0,
            "functions": {
                "http_api": {"median_ms": 1400.0, "import_median_ms": 900},
                "ws_message": {"median_ms": 1600.0},
            },
        },
        "packages": {
            "bytes": {"http_api": 3_022_942, "fat": 5_200_000, "verifier": 9_600_000},
            "max_bytes": {"verifier": 10_000_000},
            "rebuild_identical": False,
            "rebuild_differs": ["fat"],
        },
        "broadcast": {
            "listeners": 500,
            "runs": [
                {"modelled_latency_ms": 0, "parallel_ms": 800.0, "sequential_ms": 760.0},
                {"modelled_latency_ms": 20, "parallel_ms": 900.0, "sequential_ms": 10_800.0},
            ],
        },
    }


def verdicts(table: list[Row]) -> dict[tuple[str, str], str]:
    return {(row.section.split(" ")[0], row.item.split(" x")[0].split(":")[0]): row.verdict for row in table}


def test_each_target_is_judged_from_the_figures() -> None:
    table = rows(figures())
    judged = verdicts(table)
    assert judged[("latency", "POST /sessions")] == MET  # 1.5 s <= 2 s
    assert judged[("latency", "GET /sessions/{id}")] == NOT_MET  # 620 ms > 500 ms
    assert judged[("latency", "PATCH /sessions/{id}")] == NOT_MET  # within budget, but 2 requests failed
    assert judged[("operation", "GET /sessions/{id}")] == MET
    assert judged[("operation", "POST /sessions")] == NOT_MET  # 2.13x > 2.0x
    assert judged[("cold", "http_api")] == MET  # 1.4x
    assert judged[("cold", "ws_message")] == NOT_MET  # 1.6x
    assert judged[("packages", "http_api.zip")] == MET
    assert judged[("packages", "fat.zip")] == NOT_MET  # 5.2 MB
    assert judged[("packages", "verifier.zip")] == MET  # 9.6 MB within its own budget of 10 MB
    assert judged[("packages", "rebuild byte-identical")] == NOT_MET
    broadcast = [row for row in table if row.section == "broadcast fan-out"]
    assert [row.verdict for row in broadcast] == [NOT_MET, MET]  # 0.95x as measured, 12x with 20 ms modelled
    assert "as measured" in broadcast[0].item and "+20 ms modelled" in broadcast[1].item
    assert "= 12.00x" in broadcast[1].figure
    calls = next(row for row in table if row.section.startswith("AWS calls"))
    assert (calls.figure, calls.verdict) == ("2: PutItem 1, UpdateItem 1", "")
    assert len(not_met(table)) == 7


def fanout_design(p95_ms: float, delivered: list[int]) -> dict[str, Any]:
    return {"p50_ms": p95_ms / 2, "p95_ms": p95_ms, "max_ms": p95_ms * 1.2, "segments": 2, "delivered": delivered}


def test_fanout_rows_judge_the_deployed_design_at_ten_thousand_listeners_only() -> None:
    fanout: dict[str, Any] = {
        "cores": 2,
        "round_trip_ms": 20,
        "throttle": {"posts_per_second": 10_000, "burst": 5_000},
        "populations": {
            "WebSocket": {
                "listeners": 1000,
                "designs": {"deployed": fanout_design(3000, [1000, 1000]), "single": fanout_design(900, [1000, 1000])},
            },
            "modelled": {
                "listeners": 10_000,
                "designs": {
                    "deployed": fanout_design(800, [10_000, 9_990]),  # fast, but a segment missed 10 listeners
                    "single": fanout_design(30_000, [10_000, 10_000])
                    | {"cpu_ms_per_post": {"poster": 1.5, "gateway": 0.4}},
                },
            },
        },
    }
    table = [row for row in rows({"fanout": fanout}) if row.item != "model"]
    cpu = table.pop()
    assert (cpu.item, cpu.figure) == (
        "CPU per post, 10,000 modelled listeners, single",
        "poster 1.50 ms | gateway 0.40 ms (process CPU / posts)",
    )
    assert [(row.item.split(" (")[0], row.verdict) for row in table] == [
        ("1,000 WebSocket listeners, deployed", ""),
        ("1,000 WebSocket listeners, single", ""),
        ("10,000 modelled listeners, deployed", NOT_MET),
        ("10,000 modelled listeners, single", ""),
    ]
    assert "delivered 9,990 of 10,000" in table[2].figure and "p95 800.0 ms" in table[2].figure
    fanout["populations"]["modelled"]["designs"]["deployed"] = fanout_design(800, [10_000, 10_000])
    assert not_met(rows({"fanout": fanout})) == []


def test_the_renderings_show_the_figure_next_to_each_verdict() -> None:
    table = rows(figures())
    text = render_text(table)
    line = next(line for line in text.splitlines() if "GET /sessions/{id} x100" in line)
    assert "p95 620.0 ms" in line and "p95 <= 500.0 ms" in line and line.rstrip().endswith(NOT_MET)
    assert "== broadcast fan-out" in text
    markdown = render_markdown(table).splitlines()
    assert len(markdown) == len(table) + 2  # header and separator
    assert all(line.count(" | ") == 4 for line in markdown[2:])  # the figures' own "|" are escaped
    assert "**NOT MET**" in markdown[3]


def test_the_document_section_is_replaced_between_the_markers_only() -> None:
    document = f"# Performance\nintro\n{BEGIN_MARKER}\nold table\n{END_MARKER}\nafter\n"
    once = replace_between_markers(document, "new table\n")
    assert once == f"# Performance\nintro\n{BEGIN_MARKER}\nnew table\n{END_MARKER}\nafter\n"
    assert replace_between_markers(once, "new table") == once
    with pytest.raises(ValueError, match="exactly one"):
        replace_between_markers("# no markers\n", "table")


def test_the_report_is_written_as_json(tmp_path: Path) -> None:
    path = write_report(tmp_path, "bench", {"a": 1.5})
    assert path == tmp_path / ".local" / "reports" / "bench.json"
    assert json.loads(path.read_text()) == {"a": 1.5}
