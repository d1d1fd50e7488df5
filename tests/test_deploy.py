"""The deployment files under deploy/ (docs/deploy.md) parse, name only commands the CLI has and
settings that exist, and probe paths the app serves; and GATEKEEPER_TRUSTED_PROXIES makes the
address a proxy forwards the one the sign-in throttle counts."""

from __future__ import annotations

import configparser
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatekeeper.app import create_app
from gatekeeper.settings import PREFIX, Settings
from tests.cli_helpers import run_cli
from tests.conftest import POLICIES

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
GUIDE = ROOT / "docs" / "deploy.md"
SETTINGS = {PREFIX + key for key in Settings.setting_keys()}
UNITS = sorted((DEPLOY / "systemd").glob("*.service")) + sorted(
    (DEPLOY / "systemd").glob("*.timer"))
MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))
# Not GATEKEEPER_* settings of the service: HAProxy's own addresses, the test suite's database.
NOT_SETTINGS = {"GATEKEEPER_LB_BIND", "GATEKEEPER_SERVER_A", "GATEKEEPER_SERVER_B",
                "GATEKEEPER_TEST_DATABASE_URL"}
_HELP_CHECKED: dict[tuple[str, ...], bool] = {}


def gatekeeper_command(argv: list[str]) -> tuple[str, ...]:
    """The subcommand words of a ``gatekeeper ...`` command line (options dropped)."""
    assert Path(argv[0]).name == "gatekeeper", argv
    return tuple(word for word in argv[1:] if not word.startswith("-"))


def assert_cli_has(words: tuple[str, ...], tmp_path: Path) -> None:
    """``gatekeeper WORDS --help`` succeeds: the command exists as written."""
    if words not in _HELP_CHECKED:
        done = run_cli(tmp_path, *words, "--help", timeout=60)
        _HELP_CHECKED[words] = done.returncode == 0
        assert done.returncode == 0, f"gatekeeper {' '.join(words)}: {done.stderr}"
    assert _HELP_CHECKED[words], words


def settings_named(text: str) -> set[str]:
    return set(re.findall(r"\bGATEKEEPER_[A-Z0-9_]+\b", text)) - NOT_SETTINGS


# -- the container image ----------------------------------------------------------------

