"""A real SMTP server (aiosmtpd) on 127.0.0.1, a free port, in a thread: it keeps what it receives."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


@dataclass
class SmtpServer:
    """What the tests read: the port, the messages received, the logins accepted."""

    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook)
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(user: str | None = None, password: str | None = None) -> Iterator[SmtpServer]:
    """Serve SMTP on 127.0.0.1 (port 0); with `user`, AUTH LOGIN/PLAIN is offered and checked."""
    state = SmtpServer()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    def authenticate(_server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == (
            user,
            password,
        )
        if ok:
            state.logins.append(data.login.decode())
        return AuthResult(success=ok)

    def factory() -> SMTP:
        if user is None:
            return SMTP(state, hostname="vigie-test")
        return SMTP(state, hostname="vigie-test", authenticator=authenticate, auth_require_tls=False)

    def run() -> None:
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(loop.create_server(factory, "127.0.0.1", 0))
        holder["server"] = server
        state.port = server.sockets[0].getsockname()[1]
        ready.set()  # bound and listening: connections are accepted from now on
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(30), "the SMTP server did not start"
    try:
        yield state
    finally:

        async def _close() -> None:
            holder["server"].close()
            await holder["server"].wait_closed()

        asyncio.run_coroutine_threadsafe(_close(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
