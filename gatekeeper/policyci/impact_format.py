"""Render an impact report as terminal text, a pull-request comment (Markdown) or JSON."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from gatekeeper.policyci.impact import ARROW, Change, ImpactReport, SideInfo

COMMENT_MARKER = "<!-- gatekeeper-impact -->"
_SIGN_WORD = {"+": "now fires", "-": "no longer fires", "~": "answers differently"}
_TOP = 10


def _side(side: SideInfo) -> str:
    if side.commit:
        subject = f" ({side.subject})" if side.subject else ""
        return f"{side.spec} @ {side.commit[:10]}{subject}"
    return f"{side.spec}"


def _tr(t: tuple[str, str]) -> str:
    return f"{t[0]} {ARROW} {t[1]}"


def _headline(report: ImpactReport) -> str:
    if not report.total:
        return "No requests were replayed."
    if not report.changed:
        return f"No decision changes across {report.total:,} requests."
    pct = 100.0 * report.flipped / report.total
    return (
        f"{report.flipped:,} of {report.total:,} decisions change outcome ({pct:.1f}%); "
        f"{report.changed:,} differ in any way."
    )


def _element_lines(report: ImpactReport) -> list[tuple[str, str, str, int]]:
    """(kind, verb, id, count) for every element added, removed or modified."""
    rows = []
    for kind, verbs in sorted(report.elements.items()):
        for verb in ("added", "removed", "modified"):
            for ident, n in sorted(verbs.get(verb, Counter()).items(), key=lambda i: (-i[1], i[0])):
                rows.append((kind, verb, ident, n))
    return rows


def _rule_lines(report: ImpactReport) -> list[tuple[str, str, int]]:
    rows = []
    for rule, signs in report.rules.items():
        for sign, n in signs.items():
            rows.append((rule, sign, n))
    return sorted(rows, key=lambda r: (-r[2], r[0], r[1]))


def _change_detail(change: Change) -> str:
    parts = []
    for verb, groups in (("+", change.added), ("-", change.removed), ("~", change.modified)):
        for kind, ids in groups.items():
            parts.append(f"{verb}{kind[:-1] if kind.endswith('s') else kind} {', '.join(ids)}")
    if change.approval:
        parts.append("approval changed")
    if change.problem:
        parts.append(change.problem)
    rules = [f"{sign}{rule}" for rule, sign in change.rules.items()]
    if rules:
        parts.append(f"rules: {' '.join(rules)}")
    return "; ".join(parts) or "details changed"


def render_text(report: ImpactReport, failed: list[tuple[str, int]] | None = None) -> str:
    """Readable lines for a terminal or a CI log."""
    out = [
        f"Impact: {_side(report.base)} {ARROW} {_side(report.head)}",
        f"Requests: {report.total:,} from {report.source}"
        + (f" ({report.skipped:,} skipped: not valid requests)" if report.skipped else ""),
        _headline(report),
    ]
    if report.outcome_changes:
        out += ["", "Outcome transitions:"]
        out += [f"  {_tr(t):<50} {n:>8,}" for t, n in report.outcome_changes]
    if report.changed > report.flipped:
        n_same = report.changed - report.flipped
        out.append(f"  {'same outcome, other details changed':<50} {n_same:>8,}")
    if report.customers:
        out += ["", "By customer:"]
        for customer, counts in sorted(report.customers.items(),
                                       key=lambda i: (-sum(i[1].values()), i[0]))[:_TOP]:
            detail = ", ".join(f"{_tr(t)} {n}" for t, n in counts.most_common())
            out.append(f"  {customer}: {sum(counts.values()):,} ({detail})")
    elements = _element_lines(report)
    if elements:
        out += ["", "Consequences, alternatives, conditions and escalations:"]
        out += [f"  {verb:<8} {kind[:-1]:<12} {ident:<36} {n:>8,}"
                for kind, verb, ident, n in elements[: _TOP * 2]]
    rules = _rule_lines(report)
    if rules:
        out += ["", "Rules responsible:"]
        out += [f"  {sign} {rule:<60} {n:>8,}  ({_SIGN_WORD[sign]})"
                for rule, sign, n in rules[: _TOP * 2]]
    if report.examples:
        out += ["", "Examples:"]
        for t, group in sorted(report.examples.items()):
            for change in group:
                out.append(f"  [{_tr(t)}] {change.label}: {change.request}")
                out.append(f"      {_change_detail(change)}")
    for label, problem in report.skipped_examples:
        out.append(f"  skipped {label}: {problem}")
    if failed is not None:
        out.append("")
        if failed:
            out += [f"FAIL: {what}: {n:,}" for what, n in failed]
        else:
            out.append("OK: no transition matched --fail-on")
    out.append(f"({report.seconds:.2f}s, {report.workers} worker(s))")
    return "\n".join(out)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def render_markdown(report: ImpactReport, failed: list[tuple[str, int]] | None = None) -> str:
    """A pull-request comment; the hidden marker lets a workflow update its previous comment."""
    status = ""
    if failed:
        status = " — :x: " + "; ".join(f"{_md_escape(w)}: {n:,}" for w, n in failed)
    elif failed is not None:
        status = " — :white_check_mark: no transition matched `--fail-on`"
    out = [
        COMMENT_MARKER,
        f"### Policy impact{status}",
        "",
        f"**Base** `{_md_escape(_side(report.base))}` {ARROW} "
        f"**head** `{_md_escape(_side(report.head))}`  ",
        f"Replayed **{report.total:,}** requests from `{_md_escape(report.source)}`"
        + (f" ({report.skipped:,} skipped: not valid requests)" if report.skipped else "")
        + ".",
        "",
        f"**{_headline(report)}**",
    ]
    if report.outcome_changes:
        out += ["", "| transition | requests |", "|---|---:|"]
        out += [f"| `{t[0]}` {ARROW} `{t[1]}` | {n:,} |" for t, n in report.outcome_changes]
        if report.changed > report.flipped:
            out.append(f"| same outcome, details changed | {report.changed - report.flipped:,} |")
    if report.customers:
        out += ["", "<details><summary>By customer</summary>", "",
                "| customer | changed | transitions |", "|---|---:|---|"]
        for customer, counts in sorted(report.customers.items(),
                                       key=lambda i: (-sum(i[1].values()), i[0])):
            detail = ", ".join(f"{_tr(t)} {n:,}" for t, n in counts.most_common())
            out.append(f"| {_md_escape(customer)} | {sum(counts.values()):,} | {detail} |")
        out += ["", "</details>"]
    elements = _element_lines(report)
    if elements:
        out += ["", "<details><summary>Consequences and alternatives</summary>", "",
                "| change | kind | id | requests |", "|---|---|---|---:|"]
        out += [f"| {verb} | {kind[:-1]} | `{_md_escape(ident)}` | {n:,} |"
                for kind, verb, ident, n in elements]
        out += ["", "</details>"]
    rules = _rule_lines(report)
    if rules:
        out += ["", "<details><summary>Rules responsible</summary>", "",
                "| rule | effect | requests |", "|---|---|---:|"]
        out += [f"| `{_md_escape(rule)}` | {_SIGN_WORD[sign]} | {n:,} |"
                for rule, sign, n in rules]
        out += ["", "</details>"]
    if report.examples:
        out += ["", "<details><summary>Examples</summary>", ""]
        for t, group in sorted(report.examples.items()):
            for change in group:
                out.append(f"- **{_tr(t)}** `{_md_escape(change.label)}` — "
                           f"{_md_escape(change.request)}: {_md_escape(_change_detail(change))}")
        out += ["", "</details>"]
    out += ["", f"<sub>gatekeeper impact · {report.seconds:.1f}s</sub>"]
    return "\n".join(out) + "\n"


def render_json(report: ImpactReport, failed: list[tuple[str, int]] | None = None) -> str:
    """The whole report as one JSON document; ``failed`` lists matched --fail-on transitions."""
    doc: dict[str, Any] = report.to_dict()
    doc["complete"] = True
    doc["failed"] = [{"transition": w, "count": n} for w, n in (failed or [])]
    return json.dumps(doc, indent=2, ensure_ascii=False)


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}
