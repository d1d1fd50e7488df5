"""Unit tests of impact's parts: git reading, the diff, the report, --fail-on and rendering."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from gatekeeper.policyci import gitsource
from gatekeeper.policyci.errors import SourceError
from gatekeeper.policyci.failon import failures, parse_fail_on
from gatekeeper.policyci.impact import ImpactReport, SideInfo, SideResult, compare
from gatekeeper.policyci.impact_format import (
    COMMENT_MARKER,
    render_json,
    render_markdown,
    render_text,
)
from gatekeeper.policyci.sources import FileSource, resolve_all


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "ci@example.com")
    git(path, "config", "user.name", "CI")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "repo")
    pol = root / "policies"
    (pol / "sub").mkdir(parents=True)
    (pol / "a.rego").write_text("package a\n")
    (pol / "sub" / "data.yaml").write_bytes(b"limit: 1\n\x00binary-safe\n")
    (root / "other.txt").write_text("not policy")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    (pol / "a.rego").write_text("package a\n\nx := 2\n")
    git(root, "commit", "-q", "-am", "second")
    return root


def test_export_reads_each_revision_without_checkout(repo: Path, tmp_path: Path) -> None:
    first = gitsource.resolve(repo, "HEAD~1")
    assert first.subject == "first" and len(first.commit) == 40
    out = tmp_path / "out"
    out.mkdir()
    assert gitsource.export_folder(repo, first, "policies", out) == 2
    assert (out / "a.rego").read_text() == "package a\n"
    assert (out / "sub" / "data.yaml").read_bytes() == b"limit: 1\n\x00binary-safe\n"
    assert not (out / "other.txt").exists()
    with gitsource.RevisionCheckout(repo, gitsource.resolve(repo, "main"), "policies") as tmp:
        assert "x := 2" in (tmp / "a.rego").read_text()
    assert not tmp.exists()
    assert (repo / "policies" / "a.rego").read_text() == "package a\n\nx := 2\n"


def test_unknown_revision_and_missing_folder(repo: Path) -> None:
    with pytest.raises(SourceError, match="unknown git revision 'nope'"):
        gitsource.resolve(repo, "nope")
    with pytest.raises(SourceError, match="not a git revision"):
        gitsource.resolve(repo, "--all")
    rev = gitsource.resolve(repo, "HEAD")
    missing = gitsource.RevisionCheckout(repo, rev, "missing")
    with pytest.raises(SourceError, match="does not exist or is empty at revision HEAD"), missing:
        pass


def test_folder_in_repo(repo: Path, tmp_path: Path) -> None:
    assert gitsource.repo_root(repo / "policies").resolve() == repo.resolve()
    assert gitsource.folder_in_repo(repo, repo / "policies" / "sub") == "policies/sub"
    with pytest.raises(SourceError, match="not inside the git repository"):
        gitsource.folder_in_repo(repo, tmp_path)
    with pytest.raises(SourceError, match="not inside a git repository"):
        gitsource.repo_root(tmp_path)


INPUT = {"request": {"customer": "acme", "environment": "production", "access": "full_admin",
                     "purpose": "software_install"}}


def decision(outcome: str, *, downtime: int = 24, alternatives: tuple[str, ...] = ("portal",),
             extra_reason: bool = False) -> dict:
    reasons = [{"rule": "gk.rules.reprovisioning.consequences", "code": "R1", "message": "m"}]
    if extra_reason:
        reasons.append({"rule": "gk.rules.freeze.outcomes", "code": "F1", "message": "frozen"})
    return {
        "outcome": outcome,
        "summary": "s",
        "consequences": [{"id": "downtime", "kind": "downtime", "severity": "high",
                          "summary": "x", "downtime_hours": downtime,
                          "rule": "gk.rules.reprovisioning.consequences"}],
        "alternatives": [{"id": a, "rule": "gk.alternatives.ranked"} for a in alternatives],
        "conditions": [],
        "escalations": [],
        "approval": {"required": outcome == "needs_approval", "roles": [], "count": 0},
        "reasons": reasons,
    }


def test_compare_names_elements_and_rules() -> None:
    base = SideResult("allow_with_consequences", decision("allow_with_consequences"))
    head = SideResult("needs_approval", decision("needs_approval", downtime=48,
                                                 alternatives=("portal", "session"),
                                                 extra_reason=True))
    change = compare("r1.json", INPUT, base, head)
    assert change is not None
    assert change.transition == ("allow_with_consequences", "needs_approval")
    assert change.added == {"alternatives": ("session",)}
    assert change.modified == {"consequences": ("downtime",)}
    assert change.rules == {"gk.alternatives.ranked": "~", "gk.rules.freeze.outcomes": "+",
                            "gk.rules.reprovisioning.consequences": "~"}
    assert change.approval is not None
    assert change.request == "acme/production full_admin for software_install"
    same = SideResult("allow", decision("allow"))
    assert compare("r", INPUT, same, same) is None
    broken = SideResult("error", problem="policy_error: bad")
    assert compare("r", INPUT, same, broken).problem == "policy_error: bad"  # type: ignore[union-attr]


def sample_report() -> ImpactReport:
    report = ImpactReport(SideInfo("main", "git policies", "a" * 40, "before", "sha256:1"),
                          SideInfo("policies", "working tree", revision="sha256:2"), "examples")
    base = SideResult("allow_with_consequences", decision("allow_with_consequences"))
    head = SideResult("needs_approval", decision("needs_approval", extra_reason=True))
    for i in range(5):
        report.count(base.outcome, head.outcome)
        change = compare(f"req{i}.json", INPUT, base, head)
        assert change is not None
        report.add(change)
    for _ in range(7):
        report.count("allow", "allow")
    report.skip("bad.json", "customer: is required")
    return report


def test_report_counts_and_json() -> None:
    doc = json.loads(render_json(sample_report(), failures(sample_report(), parse_fail_on("any"))))
    assert doc["requests"] == 12 and doc["changed"] == 5 and doc["outcome_changed"] == 5
    assert {"base": "allow_with_consequences", "head": "needs_approval", "count": 5} in doc[
        "transitions"]
    assert doc["customers"] == {"acme": {"allow_with_consequences -> needs_approval": 5}}
    assert doc["rules"]["gk.rules.freeze.outcomes"] == {"+": 5}
    assert len(doc["examples"]) == 3  # a few per transition, not all
    assert doc["skipped"]["count"] == 1
    assert doc["failed"][0]["count"] == 5 and doc["complete"] is True


def test_markdown_and_text() -> None:
    report = sample_report()
    md = render_markdown(report, [])
    assert md.startswith(COMMENT_MARKER)
    assert "| `allow_with_consequences` → `needs_approval` | 5 |" in md
    assert "`gk.rules.freeze.outcomes` | now fires | 5" in md
    assert "no transition matched" in md
    text = render_text(report, [("allow -> deny", 2)])
    assert "allow_with_consequences → needs_approval" in text
    assert "FAIL: allow -> deny: 2" in text
    assert "main @ aaaaaaaaaa (before)" in text


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("allow_with_consequences->needs_approval", 5),
        ("allow_with_consequences → *", 5),
        ("*->deny", 0),
        ("stricter", 5),
        ("looser", 0),
        ("any", 5),
        ("changed", 5),
    ],
)
def test_fail_on(spec: str, expected: int) -> None:
    found = failures(sample_report(), parse_fail_on(spec))
    assert sum(n for _, n in found) == expected


def test_fail_on_rejects_unknown_outcomes() -> None:
    with pytest.raises(ValueError, match="unknown outcome 'alow'"):
        parse_fail_on("alow->deny")
    with pytest.raises(ValueError, match="expected BASE->HEAD"):
        parse_fail_on("sideways")


def test_file_source_accepts_examples_bare_lists_and_jsonl(tmp_path: Path) -> None:
    body = {"customer": "acme", "environment": "production", "access": "read_only",
            "purpose": "audit", "need": "n", "justification": "j", "duration_hours": 1}
    (tmp_path / "a.json").write_text(json.dumps(body))
    (tmp_path / "b.json").write_text(json.dumps({"now": "2026-11-23T09:00:00Z", "request": body,
                                                 "identity": {"subject": "s", "role": "customer",
                                                              "organisation": "acme"}}))
    (tmp_path / "c.json").write_text(json.dumps([body, {"customer": 1}]))
    (tmp_path / "d.jsonl").write_text(json.dumps(body) + "\n\n" + json.dumps(body) + "\n")
    from datetime import UTC, datetime

    items = resolve_all(FileSource(tmp_path, datetime(2026, 1, 1, tzinfo=UTC)))
    assert [i.label.rsplit("/", 1)[-1] for i in items] == [
        "a.json", "b.json", "c.json[0]", "c.json[1]", "d.jsonl:1", "d.jsonl:3"]
    assert items[1].input["identity"]["role"] == "customer"  # type: ignore[index]
    assert items[1].input["request"]["start"] == "2026-11-23T09:00:00Z"  # type: ignore[index]
    assert items[0].input["now"] == "2026-01-01T00:00:00Z"  # type: ignore[index]
    assert items[3].input is None and "customer" in (items[3].problem or "")
    (tmp_path / "e.json").write_text('{"customer":\n  oops}')
    with pytest.raises(SourceError, match=r"e.json:2:3: invalid JSON"):
        resolve_all(FileSource(tmp_path, datetime(2026, 1, 1, tzinfo=UTC)))
