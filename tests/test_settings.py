"""One typed settings object, read once: defaults, switches, errors naming the variable,
test_config over the environment, Flask's instance folder, and the CLI on the same root."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from gatekeeper import bootstrap
from gatekeeper.app import create_app
from gatekeeper.cli import cli
from gatekeeper.domain import ConfigurationError
from gatekeeper.settings import DEFAULT_POLICIES, PREFIX, Settings
from tests.conftest import EXAMPLES, POLICIES, ROOT

SWITCHES = [f.name.upper() for f in fields(Settings) if f.metadata["parse"].__name__
            in ("parse_bool", "_optional_bool")]
ON = ("1", "true", "yes", "on", "ON", "True", " Yes ")
OFF = ("0", "false", "no", "off", "OFF", "False", " No ")
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/none"


def example() -> Path:
    return next(EXAMPLES.glob("*full_admin*.json"))


def gatekeeper(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m gatekeeper ARGS`` with only the given GATEKEEPER_* variables set."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(PREFIX)}
    clean["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), clean.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-m", "gatekeeper", *args], cwd=cwd,
                          env={**clean, **env}, capture_output=True, text=True, timeout=120,
                          check=False)


def test_the_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.policies is None and settings.policy_folder == DEFAULT_POLICIES
    assert (settings.engine, settings.require_policies) == ("regorus-rvm", True)
    assert settings.database_url is None
    assert (settings.auth, settings.dev, settings.testing) == (True, False, False)
    assert settings.wtf_csrf_enabled is True and settings.log_json is None
    assert (settings.session_hours, settings.token_cache_seconds) == (8.0, 2.0)
    assert (settings.log_level, settings.cli_log_level) == ("INFO", "WARNING")
    assert (settings.host, settings.port, settings.threads) == ("127.0.0.1", 8080, 2)
    assert settings.workers == (os.cpu_count() or 1)
    assert settings.max_content_length == 64 * 1024 and settings.secret_key == "dev"
    assert settings.sso_header is None and settings.env_name == "production"


def test_only_gatekeeper_variables_are_read_and_empty_ones_are_unset() -> None:
    settings = Settings.from_env({"ENGINE": "regopy", "GATEKEEPER_ENGINE": "regorus-rvm",
                                  "GATEKEEPER_CHROMIUM": "/usr/bin/chromium",
                                  "GATEKEEPER_TEST_DATABASE_URL": "sqlite://",
                                  "GATEKEEPER_DATABASE_URL": "  "})
    assert settings.engine == "regorus-rvm" and settings.database_url is None


@pytest.mark.parametrize("key", SWITCHES)
def test_every_switch_reads_on_and_off_the_same_way(key: str) -> None:
    name = key.lower()
    for word in ON:
        assert getattr(Settings.from_env({PREFIX + key: word}), name) is True, word
    for word in OFF:
        assert getattr(Settings.from_env({PREFIX + key: word}), name) is False, word
    with pytest.raises(ConfigurationError, match=f"^{PREFIX}{key} must be one of 1/true"):
        Settings.from_env({PREFIX + key: "maybe"})


@pytest.mark.parametrize(("key", "bad"), [
    ("TOKEN_CACHE_SECONDS", "abc"), ("TOKEN_CACHE_SECONDS", "-1"),
    ("TOKEN_CACHE_SECONDS", "nan"), ("SESSION_HOURS", "0"), ("SESSION_HOURS", "8h"),
    ("MAX_CONTENT_LENGTH", "64k"), ("PORT", "70000"), ("WORKERS", "0"), ("THREADS", "two"),
    ("LOG_LEVEL", "loud"), ("CLI_LOG_LEVEL", "verbose"), ("AUTH", "disabled"),
])
def test_a_bad_value_names_the_variable(key: str, bad: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env({PREFIX + key: bad})
    assert caught.value.detail.startswith(f"{PREFIX}{key} must be ")
    assert repr(bad) in caught.value.detail


def test_typed_values_are_checked_as_well() -> None:
    with pytest.raises(ConfigurationError, match="GATEKEEPER_TOKEN_CACHE_SECONDS must be"):
        Settings(token_cache_seconds=-1)
    with pytest.raises(ConfigurationError, match="GATEKEEPER_PORT must be"):
        Settings().with_overrides({"PORT": 65536})
    with pytest.raises(ConfigurationError, match="GATEKEEPER_NO_SUCH is not a setting"):
        Settings().with_overrides({"NO_SUCH": 1})


def test_secrets_stay_out_of_the_repr() -> None:
    shown = repr(Settings(secret_key="s3cr3t-key", database_url="postgresql://u:pw@h/db"))
    assert "s3cr3t" not in shown and "pw@" not in shown


def test_test_config_overrides_the_environment(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEKEEPER_TOKEN_CACHE_SECONDS", "abc")  # would refuse to start
    monkeypatch.setenv("GATEKEEPER_ENGINE", "regopy")
    monkeypatch.setenv("GATEKEEPER_LOG_JSON", "on")
    app = create_app({"TESTING": True, "POLICIES": str(POLICIES), "TOKEN_CACHE_SECONDS": "0",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
                      "INSTANCE_PATH": str(tmp_path), "SERVER_NAME": "gk.example"})
    settings = bootstrap.settings(app)
    assert settings.token_cache_seconds == 0 and settings.engine == "regopy"
    assert settings.log_json is True and settings.instance_path == tmp_path
    assert bootstrap.services(app).store.current.engine.name == "regopy"
    assert not bootstrap.services(app).identity.token_cache.enabled
    # the guard still reads app.config: the same keys, real types
    assert app.config["LOG_JSON"] is True and app.config["AUTH"] is True
    assert app.config["TESTING"] is True and app.config["TOKEN_CACHE_SECONDS"] == 0
    assert app.config["POLICIES"] == str(POLICIES) and app.instance_path == str(tmp_path)
    assert app.config["SERVER_NAME"] == "gk.example"  # Flask's own keys pass through


def test_the_instance_folder_is_flasks() -> None:
    flask_path = Flask("gatekeeper.app", instance_relative_config=True).instance_path
    assert Settings().instance_path == Path(flask_path)


def test_the_instance_folder_is_flasks_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "prefix", str(ROOT.parent))  # the package "lies under the prefix"
    flask_path = Flask("gatekeeper.app", instance_relative_config=True).instance_path
    assert flask_path.endswith(os.path.join("var", "gatekeeper.app-instance"))
    assert Settings().instance_path == Path(flask_path)


def test_the_readme_documents_every_variable() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name, _, _ in Settings.describe() if f"`{name}`" not in readme]
    assert missing == []


# -- the CLI: the environment read once, options on top, the same composition root --------

def test_a_bad_variable_is_one_line_naming_it(tmp_path: Path) -> None:
    done = gatekeeper("eval", str(example()), env={"GATEKEEPER_TOKEN_CACHE_SECONDS": "abc"},
                      cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: GATEKEEPER_TOKEN_CACHE_SECONDS must be a number of seconds, 0 or more "
        "(0 turns the token cache off), not 'abc'"]
    assert done.stdout == ""


@pytest.mark.parametrize(("value", "json_lines"), [("on", True), ("off", False)])
def test_log_json_on_means_json(tmp_path: Path, value: str, json_lines: bool) -> None:
    """serve logs the failed bundle load, then refuses to start (nothing listens)."""
    done = gatekeeper("serve", "--port", "0", cwd=tmp_path, env={
        "GATEKEEPER_LOG_JSON": value, "GATEKEEPER_POLICIES": str(tmp_path / "missing"),
        "GATEKEEPER_INSTANCE_PATH": str(tmp_path / "instance")})
    assert done.returncode == 2
    line = next(x for x in done.stderr.splitlines() if "policy_load_failed" in x)
    if json_lines:
        assert json.loads(line)["event"] == "policy_load_failed"
    else:
        assert not line.startswith("{")
    assert done.stderr.splitlines()[-1].startswith("error: cannot start:")


def test_eval_never_opens_a_database(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    done = gatekeeper("eval", "--json", str(example()), cwd=tmp_path, env={
        "GATEKEEPER_DATABASE_URL": UNREACHABLE, "GATEKEEPER_INSTANCE_PATH": str(instance)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outcome"] == "needs_approval"
    assert not instance.exists()


def test_options_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEKEEPER_ENGINE", "regopy")
    from_env = CliRunner().invoke(cli, ["eval", "--json", str(example())])
    assert from_env.exit_code == 0, from_env.output
    assert json.loads(from_env.stdout)["policy"]["engine"] == "regopy"
    monkeypatch.setenv("GATEKEEPER_ENGINE", "no-such-engine")
    option = CliRunner().invoke(cli, ["eval", "--json", "--engine", "regorus", str(example())])
    assert option.exit_code == 0, option.output
    assert json.loads(option.stdout)["policy"]["engine"] == "regorus"


def test_reading_the_ledger_loads_no_policy(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEKEEPER_POLICIES", str(tmp_path / "missing"))
    monkeypatch.setenv("GATEKEEPER_DATABASE_URL", f"sqlite:///{tmp_path / 'g.db'}")
    result = CliRunner().invoke(cli, ["requests", "list"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("no requests")


def test_the_root_builds_parts_on_first_use_and_closes_them(tmp_path: Path) -> None:
    settings = Settings(policies=tmp_path / "missing", require_policies=False,
                        database_url=f"sqlite:///{tmp_path / 'g.db'}")
    with bootstrap.Services(settings) as root:
        assert "ledger" not in vars(root) and "store" not in vars(root)
        assert root.requests.expire_due() == []  # the ledger, and no bundle
        assert "ledger" in vars(root) and "store" not in vars(root)
        assert not root.store.ready
    assert root._closers == []


def test_the_settings_module_needs_no_framework() -> None:
    code = ("import sys, gatekeeper.settings; "
            "print(sorted(m for m in ('flask', 'sqlalchemy', 'gatekeeper.service') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"
