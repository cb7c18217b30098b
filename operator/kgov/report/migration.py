"""The migration gate's own part of a report: per-Ingress verdicts as a terminal table and as
Markdown blocks (blocked Ingresses first, so they survive the size budget)."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from kgov.migration.readiness import BLOCKED, NEEDS_REVIEW, READY, IngressReadiness, Readiness
from kgov.report.budget import PRIORITY_DETAILS, PRIORITY_HEAD, PRIORITY_ROWS, Block
from kgov.report.mdtext import code, escape, row

VERDICT_ICONS = {READY: "✅", NEEDS_REVIEW: "🟠", BLOCKED: "⛔"}
VERDICT_STYLES = {READY: "green", NEEDS_REVIEW: "yellow", BLOCKED: "bold red"}
VERDICT_ORDER = {BLOCKED: 0, NEEDS_REVIEW: 1, READY: 2}
MAX_MISMATCH_ROWS = 50  # per Ingress in the Markdown report


def _ingresses(count: int) -> str:
    return f"{count} Ingress" if count == 1 else f"{count} Ingresses"


def summary(result: Readiness) -> str:
    counts = {v: sum(1 for i in result.ingresses if i.verdict == v) for v in (BLOCKED, NEEDS_REVIEW, READY)}
    parts = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
    return f"{result.verdict} — {_ingresses(len(result.ingresses))}" + (f": {parts}" if parts else "")


def annotation_counts(item: IngressReadiness) -> str:
    counts: dict[str, int] = {}
    for mapped in item.annotations:
        counts[mapped.klass] = counts.get(mapped.klass, 0) + 1
    return " ".join(f"{k}×{n}" for k, n in sorted(counts.items())) or "none"


def parity(item: IngressReadiness) -> str:
    """The parity cell: the status, with the count of mismatches or why it is undecided."""
    found, reason = len(item.parity.mismatches), item.parity.reason
    return item.parity.status + (f" ({found})" if found else "") + (f": {reason}" if reason else "")


def most_blocked_first(result: Readiness) -> list[IngressReadiness]:
    return sorted(result.ingresses, key=lambda i: VERDICT_ORDER[i.verdict])


# ---- terminal --------------------------------------------------------------------------------


def render_readiness_table(result: Readiness, console: Console) -> None:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for column in ("Verdict", "Ingress", "Annotations", "Parity", "Findings"):
        table.add_column(column, overflow="fold", ratio=2 if column == "Findings" else None)
    for item in most_blocked_first(result):
        table.add_row(
            Text(item.verdict, style=VERDICT_STYLES[item.verdict]),
            Text(item.view.obj.display()),
            Text(annotation_counts(item)),
            Text(parity(item)),
            Text(", ".join(sorted({f.check.split(".", 1)[1] for f in item.findings})) or "—"),
        )
    console.print(Text(f"Migration verdict: {summary(result)}", style=VERDICT_STYLES[result.verdict]))
    if result.ingresses:
        console.print(table)
    console.print()


# ---- Markdown --------------------------------------------------------------------------------


def _ingress_row(item: IngressReadiness) -> str:
    checks = ", ".join(code(c, cell=True) for c in sorted({f.check for f in item.findings})) or "—"
    return row(
        [
            f"{VERDICT_ICONS[item.verdict]} {item.verdict}",
            code(item.view.obj.display(), cell=True),
            escape(annotation_counts(item)),
            parity(item),
            checks,
        ]
    )


def _details(item: IngressReadiness) -> str | None:
    mismatches = item.parity.mismatches
    if not item.annotations and not mismatches:
        return None
    body = []
    if item.annotations:
        body += ["| Annotation | Class | Gateway API | Note |", "|---|---|---|---|"]
        for a in item.annotations:
            body.append(
                row([code(a.key, cell=True), escape(a.klass), escape(a.equivalent) or "—", escape(a.note)])
            )
    if mismatches:
        body += ["", "| Probe | Ingress | Routes |", "|---|---|---|"]
        body += [
            row([code(m.probe, cell=True), escape(m.ingress), escape(m.routes)])
            for m in mismatches[:MAX_MISMATCH_ROWS]
        ]
        if len(mismatches) > MAX_MISMATCH_ROWS:
            body.append(f"\n…and {len(mismatches) - MAX_MISMATCH_ROWS} more (see `-o json`).")
    summary_text = f"{escape(item.view.obj.display())}: {item.verdict}, parity {item.parity.status}"
    return "\n".join(["", "<details>", f"<summary>{summary_text}</summary>", "", *body, "", "</details>"])


def readiness_blocks(result: Readiness, head: list[str]) -> list[Block]:
    """The verdict, one row per Ingress and one folded section per Ingress with something to show,
    blocked Ingresses first."""
    items = most_blocked_first(result)
    blocks = [
        Block(
            [*head, f"{VERDICT_ICONS[result.verdict]} **{escape(summary(result))}**"], priority=PRIORITY_HEAD
        )
    ]
    if not items:
        return blocks
    total = len(items)

    def more_rows(n: int) -> str:
        noun = "Ingress" if n == 1 else "Ingresses"
        shown = f"{total - n} of {total} above, blocked first"
        return f"\n…and {n} more {noun} not shown ({shown}; `-o json` has them all)."

    head_rows = ["", "| Verdict | Ingress | Annotations | Parity | Findings |", "|---|---|---|---|---|"]
    blocks.append(Block(head_rows, [_ingress_row(i) for i in items], priority=PRIORITY_ROWS, more=more_rows))
    details = [text for text in map(_details, items) if text is not None]
    if details:
        blocks.append(
            Block(
                items=details,
                priority=PRIORITY_DETAILS,
                optional=True,
                more=lambda n: (
                    f"\n…and the details of {_ingresses(n)} more not shown (`-o json` has them all)."
                ),
            )
        )
    return blocks
