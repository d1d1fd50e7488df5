"""``gatekeeper impact`` as a pipeline runs it: a subprocess against a temporary git repo."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from tests.cli_helpers import git, init_policy_repo, run_cli, set_in_block

TRANSITION = {"base": "allow_with_consequences", "head": "needs_approval"}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two commits: the shipped policies, then Silver-tier baseline breaks need approval."""
    root = init_policy_repo(tmp_path_factory.mktemp("impact") / "policy-repo")
    # Base: Globex production holds no customer data, so a full admin grant there is not held
    # by data protection and the Silver tier alone sets its outcome.
    customers = root / "policies" / "customers" / "data.yaml"
    text = customers.read_text()
    erp = text.index("title: Production ERP")
    flag = text.index("holds_customer_data: true", erp)
    customers.write_text(text[:flag] + "holds_customer_data: false" + text[flag + 25:])
    git(root, "commit", "-q", "-am", "Globex production: no customer data")
    tiers = root / "policies" / "sla_tiers" / "data.yaml"
    text = tiers.read_text()
    silver = text[text.index("silver:"):]
    assert "outcome: allow_with_consequences" in silver.split("gold:")[0]
    tiers.write_text(set_in_block(text, "silver", "outcome", "needs_approval"))
    git(root, "commit", "-q", "-am", "Silver: baseline breaks need an approver")
    return root


def silver_customers(repo: Path) -> set[str]:
    customers = yaml.safe_load((repo / "policies" / "customers" / "data.yaml").read_text())
    return {cid for cid, c in customers.items() if c.get("tier") == "silver"}


