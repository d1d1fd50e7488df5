"""One typed settings object: every ``GATEKEEPER_*`` variable parsed and validated once.

The app and every CLI command hand a ``Settings`` to the composition root; nothing else reads
the environment. The defaults live in the field defaults; ``Settings.validate`` (run by the
constructor) checks every value, so a ``Settings`` that exists is a valid one. A bad value
raises ``ConfigurationError`` naming the variable. Imports only ``gatekeeper.domain``.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path, PurePath
from typing import Any

from gatekeeper.domain import ConfigurationError
from gatekeeper.domain.notice import SmtpServer, parse_webhook_secrets

PREFIX = "GATEKEEPER_"
DEFAULT_POLICIES = Path(__file__).resolve().parent.parent / "policies"
APP_NAME = "gatekeeper.app"  # the Flask app's import name: its default instance folder
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
DEFAULT_TOKEN_CACHE_SECONDS = 2.0  # as gatekeeper.service.token_cache.DEFAULT_SECONDS


def default_instance_path() -> Path:
    """The folder Flask picks for ``Flask("gatekeeper.app", instance_relative_config=True)``,
    computed as Flask's ``find_package`` does (the CLI finds the app's SQLite file):
    ``<project root>/instance`` from a checkout, ``<prefix>/var/gatekeeper.app-instance``
    when installed."""
    package_path = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    prefix = os.path.abspath(sys.prefix)
    if PurePath(package_path).is_relative_to(prefix):
        return Path(prefix, "var", f"{APP_NAME}-instance")
    site_parent, site_folder = os.path.split(package_path)
    if site_folder.lower() == "site-packages":
        parent, folder = os.path.split(site_parent)
        if folder.lower() == "lib":  # Windows: prefix/lib/site-packages
            root = parent
        elif os.path.basename(parent).lower() == "lib":  # prefix/lib/pythonX.Y/site-packages
            root = os.path.dirname(parent)
        else:  # prefix/site-packages
            root = site_parent
        return Path(root, "var", f"{APP_NAME}-instance")
    return Path(package_path, "instance")


# -- parsers: (variable name, raw value) -> typed value; errors name the variable ----------

def _problem(name: str, expected: str, value: Any) -> ConfigurationError:
    return ConfigurationError(f"{PREFIX}{name} must be {expected}, not {value!r}")


def parse_bool(name: str, value: Any) -> bool:
    """The one reading of a switch: 1/true/yes/on or 0/false/no/off, any case; else an error."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise _problem(name, "one of 1/true/yes/on or 0/false/no/off", value)


def _optional_bool(name: str, value: Any) -> bool | None:
    if isinstance(value, str) and value.strip().lower() in ("", "auto"):
        return None
    return parse_bool(name, value)


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _problem(name, "a non-empty text", value)
    return value.strip()


def _optional_text(name: str, value: Any) -> str | None:
    if isinstance(value, str) and not value.strip():
        return None
    return _text(name, value)


