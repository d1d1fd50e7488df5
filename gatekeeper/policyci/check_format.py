"""Render a check report: text, JSON, JUnit XML (for CI test tabs) or GitHub annotations."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from gatekeeper.policyci.check import Case, CheckReport, Step

_MARK = {"passed": "ok", "failed": "FAIL", "skipped": "skip"}


def _where(case: Case) -> str:
    if case.file is None:
        return ""
    return f"{case.file}:{case.line}: " if case.line else f"{case.file}: "


def render_text(report: CheckReport) -> str:
    """One line a step, then one line a finding as ``file:line: message``."""
    out = [f"gatekeeper check {report.policies}"
           + (f" (revision {report.revision[:19]})" if report.revision else "")]
    for step in report.steps:
        detail = step.skipped if step.skipped and not step.failures else step.summary
        out.append(f"  {_MARK[step.status]:<4} {step.name:<9} {detail}")
    failures = report.failures
    if failures:
        out.append("")
        out += [f"{_where(case)}{step.name}: {case.message}" for step, case in failures]
    out.append("")
    out.append("OK" if report.ok else f"FAILED: {len(failures)} finding(s)")
    return "\n".join(out)


def _case_dict(case: Case) -> dict[str, Any]:
    return {"name": case.name, "status": case.status, "message": case.message or None,
            "file": case.file, "line": case.line, "seconds": round(case.seconds, 4)}


def render_json(report: CheckReport) -> str:
    doc = {
        "ok": report.ok,
        "policies": report.policies,
        "revision": report.revision,
        "coverage": None if report.coverage is None else round(report.coverage, 2),
        "min_coverage": report.min_coverage,
        "steps": [{"name": s.name, "status": s.status, "summary": s.summary,
                   "skipped": s.skipped, "seconds": round(s.seconds, 3),
                   "cases": [_case_dict(c) for c in s.cases]} for s in report.steps],
        "findings": [{"step": s.name, **_case_dict(c)} for s, c in report.failures],
    }
    return json.dumps(doc, indent=2)


def _suite(step: Step) -> ET.Element:
    suite = ET.Element("testsuite", name=f"gatekeeper.{step.name}",
                       tests=str(max(len(step.cases), 1)),
                       failures=str(len(step.failures)),
                       skipped=str(len(step.cases) if step.skipped and not step.cases else 0),
                       time=f"{step.seconds:.3f}")
    cases = step.cases or [Case(step.name, "skipped" if step.skipped else "passed",
                                step.skipped or "")]
    for case in cases:
        attrs = {"classname": f"gatekeeper.{step.name}", "name": case.name,
                 "time": f"{case.seconds:.4f}"}
        if case.file:
            attrs["file"] = case.file
        if case.line:
            attrs["line"] = str(case.line)
        element = ET.SubElement(suite, "testcase", attrs)
        if case.status == "failed":
            failure = ET.SubElement(element, "failure", message=case.message)
            failure.text = f"{_where(case)}{case.message}"
        elif case.status == "skipped":
            ET.SubElement(element, "skipped", message=case.message or "skipped")
    return suite


def render_junit(report: CheckReport) -> str:
    """JUnit XML: a test suite a step, a test case per module, data file, test or example."""
    root = ET.Element("testsuites", name="gatekeeper check")
    for step in report.steps:
        root.append(_suite(step))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: CheckReport) -> str:
    """GitHub Actions workflow commands: ``::error file=F,line=L,title=T::message``."""
    out = []
    for step, case in report.failures:
        props = []
        if case.file:
            props.append(f"file={_escape_property(case.file)}")
        if case.line:
            props.append(f"line={case.line}")
        props.append(f"title={_escape_property(f'gatekeeper check: {step.name}')}")
        out.append(f"::error {','.join(props)}::{_escape_data(case.message)}")
    out.append(render_text(report))
    return "\n".join(out)


RENDERERS = {"text": render_text, "json": render_json, "junit": render_junit,
             "github": render_github}
