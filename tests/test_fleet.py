"""Several instances, one truth: two `gatekeeper serve` instances on one PostgreSQL behind a real
HAProxy (Debian's package, run with deploy/haproxy.cfg), round-robin. Retries with one
Idempotency-Key record once whichever instance answers; a revoked token is refused by every
instance within GATEKEEPER_TOKEN_CACHE_SECONDS; the sign-in throttle and sessions hold on both;
the client's own address reaches the throttle through the balancer (GATEKEEPER_TRUSTED_PROXIES);
an oversized body gets the 413 problem through it; SIGKILLing one instance during a burst
loses no acknowledged request; and a SIGTERM to one fails no request at all."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from gatekeeper.ledger import RequestQuery, open_ledger
from tests.ledger_fixtures import fresh_schema
from tests.serve_helpers import ROOT, ServeProcess, cli, free_port, submit_until_acknowledged

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

HAPROXY_CONFIG = ROOT / "deploy" / "haproxy.cfg"
TOKEN_CACHE_SECONDS = 2.0
PASSWORD = "a long password for the fleet"
BODY = json.dumps(json.loads((ROOT / "examples" / "requests" /
                              "02_read_only_troubleshooting_acme.json").read_text())["request"])


def haproxy() -> str:
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists()
                                        else None)
    if found is None:
        pytest.skip("HAProxy is not installed (Debian: apt-get install haproxy; .ci/run "
                    "installs it): the several-instances test needs a real load balancer")
    return found


@dataclass
class Fleet:
    base: str
    env: dict[str, str]
    url: str
    instances: dict[str, ServeProcess] = field(default_factory=dict)

    def token(self, role: str = "engineer") -> tuple[str, dict[str, str]]:
        name = f"fleet-{uuid.uuid4().hex[:8]}"
        token = cli(self.env, "tokens", "create", "--name", name, "--role", role).strip()
        return name, {"Authorization": f"Bearer {token}"}


def _start_haproxy(folder: Path, servers: Mapping[str, int]) -> tuple[subprocess.Popen[bytes],
                                                                      str]:
    """HAProxy on deploy/haproxy.cfg, plus a response header naming the instance that
    answered (for the test only: a deployment need not tell clients its server names)."""
    exe = haproxy()
    text = HAPROXY_CONFIG.read_text()
    marker = "    balance roundrobin\n"
    assert marker in text
    config = folder / "haproxy.cfg"
    config.write_text(text.replace(
        marker, marker + "    http-response set-header X-Served-By %[srv_name]\n"))
    port = free_port()
    env = {**os.environ, "GATEKEEPER_LB_BIND": f"127.0.0.1:{port}",
           **{f"GATEKEEPER_SERVER_{name.upper()}": f"127.0.0.1:{p}"
              for name, p in servers.items()}}
    checked = subprocess.run([exe, "-c", "-f", str(config)], env=env, capture_output=True,
                             text=True, check=False)
    assert checked.returncode == 0, checked.stderr + checked.stdout
    log = (folder / "haproxy.log").open("wb")
    proc = subprocess.Popen([exe, "-db", "-f", str(config)], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    return proc, f"http://127.0.0.1:{port}"


@contextmanager
def fleet(url: str, folder: Path) -> Iterator[Fleet]:
    """Two instances (one worker of four threads each: 2 cores) and HAProxy in front."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    env.update(PYTHONPATH=str(ROOT), GATEKEEPER_DATABASE_URL=url,
               GATEKEEPER_INSTANCE_PATH=str(folder),
               GATEKEEPER_SECRET_KEY="fleet-" + uuid.uuid4().hex * 2,  # shared by both
               GATEKEEPER_TRUSTED_PROXIES="1",
               GATEKEEPER_TOKEN_CACHE_SECONDS=str(TOKEN_CACHE_SECONDS),
               GATEKEEPER_ENGINE_CHECK_REQUESTS="0", GATEKEEPER_LOG_LEVEL="WARNING",
               GATEKEEPER_LOG_JSON="1")
    cli(env, "db", "upgrade")  # the one-shot job of docs/deploy.md, before any instance
    instances = {name: ServeProcess(env, folder, "--workers", "1", "--threads", "4",
                                    name=f"serve-{name}") for name in ("a", "b")}
    proc = None
    try:
        for instance in instances.values():
            instance.wait("/readyz")
        proc, base = _start_haproxy(folder, {n: i.port for n, i in instances.items()})
        _wait_for_both(base, proc, folder)
        yield Fleet(base, env, url, instances)
    finally:
        for instance in instances.values():
            instance.stop()
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)


