"""Where messages go: SMS through Kannel's HTTP sendsms, an HTTP aggregator, or the log; email
through SMTP or the log.

A gateway returns the status the notification reaches (`sent` when a delivery report will
follow, `delivered` when acceptance is final) or raises GatewayError, which the sender
retries with backoff, or OutcomeUnknown when the request reached the gateway but its answer
was lost: the sender then waits for the gateway's report before sending again. Recipients
are never logged in clear.
"""
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from string import Template
from urllib.parse import quote

import requests
from nameko.extensions import DependencyProvider
from urllib3.exceptions import NewConnectionError

from services.common.logs import mask_text
from services.common.phones import international, mask_phone
from services.common.settings import read_settings

from . import KANNEL_CONFIG
from .settings import GatewaySettings

log = logging.getLogger("motcua.notify.gateways")

# Kannel delivery-report types (dlr-mask bits): 1 delivered to phone, 2 not delivered to
# phone, 8 accepted by the SMSC, 16 rejected by the SMSC.
DLR_DELIVERED, DLR_UNDELIVERED, DLR_SMSC_ACK, DLR_SMSC_REJECT = 1, 2, 8, 16
DLR_MASK = DLR_DELIVERED | DLR_UNDELIVERED | DLR_SMSC_ACK | DLR_SMSC_REJECT


class GatewayError(Exception):
    """The gateway is unreachable or refused the message for now: try again later."""


class RecipientRejected(GatewayError):
    """The gateway refuses this recipient for good (e.g. SMTP 5xx on RCPT): do not retry."""


class OutcomeUnknown(GatewayError):
    """The request reached the gateway, whose answer was lost (a read timeout, a connection
    dropped mid-answer): the message may have gone."""


def request_error(gateway, exc):
    """The GatewayError for a failed HTTP request: a plain retry when no connection was made
    (nothing reached the gateway), OutcomeUnknown otherwise."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.ConnectTimeout) or isinstance(reason, NewConnectionError):
        return GatewayError(f"{gateway} unreachable: {type(exc).__name__}")
    return OutcomeUnknown(f"{gateway}'s answer lost: {type(exc).__name__}")


@dataclass(frozen=True)
class Outcome:
    status: str  # "sent" (a delivery report will follow) or "delivered"
    provider: str
    message_id: str | None = None


def http_session(connections):
    """One session per gateway: its connections are kept open between sends (keep-alive),
    `connections` of them, as many as the sender sends at a time."""
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=connections))
    session.mount("https://", requests.adapters.HTTPAdapter(pool_maxsize=connections))
    return session


def dlr_url(public_url, secret, notification_id):
    return f"{public_url.rstrip('/')}/api/v1/notify/dlr/{quote(secret, safe='')}?id={notification_id}"


class KannelSms:
    """Kannel smsbox `sendsms`: UCS-2 as coding=2 with UTF-8 text, delivery reports to notify."""

    name = "kannel"

    def __init__(self, sendsms_url, username, password, sender, public_url, dlr_secret, timeout,
                 connections=10):
        self.http = http_session(connections)
        self.sendsms_url = sendsms_url
        self.auth = {"username": username, "password": password}
        self.sender = sender
        self.public_url = public_url
        self.dlr_secret = dlr_secret
        self.timeout = timeout

    def send(self, notification_id, phone, message):
        params = {
            **self.auth,
            "from": self.sender,
            "to": international(phone),
            "text": message["text"],
            "charset": "UTF-8",
            "coding": 2 if message["coding"] == "ucs2" else 0,
            "dlr-mask": DLR_MASK,
            # Kannel replaces %d with the report type when it calls back.
            "dlr-url": dlr_url(self.public_url, self.dlr_secret, notification_id) + "&type=%d",
        }
        try:
            response = self.http.get(self.sendsms_url, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise request_error("kannel", exc) from exc
        # 202 "0: Accepted for delivery" or "3: Queued for later delivery"
        if response.status_code != 202:
            raise GatewayError(f"kannel answered {response.status_code}: {response.text[:200]}")
        return Outcome("sent", self.name)


class HttpAggregatorSms:
    """A JSON HTTP API of an SMS aggregator: POST {to, text, unicode, sender, reference,
    callback_url} with a bearer token; 2xx with {"message_id"} means accepted. Its delivery
    reports come back to the same callback as Kannel's, with `status=delivered|failed`."""

    name = "http"

    def __init__(self, url, token, sender, public_url, dlr_secret, timeout, connections=10):
        self.http = http_session(connections)
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.sender = sender
        self.public_url = public_url
        self.dlr_secret = dlr_secret
        self.timeout = timeout

    def send(self, notification_id, phone, message):
        body = {
            "to": international(phone),
            "text": message["text"],
            "unicode": message["coding"] == "ucs2",
            "sender": self.sender,
            "reference": str(notification_id),
            "callback_url": dlr_url(self.public_url, self.dlr_secret, notification_id),
        }
        try:
            response = self.http.post(self.url, json=body, headers=self.headers,
                                      timeout=self.timeout)
        except requests.RequestException as exc:
            raise request_error("aggregator", exc) from exc
        if not 200 <= response.status_code < 300:
            raise GatewayError(f"aggregator answered {response.status_code}")
        try:
            message_id = str(response.json()["message_id"])
        except (ValueError, KeyError, TypeError):
            message_id = None
        return Outcome("sent", self.name, message_id)