def _secret(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _problem(name, "a text", value)
    return value


def _path(name: str, value: Any) -> Path:
    if not isinstance(value, str | PurePath) or not str(value).strip():
        raise _problem(name, "a folder path", value)
    return Path(str(value).strip())


def _absolute_path(name: str, value: Any) -> Path:
    """A folder made absolute against the working directory (Flask requires that)."""
    return Path(os.path.abspath(_path(name, value)))


def _optional_path(name: str, value: Any) -> Path | None:
    if isinstance(value, str) and not value.strip():
        return None
    return _path(name, value)


def _policy_location(name: str, value: Any) -> Path | str | None:
    """A bundle folder or archive file (a path), or an http(s):// bundle URL (kept as text)."""
    text = value.strip() if isinstance(value, str) else ""
    return text if text.startswith(("http://", "https://")) else _optional_path(name, value)


def _optional_url(name: str, value: Any) -> str | None:
    return None if isinstance(value, str) and not value.strip() else _url(name, value)


def _number(minimum: float, expected: str, above: bool = False) -> Callable[[str, Any], float]:
    """A parser of finite numbers from ``minimum`` on (above it when ``above``)."""

    def parse(name: str, value: Any) -> float:
        try:
            number = math.nan if isinstance(value, bool) else float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or number < minimum or (above and number == minimum):
            raise _problem(name, expected, value)
        return number

    return parse


def _integer(minimum: int, maximum: int, expected: str) -> Callable[[str, Any], int]:
    """A parser of whole numbers from ``minimum`` to ``maximum``."""

    def parse(name: str, value: Any) -> int:
        try:
            number = int(value) if isinstance(value, int) and not isinstance(value, bool) \
                else int(str(value).strip())
        except ValueError:
            number = minimum - 1
        if not minimum <= number <= maximum:
            raise _problem(name, expected, value)
        return number

    return parse


def _smtp_url(name: str, value: Any) -> str | None:
    text = _optional_text(name, value)
    if text is not None:
        SmtpServer.parse(PREFIX + name, text)
    return text


def _webhook_secrets(name: str, value: Any) -> str | None:
    text = _optional_text(name, value)
    if text is not None:
        parse_webhook_secrets(PREFIX + name, text)
    return text


def _url(name: str, value: Any) -> str:
    text = _text(name, value)
    if not text.startswith(("http://", "https://")):
        raise _problem(name, "an http:// or https:// address", value)
    return text.rstrip("/")


def _level(name: str, value: Any) -> str:
    level = str(value).strip().upper()
    if level not in LOG_LEVELS:
        raise _problem(name, "one of " + ", ".join(LOG_LEVELS), value)
    return level


def _meta(parse: Callable[[str, Any], Any], meaning: str) -> dict[str, Any]:
    """A field's parser (which also checks a typed value) and its meaning in a few words."""
    return {"parse": parse, "meaning": meaning}


_SECONDS = "a number of seconds, 0 or more (0 turns the token cache off)"
_MAX = 2**31


@dataclass(frozen=True)
class Settings:
    """Every setting of the service, typed; field ``foo_bar`` is ``GATEKEEPER_FOO_BAR`` and the
    ``create_app(test_config)`` key ``FOO_BAR``."""

    # the policy bundle
    policies: Path | str | None = field(default=None, metadata=_meta(
        _policy_location, "policy bundle: a folder, an OPA bundle .tar.gz or its http(s):// URL "
        "(unset: the bundled policies/)"))
    policy_poll_seconds: float = field(default=5.0, metadata=_meta(
        _number(0, "a number of seconds, 0 or more (0: reload on SIGHUP only)"),
        "how often each serve worker looks for a changed bundle (0: SIGHUP only)"))
    engine: str = field(default="regorus-rvm", metadata=_meta(
        _text, "Rego engine: regorus-rvm (compiled), regorus (the reference), regopy or opa"))
    engine_check_requests: int = field(default=200, metadata=_meta(
        _integer(0, _MAX, "a number of requests, 0 or more"),
        "synthetic requests a bundle must answer as the reference engine does before an "
        "engine other than regorus serves it (0: off)"))
    require_policies: bool = field(default=True, metadata=_meta(
        parse_bool, "refuse to start when the bundle does not load"))
    # engine opa: the OPA server (docs/opa.md); the token stays out of repr
    opa_url: str | None = field(default=None, metadata=_meta(
        _optional_url, "the OPA server engine opa evaluates on, http(s)://host:port"))
    opa_token: str | None = field(default=None, repr=False, metadata=_meta(
        _optional_text, "bearer token sent to the OPA server"))
    opa_ca_file: Path | None = field(default=None, metadata=_meta(
        _optional_path, "CA file of the OPA server's TLS certificate (unset: the system's)"))
    opa_verify: bool = field(default=True, metadata=_meta(
        parse_bool, "verify the OPA server's TLS certificate (off only for tests)"))
    opa_timeout_seconds: float = field(default=2.0, metadata=_meta(
        _number(0, "a number of seconds above 0", above=True), "one OPA call's time limit"))
    # the ledger (a URL may hold a password: kept out of repr, as the secret key)
    database_url: str | None = field(default=None, repr=False, metadata=_meta(
        _optional_text, "ledger database, a SQLAlchemy URL (unset: SQLite in the instance "
        "folder)"))
    instance_path: Path = field(default_factory=default_instance_path, metadata=_meta(
        _absolute_path, "folder for local state (the SQLite file)"))
    # who may call, and how
    secret_key: str = field(default="dev", repr=False, metadata=_meta(
        _secret, "signs sessions and CSRF tokens; the default is refused outside DEV/TESTING"))
    dev: bool = field(default=False, metadata=_meta(
        parse_bool, "development: plain-HTTP cookies, the built-in secret key allowed"))
    testing: bool = field(default=False, metadata=_meta(
        parse_bool, "Flask's test mode (allows what DEV allows)"))
    auth: bool = field(default=True, metadata=_meta(
        parse_bool, "off: every caller is the local engineer (needs DEV)"))
    sso_header: str | None = field(default=None, metadata=_meta(
        _optional_text, "user header set by a trusted SSO proxy (unset: ignored)"))
    sso_role_header: str | None = field(default=None, metadata=_meta(
        _optional_text, "the SSO proxy's role header"))
    sso_org_header: str | None = field(default=None, metadata=_meta(
        _optional_text, "the SSO proxy's organisation header (customer role)"))
    session_hours: float = field(default=8.0, metadata=_meta(
        _number(0, "a number of hours above 0", above=True), "web session lifetime, hours"))
    token_cache_seconds: float = field(default=DEFAULT_TOKEN_CACHE_SECONDS, metadata=_meta(
        _number(0, _SECONDS), "how long a worker remembers an accepted API token (0: off)"))
    wtf_csrf_enabled: bool = field(default=True, metadata=_meta(
        parse_bool, "CSRF protection of the web forms"))
    max_content_length: int = field(default=64 * 1024, metadata=_meta(
        _integer(1, _MAX, "a number of bytes, 1 or more"), "largest request body, bytes"))
    # logging
    log_json: bool | None = field(default=None, metadata=_meta(
        _optional_bool, "JSON log lines (unset or auto: JSON unless stderr is a terminal)"))
    log_level: str = field(default="INFO", metadata=_meta(_level, "the service's log level"))
    cli_log_level: str = field(default="WARNING", metadata=_meta(
        _level, "the log level of the other CLI commands"))
    env_name: str = field(default="production", metadata=_meta(
        _text, "name of this deployment"))
    decision_log_url: str | None = field(default=None, metadata=_meta(
        _optional_url, "HTTP collector that decision-log batches are POSTed to, gzipped "
        "(unset: decision logs go to the log only)"))
    decision_log_buffer: int = field(default=10000, metadata=_meta(
        _integer(1, _MAX, "a number of events, 1 or more"),
        "decision-log events held for the collector; more are dropped and counted"))
    # gatekeeper serve
    host: str = field(default="127.0.0.1", metadata=_meta(_text, "where serve listens"))
    port: int = field(default=8080, metadata=_meta(
        _integer(0, 65535, "a port number from 0 to 65535"), "the port serve listens on"))
    workers: int = field(default_factory=lambda: os.cpu_count() or 1, metadata=_meta(
        _integer(1, 1024, "a number of processes, 1 or more"),
        "gunicorn worker processes (default: one per core)"))
    threads: int = field(default=2, metadata=_meta(
        _integer(1, 1024, "a number of threads, 1 or more"), "threads per gunicorn worker"))
    graceful_timeout_seconds: float = field(default=30.0, metadata=_meta(
        _number(0, "a number of seconds above 0", above=True),
        "on SIGTERM, how long serve lets requests in flight finish before it stops them"))
    trusted_proxies: int = field(default=0, metadata=_meta(
        _integer(0, 10, "a number of proxies from 0 to 10"),
        "proxies in front of serve whose X-Forwarded-For and X-Forwarded-Proto are trusted "
        "(0: none, the connection's address is the client's)"))
    idempotency_key_hours: float = field(default=24.0, metadata=_meta(
        _number(0, "a number of hours above 0", above=True),
        "how long an Idempotency-Key is remembered; after that it is pruned and reusing it "
        "records a new request"))
    housekeeping_seconds: float = field(default=300.0, metadata=_meta(
        _number(0, "a number of seconds, 0 or more (0 turns it off)"),
        "how often each dispatcher expires ended grants and prunes old Idempotency-Keys "
        "(0: off, run gatekeeper expire from cron)"))

    # notifications (docs/notifications.md); the SMTP URL and the secrets stay out of repr
    smtp_url: str | None = field(default=None, repr=False, metadata=_meta(
        _smtp_url, "mail server: smtp://[user:password@]host[:port][?starttls=1] or smtps://"
        " (unset: e-mail messages wait and are dead-lettered)"))
    smtp_from: str = field(default="gatekeeper@localhost", metadata=_meta(
        _text, "the From address of notification e-mail"))
    webhook_secrets: str | None = field(default=None, repr=False, metadata=_meta(
        _webhook_secrets, "label=whsec_… pairs, comma-separated: the signing secrets that "
        "customer data names by label"))
    public_url: str = field(default="http://127.0.0.1:8080", metadata=_meta(
        _url, "the address people open the console and request pages at (links in messages)"))
    dispatcher: bool = field(default=True, metadata=_meta(
        parse_bool, "serve runs the notification dispatcher (off: run gatekeeper dispatch)"))
    outbox_max_attempts: int = field(default=8, metadata=_meta(
        _integer(1, 1000, "a number of attempts, 1 or more"),
        "tries of a message before it is dead-lettered"))
    outbox_retry_seconds: float = field(default=30.0, metadata=_meta(
        _number(0, "a number of seconds above 0", above=True),
        "first retry delay; doubles each try, with jitter, up to an hour"))
    outbox_lease_seconds: float = field(default=60.0, metadata=_meta(
        _number(0, "a number of seconds above 0", above=True),
        "how long a dispatcher holds an item before another may retry it"))
    outbox_poll_seconds: float = field(default=2.0, metadata=_meta(
        _number(0, "a number of seconds above 0", above=True),
        "how often an idle dispatcher looks for work"))
    notify_timeout_seconds: float = field(default=10.0, metadata=_meta(
        _number(0, "a number of seconds above 0", above=True),
        "how long a delivery may take (SMTP or HTTP) before it counts as failed"))

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Parse every field (environment text or typed value); ConfigurationError names it."""
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None or f.default is not None:
                object.__setattr__(self, f.name, f.metadata["parse"](f.name.upper(), value))

    # -- building ------------------------------------------------------------------------

    @classmethod
    def setting_keys(cls) -> tuple[str, ...]:
        """The setting names without the prefix (``POLICIES``, ``TOKEN_CACHE_SECONDS`` ...)."""
        return tuple(f.name.upper() for f in fields(cls))

    @classmethod
    def from_env(cls, environ: Mapping[str, str],
                 overrides: Mapping[str, Any] | None = None) -> Settings:
        """Settings from ``GATEKEEPER_*`` variables (an empty one counts as unset), then
        ``overrides`` by key (``create_app``'s test_config, the CLI's options) on top."""
        values: dict[str, Any] = {}
        for key in cls.setting_keys():
            text = environ.get(PREFIX + key)
            if text is not None and text.strip():
                values[key] = text
        values.update(overrides or {})
        return cls(**cls._parse(values))

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        """A copy with ``overrides`` (by key, text or typed) applied, validated again."""
        return replace(self, **self._parse(overrides))

    @classmethod
    def _parse(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        """Key -> field name; None stands for the default (parsing is ``validate``'s)."""
        known = {f.name.upper(): f for f in fields(cls)}
        parsed: dict[str, Any] = {}
        for key, value in values.items():
            spec = known.get(key)
            if spec is None:
                raise ConfigurationError(f"{PREFIX}{key} is not a setting; known: "
                                         + ", ".join(known))
            if value is not None:
                parsed[spec.name] = value
            elif spec.default_factory is not MISSING:
                parsed[spec.name] = spec.default_factory()
            else:
                parsed[spec.name] = spec.default
        return parsed

    # -- reading -------------------------------------------------------------------------

    @property
    def policy_location(self) -> Path | str:
        """GATEKEEPER_POLICIES (folder, archive or URL), else the bundled ``policies/``."""
        return self.policies or DEFAULT_POLICIES

    @property
    def policy_folder(self) -> Path:
        """The bundle folder; a command that reads the folder itself refuses a URL."""
        if isinstance(self.policies, str):
            raise ConfigurationError(f"{PREFIX}POLICIES is a URL ({self.policies}); this "
                                     "command needs a policy folder (--policies DIR)")
        return self.policies or DEFAULT_POLICIES

    def flask_config(self) -> dict[str, Any]:
        """The settings as Flask config keys (real types), for code that reads ``app.config``."""
        config = {f.name.upper(): getattr(self, f.name) for f in fields(self)}
        config["POLICIES"] = str(self.policy_location)
        config["INSTANCE_PATH"] = str(self.instance_path)
        return config

    @classmethod
    def describe(cls) -> list[tuple[str, str, str]]:
        """(variable, default, meaning) of every setting, for documentation."""
        return [(PREFIX + f.name.upper(), "computed" if f.default is MISSING else repr(f.default),
                 str(f.metadata["meaning"])) for f in fields(cls)]