def test_json_reports_the_flipped_decisions(repo: Path) -> None:
    result = run_cli(repo, "impact", "--base", "HEAD~1", "--head", "HEAD", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    flips = [t for t in doc["transitions"] if t["base"] != t["head"]]
    assert flips and all({k: t[k] for k in ("base", "head")} == TRANSITION for t in flips)
    assert set(doc["customers"]) <= silver_customers(repo)
    assert doc["base"]["commit"] == git(repo, "rev-parse", "HEAD~1")
    assert doc["head"]["subject"] == "Silver: baseline breaks need an approver"
    assert doc["rules"], "the rules responsible are named"
    example = doc["examples"][0]
    assert example["request"].startswith("examples/requests/") and example["rules"]
    assert doc["complete"] is True and doc["requests"] >= 5


def test_markdown_is_a_pull_request_comment(repo: Path) -> None:
    result = run_cli(repo, "impact", "--base", "HEAD~1", "--head", "HEAD",
                     "--format", "markdown", "--report", "impact.json")
    assert result.returncode == 0, result.stderr
    md = result.stdout
    assert md.startswith("<!-- gatekeeper-impact -->")
    assert "| `allow_with_consequences` → `needs_approval` |" in md
    assert "<summary>Rules responsible</summary>" in md
    written = json.loads((repo / "impact.json").read_text())
    assert written["outcome_changed"] >= 1
    (repo / "impact.json").unlink()


def test_fail_on_sets_the_exit_code(repo: Path) -> None:
    hit = run_cli(repo, "impact", "--base", "HEAD~1", "--head", "HEAD",
                  "--fail-on", "allow_with_consequences->needs_approval")
    assert hit.returncode == 1, hit.stderr
    assert "FAIL: allow_with_consequences -> needs_approval" in hit.stdout
    miss = run_cli(repo, "impact", "--base", "HEAD~1", "--head", "HEAD", "--fail-on",
                   "looser,*->deny,*->error")
    assert miss.returncode == 0, miss.stderr
    assert "OK: no transition matched --fail-on" in miss.stdout


def test_head_defaults_to_the_working_tree(repo: Path) -> None:
    result = run_cli(repo, "impact", "--base", "HEAD", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["changed"] == 0 and doc["head"]["source"] == "working tree"
    assert doc["base"]["revision"] == doc["head"]["revision"]


def test_replays_the_ledger(repo: Path, tmp_path: Path) -> None:
    from sqlalchemy import create_engine, insert

    from gatekeeper.ledger.models import AccessRequestRow, Base

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    rows = []
    examples = sorted((repo / "examples" / "requests").glob("*.json"))
    for i, path in enumerate(examples):
        doc = json.loads(path.read_text())
        ident = doc["identity"]
        created = datetime.fromisoformat(doc["now"].replace("Z", "+00:00"))
        rows.append({
            "id": f"00000000-0000-0000-0000-{i:012d}", "customer": doc["request"]["customer"],
            "environment": doc["request"]["environment"], "requester_subject": ident["subject"],
            "requester_organisation": ident.get("organisation"), "state": "granted",
            "request_json": doc["request"], "decision_json": {}, "policy_revision": "x",
            "outcome": "allow", "grant_json": {}, "created_at": created, "updated_at": created,
            "approvals_needed": 0, "version": 1,
        })
    with engine.begin() as conn:
        conn.execute(insert(AccessRequestRow), rows)
    engine.dispose()
    result = run_cli(repo, "impact", "--base", "HEAD~1", "--head", "HEAD", "--ledger", url,
                     "--since", "2020-01-01", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["requests"] + doc["skipped"]["count"] == len(rows)
    assert doc["source"].startswith("ledger sqlite:///")
    flips = [t for t in doc["transitions"] if t["base"] != t["head"]]
    assert flips and flips[0]["base"] == TRANSITION["base"]
    assert all(ex["request"].startswith("ledger:") for ex in doc["examples"])


def one_line_error(result: object, *needles: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)  # type: ignore[attr-defined]
    assert result.stdout == ""  # type: ignore[attr-defined]  # no partial report
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_unknown_revision(repo: Path) -> None:
    one_line_error(run_cli(repo, "impact", "--base", "no-such-branch"),
                   "unknown git revision 'no-such-branch'")


def test_bundle_that_does_not_compile(repo: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(repo / "policies", broken)
    module = broken / "gatekeeper" / "decision.rego"
    module.write_text(module.read_text() + "\nbroken if {\n  input.x ==\n}\n")
    one_line_error(run_cli(repo, "impact", "--base", "HEAD", "--head", str(broken)),
                   "head bundle does not load", "decision.rego:")


def test_request_file_that_is_not_json(repo: Path, tmp_path: Path) -> None:
    requests = tmp_path / "requests"
    requests.mkdir()
    (requests / "bad.json").write_text('{\n  "customer": acme\n}\n')
    one_line_error(run_cli(repo, "impact", "--base", "HEAD", "--requests", str(requests)),
                   "bad.json:2:", "invalid JSON")


def test_database_that_cannot_be_reached(repo: Path, tmp_path: Path) -> None:
    one_line_error(run_cli(repo, "impact", "--base", "HEAD", "--ledger",
                           f"sqlite:///{tmp_path / 'missing.db'}"), "does not exist")
    result = run_cli(repo, "impact", "--base", "HEAD", "--ledger",
                     "postgresql+psycopg://gk:s3cret@127.0.0.1:9/gk")
    one_line_error(result, "cannot connect")
    assert "s3cret" not in result.stderr


def test_usage_errors(repo: Path) -> None:
    one_line_error(run_cli(repo, "impact", "--base", "HEAD", "--fail-on", "allow->maybe"),
                   "unknown outcome 'maybe'")
    one_line_error(run_cli(repo, "impact", "--base", "HEAD", "--since", "2026-01-01"),
                   "--since applies to --ledger only")


def test_help_documents_exit_codes(repo: Path) -> None:
    result = run_cli(repo, "impact", "--help")
    assert result.returncode == 0
    assert "Exit codes: 0" in result.stdout and "2 usage or load error" in result.stdout


def test_examples_ci_files_are_valid_yaml() -> None:
    root = Path(__file__).resolve().parent.parent / "examples" / "ci"
    for name in ("github-actions.yml", "gitlab-ci.yml", "pre-commit-config.yaml"):
        text = (root / name).read_text()
        assert yaml.safe_load(text), name
        assert "gatekeeper check" in text and "gatekeeper impact --base" in text, name