# A lookup secret as intake issues it (8 capitals and digits): with the code, it opens the
# dossier, so the log shows the text without it.
LOOKUP_SECRET = re.compile(r"(?<![0-9A-Z])[0-9A-Z]{8}(?![0-9A-Z])")


class LogSms:
    """No gateway configured (a demo, a developer's machine): the SMS is written to the log,
    its lookup secret masked."""

    name = "log"

    def send(self, notification_id, phone, message):
        log.info("SMS (log provider)", extra={
            "notification_id": str(notification_id), "to": mask_phone(phone),
            "coding": message["coding"], "segments": message["segments"],
            "text": LOOKUP_SECRET.sub("********", message["text"]),
        })
        return Outcome("delivered", self.name)


class SmtpMail:
    """Email through SMTP (smtplib): STARTTLS and login when configured. Acceptance by the
    mail server is the last thing SMTP tells us, so it counts as delivered. Every attempt of
    one notification carries the same Message-ID, so a copy sent again after a lost answer
    is recognisable as the same message."""

    name = "smtp"

    def __init__(self, host, port, sender, starttls, username, password, timeout, ca_file=None):
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.username, self.password = starttls, username, password
        self.timeout = timeout
        # a relay inside the province's network may use its own CA
        self.tls = ssl.create_default_context(cafile=ca_file or None)

    def send(self, notification_id, address, content):
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = address
        message["Subject"] = content["subject"]
        message["Message-ID"] = message_id(notification_id, self.sender)
        message.set_content(content["text"])
        message.add_alternative(content["html"], subtype="html")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=self.tls)
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            if all(code >= 500 for code in codes):
                raise RecipientRejected(f"smtp refused the recipient: {codes}") from exc
            raise GatewayError(f"smtp deferred the recipient: {codes}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise GatewayError(f"smtp: {type(exc).__name__}: {mask_text(str(exc))[:200]}") from exc
        return Outcome("delivered", self.name, message["Message-ID"])


def message_id(notification_id, sender):
    """`<notification id@sender's domain>`: the same for every attempt of a notification."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{notification_id}@{domain}>"


class LogMail:
    name = "log"

    def send(self, notification_id, address, content):
        log.info("email (log provider)", extra={
            "notification_id": str(notification_id), "to": mask_text(address),
            "subject": content["subject"],
        })
        return Outcome("delivered", self.name)


def sms_gateway(settings):
    """The SMS gateway its settings (GatewaySettings) choose: Kannel, an HTTP aggregator or
    the log."""
    common = dict(sender=settings.sms_sender, public_url=settings.public_url,
                  dlr_secret=settings.dlr_secret, timeout=settings.gateway_timeout,
                  connections=settings.concurrency)
    if settings.sms_provider == "kannel":
        return KannelSms(settings.kannel_sendsms_url, settings.kannel_username,
                         settings.kannel_password, **common)
    if settings.sms_provider == "http":
        return HttpAggregatorSms(settings.sms_http_url, settings.sms_http_token, **common)
    return LogSms()


def mail_gateway(settings):
    """SMTP when SMTP_HOST is set, else the log."""
    if not settings.smtp_host:
        return LogMail()
    return SmtpMail(settings.smtp_host, settings.smtp_port, settings.mail_from,
                    settings.smtp_starttls, settings.smtp_username, settings.smtp_password,
                    settings.gateway_timeout, settings.smtp_ca_file)


class Gateways(DependencyProvider):
    """The SMS and mail gateways, built once at start and kept: their HTTP sessions keep
    connections open between sends."""

    def setup(self):
        settings = read_settings(GatewaySettings, self.container.config)
        self.sms = sms_gateway(settings)
        self.mail = mail_gateway(settings)

    def get_dependency(self, worker_ctx):
        return self

    def of(self, channel):
        return self.sms if channel == "sms" else self.mail


def kannel_config(**values):
    """Kannel's configuration for notify (kannel/kannel.conf) with the given ports, account
    and log directory filled in."""
    return Template(KANNEL_CONFIG.read_text(encoding="utf-8")).substitute(values)
