"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, collecting what it receives.

Use the fixture in a test file with ``from tests.mailserver import smtp_sink  # noqa: F401``
(ruff then reports F811 where a test takes ``smtp_sink`` as an argument; assigning instead,
``smtp_sink = mailserver.smtp_sink`` after ``from tests import mailserver``, avoids that),
then ``smtp_sink.configure(app)`` points the app's delivery at it. Received messages are
``email.message.EmailMessage`` objects in ``smtp_sink.messages``; the SMTP envelope (MAIL FROM,
RCPT TO) of each is in ``smtp_sink.envelopes``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    """A port nobody listens on right now (also useful as a "server down" address)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Envelope:
    mail_from: str
    rcpt_tos: list[str]


@dataclass
class _Handler:
    sink: SmtpSink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.sink.reject_recipients:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.sink.fail_data:
            return "451 4.3.0 Temporary failure, try again later"
        if self.sink.fail_after is not None and len(self.sink.messages) >= self.sink.fail_after:
            # A shared host's limit: the connection is closed after so many messages.
            return "421 4.7.0 Mails per session limit exceeded"
        raw = envelope.original_content or envelope.content
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        with self.sink.lock:
            self.sink.raw.append(raw)
            self.sink.messages.append(msg)
            self.sink.envelopes.append(Envelope(envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


@dataclass
class SmtpSink:
    host: str = "127.0.0.1"
    port: int = 0
    username: str | None = None
    password: str | None = None
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    reject_recipients: set[str] = field(default_factory=set)
    fail_data: bool = False
    fail_after: int | None = None  # refuse (421) every message once this many arrived
    logins: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    def start(self) -> SmtpSink:
        """Start on a free port (retried, since another process may take the port first)."""
        last: Exception | None = None
        for _ in range(5):
            self.port = free_port()
            kwargs = {}
            if self.username is not None:
                kwargs = {
                    "authenticator": self._authenticate,
                    "auth_require_tls": False,
                    "auth_required": True,
                }
            controller = Controller(
                _Handler(self), hostname=self.host, port=self.port, ready_timeout=5, **kwargs
            )
            try:
                controller.start()
            except (OSError, TimeoutError, RuntimeError) as exc:
                last = exc
                time.sleep(0.1)
                continue
            self._controller = controller
            return self
        raise RuntimeError(f"SMTP sink did not start: {last}")

    def stop(self) -> None:
        if self._controller is not None:
            with contextlib.suppress(Exception):
                self._controller.stop()
            self._controller = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        login = getattr(auth_data, "login", b"")
        password = getattr(auth_data, "password", b"")
        login = login.decode() if isinstance(login, bytes) else login
        password = password.decode() if isinstance(password, bytes) else password
        if login == self.username and password == self.password:
            self.logins.append(login)
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def configure(self, app, **extra) -> None:
        """Point ``app``'s delivery at this server (read at call time by ``send_pending``)."""
        app.config.update(
            MAIL_BACKEND="smtp",
            MAIL_SERVER=self.host,
            MAIL_PORT=self.port,
            MAIL_USE_TLS=False,
            MAIL_USE_SSL=False,
            MAIL_USERNAME="",
            MAIL_PASSWORD="",
            MAIL_TIMEOUT=5,
        )
        app.config.update(extra)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Wait until at least ``count`` messages arrived (for deliveries from other processes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        return list(self.messages)

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.envelopes.clear()
            self.raw.clear()


@pytest.fixture
def smtp_sink():
    """A running SMTP sink for one test, stopped afterwards."""
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()
