"""The pure half of the benchmarks (`make bench`, `make bench-dev`, `make bench-ws`): percentiles,
target verdicts, the table (text and Markdown) built from a run's figures, and where reports go.
Everything but `write_report` and `print_figures` is pure, and unit-tested."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MET, NOT_MET, INFO = "met", "NOT MET", ""
BEGIN_MARKER, END_MARKER = "<!-- bench:begin -->", "<!-- bench:end -->"
# Targets of issue 6 (the p95 budgets per operation come from the seeds and travel in the figures).
OVERHEAD_RATIO_TARGET = 2.0
COLD_START_RATIO_TARGET = 1.5
ZIP_BYTES_TARGET = 5_000_000
BROADCAST_SPEEDUP_TARGET = 10.0
# Issue 17: one segment to 10 000 listeners of a language, p95 <= 1 s (20 ms round trip, account throttle)
FANOUT_P95_TARGET_MS = 1000.0
FANOUT_TARGET_LISTENERS = 10_000
FANOUT_SECTION = "fan-out at scale: PutRecord -> each listener"


def percentile(values: Iterable[float], fraction: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default); fraction in [0, 1]."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction {fraction} is not within [0, 1]")
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(values_ms: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values_ms, 0.50), 2),
        "p95_ms": round(percentile(values_ms, 0.95), 2),
        "p99_ms": round(percentile(values_ms, 0.99), 2),
        "samples": len(values_ms),
    }


def at_most(value: float | None, target: float) -> str:
    return NOT_MET if value is None or value > target else MET


def at_least(value: float | None, target: float) -> str:
    return NOT_MET if value is None or value < target else MET


def ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 2) if denominator > 0 else None


@dataclass(frozen=True)
class Row:
    section: str
    item: str
    figure: str
    target: str = ""
    verdict: str = INFO


def _ms(value: float) -> str:
    return f"{value:,.1f} ms"


def _ratio_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def rows(figures: Mapping[str, Any]) -> list[Row]:
    """Every line of the report, with its verdict, from the figures a run measured."""
    out: list[Row] = []
    for name, op in figures.get("latency", {}).items():
        budget = float(op["budget_p95_ms"])
        errors = int(op.get("errors", 0))
        figure = f"p50 {_ms(op['p50_ms'])} | p95 {_ms(op['p95_ms'])} | p99 {_ms(op['p99_ms'])}"
        verdict = at_most(op["p95_ms"], budget)
        if errors:
            figure += f" | {errors} failed"
            verdict = NOT_MET
        out.append(
            Row(
                "latency (local stack)",
                f"{name} x{op['samples']} ({op['concurrency']} at once)",
                figure,
                f"p95 <= {_ms(budget)}",
                verdict,
            )
        )
    for name, op in figures.get("overhead", {}).items():
        value = op.get("ratio")
        calls = " + ".join(op["bare_calls"])
        figure = f"{_ms(op['operation_p50_ms'])} vs {_ms(op['bare_p50_ms'])} bare ({calls}) = {_ratio_text(value)}"
        out.append(
            Row(
                "operation p50 / bare AWS calls p50",
                name,
                figure,
                f"<= {OVERHEAD_RATIO_TARGET:.1f}x",
                at_most(value, OVERHEAD_RATIO_TARGET),
            )
        )
    for name, calls in figures.get("aws_calls", {}).items():
        listed = ", ".join(f"{call} {count}" for call, count in sorted(calls.items()))
        out.append(Row("AWS calls per operation (counted live)", name, f"{sum(calls.values())}: {listed}"))
    cold = figures.get("cold_start")
    if cold:
        baseline = float(cold["baseline_ms"])
        out.append(
            Row("cold start (median, fresh interpreter)", "baseline: import boto3 + create a client", _ms(baseline))
        )
        for name, fn in cold["functions"].items():
            value = ratio(float(fn["median_ms"]), baseline)
            figure = f"{_ms(fn['median_ms'])} = {_ratio_text(value)} baseline"
            if "import_median_ms" in fn:
                figure += f" (import alone {_ms(fn['import_median_ms'])})"
            out.append(
                Row(
                    "cold start (median, fresh interpreter)",
                    f"{name}: import handler + first invocation",
                    figure,
                    f"<= {COLD_START_RATIO_TARGET:.1f}x",
                    at_most(value, COLD_START_RATIO_TARGET),
                )
            )
    packages = figures.get("packages")
    if packages:
        for name, size in packages["bytes"].items():
            budget = packages.get("max_bytes", {}).get(name, ZIP_BYTES_TARGET)  # each zip's own, when recorded
            out.append(
                Row(
                    "packages",
                    f"{name}.zip",
                    f"{size / 1e6:.2f} MB",
                    f"<= {budget / 1e6:.0f} MB",
                    at_most(size, budget),
                )
            )
        identical = packages.get("rebuild_identical")
        differing = ", ".join(packages.get("rebuild_differs", [])) or "none"
        out.append(
            Row(
                "packages",
                "rebuild byte-identical",
                "yes" if identical else f"no (differs: {differing})",
                "identical",
                MET if identical else NOT_MET,
            )
        )
    broadcast = figures.get("broadcast")
    if broadcast:
        for run in broadcast["runs"]:
            speedup = ratio(run["sequential_ms"], run["parallel_ms"])
            label = f"{broadcast['listeners']} listeners, @connections round trip " + (
                "as measured (loopback)"
                if not run["modelled_latency_ms"]
                else f"+{run['modelled_latency_ms']} ms modelled"
            )
            figure = (
                f"parallel {_ms(run['parallel_ms'])} vs one by one {_ms(run['sequential_ms'])} = {_ratio_text(speedup)}"
            )
            reached = [run.get(f"{how}_delivered", broadcast["listeners"]) for how in ("parallel", "sequential")]
            if min(reached) < broadcast["listeners"]:
                figure += f" (reached {reached[0]} / {reached[1]} of {broadcast['listeners']})"
            out.append(
                Row(
                    "broadcast fan-out",
                    label,
                    figure,
                    f">= {BROADCAST_SPEEDUP_TARGET:.0f}x",
                    at_least(speedup, BROADCAST_SPEEDUP_TARGET),
                )
            )
    out += _fanout_rows(figures.get("fanout"))
    return out


def _fanout_rows(fanout: Mapping[str, Any] | None) -> list[Row]:
    """Listeners x design x p50/p95/max; the deployed design at 10 000 listeners has the target."""
    if not fanout:
        return []
    throttle = fanout["throttle"]
    out = [
        Row(
            FANOUT_SECTION,
            "model",
            f"@connections round trip {fanout['round_trip_ms']} ms, account throttle "
            f"{throttle['posts_per_second']:,}/s burst {throttle['burst']:,}; {fanout['cores']} cores",
        )
    ]
    for name, population in fanout["populations"].items():
        for design, result in population["designs"].items():
            listeners = int(result.get("listeners", population["listeners"]))  # one shard: fewer
            delivered = result.get("delivered", [])
            figure = (
                f"p50 {_ms(result['p50_ms'])} | p95 {_ms(result['p95_ms'])} | max {_ms(result['max_ms'])}"
                if "p95_ms" in result
                else "nothing delivered"
            )
            complete = bool(delivered) and min(delivered) >= listeners
            if not complete:
                figure += f" | delivered {min(delivered, default=0):,} of {listeners:,} (worst segment)"
            target, verdict = "", INFO
            if design == "deployed" and listeners >= FANOUT_TARGET_LISTENERS:
                target = f"p95 <= {_ms(FANOUT_P95_TARGET_MS)}"
                verdict = at_most(result.get("p95_ms"), FANOUT_P95_TARGET_MS) if complete else NOT_MET
            item = f"{listeners:,} {name} listeners, {design} ({result['segments']} segments)"
            out.append(Row(FANOUT_SECTION, item, figure, target, verdict))
            if cpu := result.get("cpu_ms_per_post"):
                item = f"CPU per post, {listeners:,} {name} listeners, {design}"
                gateway = f" | gateway {cpu['gateway']:.2f} ms" if "gateway" in cpu else ""
                figure = f"poster {cpu['poster']:.2f} ms{gateway} (process CPU / posts)"
                out.append(Row(FANOUT_SECTION, item, figure))
    return out


def render_text(table: Sequence[Row]) -> str:
    columns = [(r.item, r.figure, r.target, r.verdict) for r in table]
    widths = [max((len(c[i]) for c in columns), default=0) for i in range(3)]
    lines: list[str] = []
    section = None
    for row, cells in zip(table, columns, strict=True):
        if row.section != section:
            section = row.section
            lines += ["", f"== {section}"]
        lines.append("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells[:3])) + f"  {cells[3]}")
    return "\n".join(lines).strip("\n") + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(table: Sequence[Row]) -> str:
    lines = ["| Section | Item | Figure | Target | Verdict |", "|---|---|---|---|---|"]
    verdicts = {MET: "met", NOT_MET: "**NOT MET**", INFO: ""}
    for row in table:
        cells = (row.section, row.item, row.figure, row.target, verdicts[row.verdict])
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def not_met(table: Sequence[Row]) -> list[Row]:
    return [row for row in table if row.verdict == NOT_MET]


def replace_between_markers(document: str, generated: str) -> str:
    """Put ``generated`` between the bench markers of ``document`` (which must have them, once)."""
    if document.count(BEGIN_MARKER) != 1 or document.count(END_MARKER) != 1:
        raise ValueError(f"the document needs exactly one {BEGIN_MARKER} and one {END_MARKER}")
    head, rest = document.split(BEGIN_MARKER)
    _, tail = rest.split(END_MARKER)
    return f"{head}{BEGIN_MARKER}\n{generated.strip()}\n{END_MARKER}{tail}"


def print_figures(figures: Mapping[str, Any]) -> None:
    """The flat key/value table of `make bench-dev` and `make bench-ws`."""
    width = max(len(key) for key in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")


def write_report(root: Path, name: str, figures: Mapping[str, Any]) -> Path:
    """Write ``.local/reports/<name>.json`` under ``root``; returns its path."""
    path = root / ".local" / "reports" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n")
    return path
