"""Delivery channels: e-mail over SMTP, Standard Webhooks, Slack- and Teams-compatible chat.

Each ``send`` delivers one message or raises ``DeliveryError`` with a reason fit for the
outbox's ``last_error`` (never a password or a secret). Every message carries its idempotency
id: the ``webhook-id`` header on HTTP, ``Message-ID`` and ``X-Gatekeeper-Message-Id`` in mail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import smtplib
import ssl
import time
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import requests

from gatekeeper.domain.notice import OutboxItem, SmtpServer, shown_recipient

_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
USER_AGENT = "gatekeeper-notify/1"


class DeliveryError(Exception):
    """A message could not be delivered this time; the reason goes to the outbox."""


def sign(secret: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks signature: ``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret, signed, hashlib.sha256).digest()).decode()


def webhook_body(item: OutboxItem, timestamp: int) -> dict[str, Any]:
    """The JSON body of a webhook (schema in docs/notifications.md)."""
    p = item.payload
    return {
        "type": f"gatekeeper.{item.topic}",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp)),
        "data": {
            "message_id": item.id,
            "topic": item.topic,
            "security": item.security,
            "deliver_by": item.deliver_by.isoformat() if item.deliver_by else None,
            "subject": p.get("subject"),
            "text": p.get("text"),
            "link": p.get("link"),
            "contact": p.get("contact"),
            "request": p.get("request"),
            "event": p.get("event"),
        },
    }


def chat_body(item: OutboxItem) -> dict[str, Any]:
    """A readable chat message with a link to the request: Slack's ``text`` (mrkdwn), or a
    Teams message card."""
    p = item.payload
    subject, text, link = str(p.get("subject", "")), str(p.get("text", "")), p.get("link")
    if item.channel == "slack":
        lines = [f"*{subject}*", text] + ([f"<{link}|Open the request>"] if link else [])
        return {"text": "\n".join(lines)}
    card: dict[str, Any] = {
        "@type": "MessageCard", "@context": "https://schema.org/extensions",
        "summary": subject, "title": subject, "text": text,
    }
    if link:
        card["potentialAction"] = [{"@type": "OpenUri", "name": "Open the request",
                                    "targets": [{"os": "default", "uri": link}]}]
    return card


class Channels:
    """Sends outbox messages; built from the settings by the composition root."""

    def __init__(self, smtp: SmtpServer | None, mail_from: str,
                 webhook_secrets: Mapping[str, bytes], timeout: float = 10.0) -> None:
        self.smtp = smtp
        self.mail_from = mail_from
        self.webhook_secrets = dict(webhook_secrets)
        self.timeout = timeout
        self.http = requests.Session()

    def send(self, item: OutboxItem) -> None:
        if item.channel == "email":
            self._email(item)
        elif item.channel == "webhook":
            self._webhook(item)
        elif item.channel in ("slack", "teams"):
            self._post(item, json.dumps(chat_body(item)).encode(), {})
        else:
            raise DeliveryError(f"unknown channel {item.channel!r}")

    # -- e-mail ----------------------------------------------------------------------------

    def _email(self, item: OutboxItem) -> None:
        to = item.recipient or ""
        if not _ADDRESS.match(to):
            raise DeliveryError(f"malformed e-mail address {to!r}")
        if self.smtp is None:
            raise DeliveryError("no mail server: GATEKEEPER_SMTP_URL is not set")
        p = item.payload
        msg = EmailMessage()
        msg["From"] = self.mail_from
        msg["To"] = to
        msg["Subject"] = str(p.get("subject", "Gatekeeper"))
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = f"<{item.id}@gatekeeper>"
        msg["X-Gatekeeper-Message-Id"] = item.id
        body = str(p.get("text", ""))
        if p.get("link"):
            body += f"\n\nOpen the request: {p['link']}\n"
        msg.set_content(body)
        server = self.smtp
        try:
            client: smtplib.SMTP
            if server.implicit_tls:
                client = smtplib.SMTP_SSL(server.host, server.port, timeout=self.timeout,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
            with client:
                if server.starttls:
                    client.starttls(context=ssl.create_default_context())
                if server.username:
                    client.login(server.username, server.password or "")
                client.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = "; ".join(f"{code} {text!r}" for code, text in exc.recipients.values())
            raise DeliveryError(f"the mail server refused {to}: {codes}") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"the mail server refused the login ({exc.smtp_code})") from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise DeliveryError(f"mail to {server.host}:{server.port} failed: "
                                f"{type(exc).__name__}: {exc}") from None

    # -- HTTP ------------------------------------------------------------------------------

    def _webhook(self, item: OutboxItem) -> None:
        label = item.payload.get("secret")
        if not label:
            raise DeliveryError("the webhook has no secret label in the customer data")
        secret = self.webhook_secrets.get(str(label))
        if secret is None:
            raise DeliveryError(f"no secret {label!r} in GATEKEEPER_WEBHOOK_SECRETS")
        timestamp = int(time.time())
        body = json.dumps(webhook_body(item, timestamp), separators=(",", ":")).encode()
        self._post(item, body, {
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, item.id, timestamp, body),
        })

    def _post(self, item: OutboxItem, body: bytes, headers: dict[str, str]) -> None:
        url = item.recipient or ""
        shown = shown_recipient(url)
        all_headers = {"content-type": "application/json", "user-agent": USER_AGENT,
                       "webhook-id": item.id, **headers}
        try:
            answer = self.http.post(url, data=body, headers=all_headers, timeout=self.timeout,
                                    allow_redirects=False)
        except requests.Timeout:
            raise DeliveryError(f"{shown} did not answer within {self.timeout:g} s") from None
        except (OSError, requests.RequestException) as exc:
            raise DeliveryError(f"{shown} cannot be reached: {type(exc).__name__}") from None
        if not 200 <= answer.status_code < 300:
            raise DeliveryError(f"{shown} answered HTTP {answer.status_code}")

    def close(self) -> None:
        self.http.close()