def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Containerfile, continuation lines joined."""
    joined, found = "", []
    for line in path.read_text().splitlines():
        if not joined and (not line.strip() or line.lstrip().startswith("#")):
            continue
        joined += line.rstrip("\\").strip() + " " if line.endswith("\\") else line.strip()
        if line.endswith("\\"):
            continue
        word, _, rest = joined.partition(" ")
        found.append((word.upper(), rest.strip()))
        joined = ""
    return found


def test_the_container_image_definition(tmp_path: Path) -> None:
    steps = instructions(DEPLOY / "Containerfile")
    known = {"FROM", "WORKDIR", "COPY", "RUN", "ENV", "USER", "EXPOSE", "STOPSIGNAL",
             "HEALTHCHECK", "CMD", "ENTRYPOINT", "ARG", "LABEL", "VOLUME"}
    assert {word for word, _ in steps} <= known, steps
    assert steps[0][0] == "FROM"
    final = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    image = dict(steps[final:])  # the last value of each instruction in the final stage
    assert image["USER"] not in ("root", "0")
    assert image["EXPOSE"] == "8080" and image["STOPSIGNAL"] == "SIGTERM"
    cmd = json.loads(image["CMD"])
    assert cmd == ["gatekeeper", "serve"]
    assert_cli_has(gatekeeper_command(cmd), tmp_path)
    for word, args in steps:  # what is copied from the build context exists
        if word == "COPY" and not args.startswith("--from"):
            for source in args.split()[:-1]:
                assert (ROOT / source).exists(), source
    env = " ".join(args for word, args in steps if word == "ENV")
    assert settings_named(env) <= SETTINGS
    assert "GATEKEEPER_POLICIES=/etc/gatekeeper/policies" in env


# -- systemd ----------------------------------------------------------------------------

def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None,
                                       comment_prefixes=("#", ";"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read_string(path.read_text(), source=str(path))
    return parser


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_systemd_units(path: Path, tmp_path: Path) -> None:
    parsed = unit(path)
    assert parsed["Unit"]["Description"]
    for name in re.findall(r"[\w-]+\.(?:service|timer)", " ".join(
            parsed["Unit"].get(key, "") for key in ("After", "Requires", "Wants"))):
        assert name in ("network-online.target", "postgresql.service") or \
            (DEPLOY / "systemd" / name).exists(), name
    if path.suffix == ".timer":
        assert parsed["Timer"]["OnCalendar"]
        assert (DEPLOY / "systemd" / parsed["Timer"]["Unit"]).exists()
        return
    service = parsed["Service"]
    assert service["User"] == "gatekeeper" and service["EnvironmentFile"]
    assert_cli_has(gatekeeper_command(shlex.split(service["ExecStart"])), tmp_path)
    if service.get("Type") == "oneshot":
        return
    assert parsed["Install"]["WantedBy"] == "multi-user.target"
    assert service["KillSignal"] == "SIGTERM"


def test_the_serve_unit_outlasts_the_graceful_stop() -> None:
    service = unit(DEPLOY / "systemd" / "gatekeeper.service")["Service"]
    env = dict(line.split("=", 1) for line in
               (DEPLOY / "systemd" / "gatekeeper.env").read_text().splitlines()
               if line and not line.startswith("#"))
    assert set(env) <= SETTINGS
    assert service["KillMode"] == "mixed"  # SIGTERM to the master, which stops its workers
    assert float(service["TimeoutStopSec"]) > float(env["GATEKEEPER_GRACEFUL_TIMEOUT_SECONDS"])


# -- Kubernetes -------------------------------------------------------------------------

def documents() -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for path in MANIFESTS:
        for doc in yaml.safe_load_all(path.read_text()):
            assert isinstance(doc, dict) and doc.get("apiVersion"), path
            key = (doc["kind"], doc["metadata"]["name"]) if "metadata" in doc else \
                (doc["kind"], path.name)
            found[key] = doc
    return found


def pod_specs(docs: dict[tuple[str, str], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    specs = {}
    for (kind, name), doc in docs.items():
        if kind in ("Deployment", "Job"):
            specs[name] = doc["spec"]["template"]["spec"]
        elif kind == "CronJob":
            specs[name] = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return specs


def test_kubernetes_manifests(tmp_path: Path) -> None:
    docs = documents()
    kinds = {kind for kind, _ in docs}
    assert {"Deployment", "Service", "Job", "ConfigMap", "Secret", "CronJob"} <= kinds
    config = docs["ConfigMap", "gatekeeper-config"]["data"]
    secret = docs["Secret", "gatekeeper-secrets"]["stringData"]
    assert set(config) <= SETTINGS
    for name, spec in pod_specs(docs).items():
        for container in spec["containers"]:
            assert_cli_has(gatekeeper_command(container["command"]), tmp_path)
            for ref in container.get("envFrom", []):
                assert ("ConfigMap", ref["configMapRef"]["name"]) in docs
            for var in container.get("env", []):
                assert var["name"] in SETTINGS, (name, var["name"])
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == "gatekeeper-secrets" and ref["key"] in secret
        assert spec["securityContext"]["runAsNonRoot"] is True
    job = pod_specs(docs)["gatekeeper-db-upgrade"]
    assert job["containers"][0]["command"] == ["gatekeeper", "db", "upgrade"]
    assert docs["Job", "gatekeeper-db-upgrade"]["spec"]["template"]["spec"]["restartPolicy"] \
        == "Never"
    kustomized = docs["Kustomization", "kustomization.yaml"]["resources"]
    assert all((DEPLOY / "kubernetes" / r).exists() for r in kustomized)


def test_the_deployment_probes_paths_the_app_serves(tmp_path: Path) -> None:
    docs = documents()
    deployment = docs["Deployment", "gatekeeper"]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["ports"][0]["containerPort"] == 8080
    env = {v["name"]: v.get("value") for v in container["env"]}
    assert env["GATEKEEPER_PORT"] == "8080"
    service = docs["Service", "gatekeeper"]["spec"]
    assert service["selector"].items() <= deployment["spec"]["selector"]["matchLabels"].items()
    # the pod is given longer to stop than preStop plus the graceful timeout
    grace = float(docs["ConfigMap", "gatekeeper-config"]["data"][
        "GATEKEEPER_GRACEFUL_TIMEOUT_SECONDS"])
    pre_stop = float(container["lifecycle"]["preStop"]["exec"]["command"][1])
    assert pod["terminationGracePeriodSeconds"] > grace + pre_stop
    app = create_app({"TESTING": True, "POLICIES": str(POLICIES),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'gk.db'}",
                      "INSTANCE_PATH": str(tmp_path)})
    client = app.test_client()
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert client.get(container[probe]["httpGet"]["path"]).status_code == 200


# -- HAProxy and the guide --------------------------------------------------------------

def test_the_haproxy_config_is_valid() -> None:
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        pytest.skip("HAProxy is not installed (apt-get install haproxy; .ci/run does)")
    env = {"GATEKEEPER_LB_BIND": "127.0.0.1:8443", "GATEKEEPER_SERVER_A": "127.0.0.1:8081",
           "GATEKEEPER_SERVER_B": "127.0.0.1:8082", "PATH": "/usr/sbin:/usr/bin"}
    done = subprocess.run([haproxy, "-c", "-f", str(DEPLOY / "haproxy.cfg")], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_guide_names_every_file_and_only_real_settings() -> None:
    text = GUIDE.read_text()
    for path in sorted(p for p in DEPLOY.rglob("*") if p.is_file()):
        assert str(path.relative_to(ROOT)) in text, f"docs/deploy.md does not mention {path}"
    assert settings_named(text) <= SETTINGS, settings_named(text) - SETTINGS


# -- behind a proxy ---------------------------------------------------------------------

@pytest.mark.parametrize("hops", [0, 1])
def test_trusted_proxies_decide_whose_address_is_throttled(tmp_path: Path, hops: int) -> None:
    """A proxy at 10.0.0.2 forwards 20 failed sign-ins from 198.51.100.7, then one from
    198.51.100.8. With one trusted proxy only the first client is paused (and a header it
    forges does not help it); with none, both share the proxy's address and its pause."""
    app = create_app({"TESTING": True, "POLICIES": str(POLICIES),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'gk.db'}",
                      "INSTANCE_PATH": str(tmp_path), "WTF_CSRF_ENABLED": False,
                      "TRUSTED_PROXIES": str(hops)})
    client = app.test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    def sign_in(client_address: str, name: str, forged: str | None = None) -> int:
        forwarded = f"{forged}, {client_address}" if forged else client_address
        return client.post("/sign-in", data={"username": name, "password": "wrong password"},
                           headers={"X-Forwarded-For": forwarded},
                           environ_base=proxy).status_code

    assert [sign_in("198.51.100.7", f"u{n}@example.com") for n in range(20)] == [401] * 20
    assert sign_in("198.51.100.7", "another@example.com") == 429
    assert sign_in("198.51.100.7", "forged@example.com", forged="192.0.2.1") == 429
    assert sign_in("198.51.100.8", "someone@example.com") == (401 if hops else 429)