def _wait_for_both(base: str, proc: subprocess.Popen[bytes], folder: Path) -> None:
    seen: set[str] = set()
    deadline = time.monotonic() + 20
    while seen != {"a", "b"} and time.monotonic() < deadline:
        assert proc.poll() is None, (folder / "haproxy.log").read_text()
        try:
            seen.add(call(base, "GET", "/readyz").served_by)
        except OSError:
            time.sleep(0.1)
    assert seen == {"a", "b"}, f"HAProxy did not reach both instances: {seen}"


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def served_by(self) -> str:
        return str(self.headers.get("X-Served-By"))


def call(base: str, method: str, path: str, body: bytes | str | None = None,
         headers: Mapping[str, str] | None = None, source: str | None = None) -> Answer:
    """One request on a new connection (so each is balanced on its own), optionally from
    another loopback address (127.0.0.2 ...)."""
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        conn.close()


class Browser:
    """Cookies and CSRF tokens as a browser keeps them, through the balancer."""

    def __init__(self, base: str, source: str | None = None) -> None:
        self.base, self.source = base, source
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, form: Mapping[str, str] | None = None,
                headers: Mapping[str, str] | None = None) -> Answer:
        sent = {"Referer": self.base + "/", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode({**form, "csrf_token": self.csrf})
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        answer = call(self.base, method, path, body, sent, self.source)
        for header in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        found = re.search(rb'name="csrf_token" value="([^"]+)"', answer.body)
        if found:
            self.csrf = found.group(1).decode()
        return answer

    def sign_in(self, username: str, password: str,
                headers: Mapping[str, str] | None = None) -> Answer:
        if not self.csrf:  # a form from one instance is posted to the other
            self.request("GET", "/sign-in")
        return self.request("POST", "/sign-in", {"username": username, "password": password},
                            headers)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    with fresh_schema() as url, fleet(url, tmp_path_factory.mktemp("fleet")) as running:
        for user, role in (("ann@msp.example", "approver"), ("bob@msp.example", "approver"),
                           ("carol@msp.example", "engineer")):
            cli(running.env, "users", "create", user, "--role", role, "--password-stdin",
                stdin=PASSWORD + "\n")
        yield running


def test_retries_across_instances_record_once(shared: Fleet) -> None:
    name, auth = shared.token()
    keys = [f"retry-{uuid.uuid4().hex[:8]}-{n}" for n in range(12)]
    headers = {"Content-Type": "application/json", **auth}

    def submit(key: str) -> tuple[str, Answer]:
        return key, call(shared.base, "POST", "/v1/access-requests", BODY,
                         {**headers, "Idempotency-Key": key})

    with ThreadPoolExecutor(8) as pool:  # each key four times, at once, round-robin
        answers = list(pool.map(submit, [k for k in keys for _ in range(4)]))
    assert all(a.status == 201 for _, a in answers), [a.body[:200] for _, a in answers]
    assert {a.served_by for _, a in answers} == {"a", "b"}
    ids: dict[str, set[str]] = {}
    for key, answer in answers:
        ids.setdefault(key, set()).add(json.loads(answer.body)["id"])
    assert all(len(found) == 1 for found in ids.values()), ids
    for key in keys:  # one first answer per key, the other three replay it
        replayed = [a.headers.get("Idempotent-Replayed") for k, a in answers if k == key]
        assert sorted(replayed, key=str) == [None, "true", "true", "true"]
    ledger = open_ledger(shared.url)
    try:
        recorded = ledger.search(RequestQuery(requester=f"token:{name}", limit=100)).items
    finally:
        ledger.close()
    assert sorted(r.id for r in recorded) == sorted(i for found in ids.values() for i in found)


def test_a_revoked_token_is_refused_everywhere_within_the_cache_time(shared: Fleet) -> None:
    name, auth = shared.token()
    warmed = [call(shared.base, "GET", "/v1/access-requests", headers=auth) for _ in range(4)]
    assert [a.status for a in warmed] == [200] * 4
    assert {a.served_by for a in warmed} == {"a", "b"}  # both instances remember the token
    # `gatekeeper tokens revoke` on one instance's host: another process, as the API has none
    cli(shared.env, "tokens", "revoke", name)
    revoked = time.monotonic()
    accepted: list[float] = []
    while time.monotonic() - revoked < TOKEN_CACHE_SECONDS + 1.0:
        answer = call(shared.base, "GET", "/v1/access-requests", headers=auth)
        assert answer.status in (200, 401)
        if answer.status == 200:
            accepted.append(time.monotonic() - revoked)
        time.sleep(0.05)
    print(f"\nrevoked token accepted {len(accepted)} time(s) after `tokens revoke` returned"
          + (f", the last {max(accepted):.2f} s after it" if accepted else "")
          + f" (window {TOKEN_CACHE_SECONDS:g} s)")
    assert max(accepted, default=0) <= TOKEN_CACHE_SECONDS + 0.2
    after = [call(shared.base, "GET", "/v1/access-requests", headers=auth) for _ in range(4)]
    assert [a.status for a in after] == [401] * 4 and {a.served_by for a in after} == {"a", "b"}
    assert 'error="invalid_token"' in after[0].headers["WWW-Authenticate"]
    assert "revoked" in json.loads(after[0].body)["detail"]


def test_sign_in_throttling_and_sessions_hold_across_instances(shared: Fleet) -> None:
    guesser = Browser(shared.base)
    wrong = [guesser.sign_in("ann@msp.example", f"wrong guess {n}") for n in range(5)]
    assert [a.status for a in wrong] == [401] * 5
    assert {a.served_by for a in wrong} == {"a", "b"}
    paused = [guesser.sign_in("ann@msp.example", PASSWORD) for _ in range(2)]
    assert [a.status for a in paused] == [429, 429]  # on both instances, right password too
    assert {a.served_by for a in paused} == {"a", "b"}
    assert int(paused[0].headers["Retry-After"]) > 0

    bob = Browser(shared.base)
    assert bob.sign_in("bob@msp.example", PASSWORD).status == 303
    pages = [bob.request("GET", "/console") for _ in range(4)]
    assert [p.status for p in pages] == [200] * 4  # the session is good on either instance
    assert {p.served_by for p in pages} == {"a", "b"}
    out = bob.request("POST", "/sign-out", {})  # CSRF token of the page one instance served
    assert out.status == 303
    after = [bob.request("GET", "/console") for _ in range(4)]
    assert [a.status for a in after] == [303] * 4  # signed out on both
    assert all(a.headers["Location"].startswith("/sign-in") for a in after)


def test_the_throttle_sees_the_clients_address_not_the_balancers(shared: Fleet) -> None:
    """20 failed sign-ins from 127.0.0.2 pause that address (GATEKEEPER_TRUSTED_PROXIES=1
    takes it from the X-Forwarded-For that HAProxy appends); a spoofed X-Forwarded-For does
    not escape it, and 127.0.0.3 is not paused. Without the setting every client would be
    the balancer's 127.0.0.1 and share one pause."""
    noisy = Browser(shared.base, source="127.0.0.2")
    failed = [noisy.sign_in(f"nobody{n}@example.com", "not the password").status
              for n in range(20)]
    assert failed == [401] * 20
    assert noisy.sign_in("nobody-else@example.com", "not the password").status == 429
    spoofed = noisy.sign_in("carol@msp.example", PASSWORD, {"X-Forwarded-For": "203.0.113.9"})
    assert spoofed.status == 429
    other = Browser(shared.base, source="127.0.0.3")
    assert other.sign_in("carol@msp.example", PASSWORD).status == 303


@pytest.mark.parametrize("mebibytes", [4, 16])
def test_a_body_over_the_limit_gets_the_413_problem_through_the_balancer(
        shared: Fleet, mebibytes: int) -> None:
    _, auth = shared.token()
    body = b'{"a": "' + b"x" * (mebibytes * 1024 * 1024) + b'"}'
    request = urllib.request.Request(f"{shared.base}/v1/decisions", data=body, method="POST",
                                     headers={"Content-Type": "application/json", **auth})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 413
    assert refused.value.headers["Content-Type"] == "application/problem+json"
    assert json.loads(refused.value.read())["code"] == "request_entity_too_large"


def test_killing_an_instance_during_a_burst_loses_no_acknowledged_request(
        tmp_path: Path) -> None:
    clients, each = 4, 10
    with fresh_schema() as url, fleet(url, tmp_path) as running:
        name, auth = running.token()
        acknowledged: dict[str, str] = {}
        lock = threading.Lock()

        def client(c: int) -> None:
            for n in range(each):
                key = f"burst-{c}-{n}"
                request_id = submit_until_acknowledged(running.base, BODY.encode(), key, auth)
                with lock:
                    acknowledged[key] = request_id

        threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        running.instances["a"].kill()  # master and worker, in the middle of the burst
        killed_at = len(acknowledged)
        for t in threads:
            t.join(timeout=180)
        ledger = open_ledger(url)
        try:
            recorded = ledger.search(RequestQuery(requester=f"token:{name}", limit=100)).items
            stored = {key: ledger.find_response(f"token:{name}", key) for key in acknowledged}
        finally:
            ledger.close()
    print(f"\nkilled instance a after {killed_at} of {clients * each} acknowledged; "
          f"{len(acknowledged)} acknowledged, {len(recorded)} recorded")
    assert len(acknowledged) == clients * each and 0 < killed_at < clients * each
    assert sorted(r.id for r in recorded) == sorted(acknowledged.values())  # no loss, no twin
    assert all(s is not None and s.request_id == acknowledged[k] for k, s in stored.items())


def test_a_graceful_stop_of_one_instance_fails_no_request_through_the_balancer(
        tmp_path: Path) -> None:
    """A rolling restart's first half: SIGTERM to one instance's master while clients submit
    through HAProxy without retrying. Requests it holds are finished, new connections it
    refuses are redispatched, so every client gets its 201."""
    with fresh_schema() as url, fleet(url, tmp_path) as running:
        _, auth = running.token()
        headers = {"Content-Type": "application/json", **auth}
        statuses: list[tuple[int, str]] = []
        stop = threading.Event()

        def client(c: int) -> None:
            n = 0
            while not stop.is_set():
                try:
                    answer = call(running.base, "POST", "/v1/access-requests", BODY,
                                  {**headers, "Idempotency-Key": f"roll-{c}-{n}"})
                    statuses.append((answer.status, answer.served_by))
                except OSError as exc:
                    statuses.append((0, type(exc).__name__))
                n += 1

        threads = [threading.Thread(target=client, args=(c,)) for c in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        before = len(statuses)
        running.instances["a"].signal(signal.SIGTERM)
        code = running.instances["a"].proc.wait(timeout=40)
        time.sleep(1.0)
        stop.set()
        for t in threads:
            t.join(timeout=30)
    failed = [s for s in statuses if s[0] != 201]
    print(f"\nSIGTERM to instance a after {before} requests; {len(statuses)} in all, "
          f"{len(failed)} failed {failed[:5]}; a exited {code}")
    assert code == 0
    assert {by for status, by in statuses[:before]} == {"a", "b"}
    assert failed == []
