"""Test doubles of outside services for the notifications tests (and the benchmark):
an SMTP server on 127.0.0.1 that records what it accepts and can misbehave on request,
and a signed-in WebSocket client.

Waits here are upper bounds sized for a busy 2-core machine (the suite runs Chromium,
daphne and Celery workers beside the tests): they end as soon as what they wait for
happens, so a generous bound costs nothing when things are quick."""

import asyncio
import contextlib
import email
import email.policy
import socketserver
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from helpdesk.testing import free_port

if TYPE_CHECKING:
    from channels.testing import WebsocketCommunicator
    from django.test import Client

    from accounts.models import User


class SMTPHandler(socketserver.StreamRequestHandler):
    """Enough SMTP for smtplib: greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    timeout = 10

    def reply(self, *lines: str) -> None:
        self.wfile.write("".join(f"{line}\r\n" for line in lines).encode())

    def handle(self) -> None:
        if not isinstance(self.server, ReusableServer):
            raise TypeError("SMTPHandler serves a ReusableServer")
        server = self.server.owner
        if server.silent.is_set():
            server.greeting_withheld.set()
            server.released.wait(10)  # accept, then never greet
            return
        if server.busy_connections > 0:
            server.busy_connections -= 1
            self.reply("421 4.3.2 Service not available, try later")
            return
        self.reply("220 127.0.0.1 ESMTP loopback")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").rstrip("\r\n")
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-127.0.0.1", "250 8BITMIME")
            elif verb == "MAIL":
                if server.hang_up_at_mail:
                    return  # the connection drops mid-conversation
                recipients = []
                self.reply("250 2.1.0 OK")
            elif verb == "RCPT":
                if server.rcpt_reply.startswith("2"):
                    recipients.append(command.split(":", 1)[1].strip(" <>"))
                self.reply(server.rcpt_reply)
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = self.read_data()
                if server.before_accept is not None and not server.before_accept(data):
                    return  # not accepted: the connection drops before the reply
                if server.data_reply.startswith("2"):
                    server.received(recipients, data)
                self.reply(server.data_reply)
                if server.after_accept is not None:
                    server.after_accept(data)
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            elif verb in {"HELO", "RSET", "NOOP"}:
                self.reply("250 OK")
            else:
                self.reply("502 5.5.2 Command not recognised")

    def read_data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)


class ReusableServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True  # start() binds the port stop() closed
    daemon_threads = True
    owner: "LoopbackSMTP"  # set by LoopbackSMTP.start()


class LoopbackSMTP:
    """An SMTP server on 127.0.0.1 that records what it accepts. ``stop()`` closes the
    port (connection refused), ``start()`` opens the same port again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        # When each message was accepted (``time.monotonic()``), in the same order.
        self.accepted_at: list[float] = []
        # Called with a message's data before it is accepted (False: drop the
        # connection instead) and after the reply that accepted it: fault injection.
        self.before_accept: Callable[[bytes], bool] | None = None
        self.after_accept: Callable[[bytes], None] | None = None
        self.rcpt_reply = "250 2.1.5 OK"
        self.data_reply = "250 2.0.0 Queued"
        self.hang_up_at_mail = False
        self.busy_connections = 0  # so many connections are answered 421 first
        self.silent = threading.Event()
        self.released = threading.Event()
        # Set when a client connected while silent: it now waits for the greeting.
        self.greeting_withheld = threading.Event()
        self._lock = threading.Lock()
        self._server: ReusableServer | None = None

    def received(self, recipients: list[str], data: bytes) -> None:
        message = email.message_from_bytes(data, policy=email.policy.default)
        with self._lock:
            self.messages.append((recipients, message))
            self.accepted_at.append(time.monotonic())

    def start(self) -> None:
        server = ReusableServer(("127.0.0.1", self.port), SMTPHandler)
        server.owner = self
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self.released.set()
            self._server.shutdown()
            self._server.server_close()
            self._server = None


# The handshake looks up the session and the user in the database and joins the user's
# group on the channel layer: well under a second, but not always on a loaded machine.
WS_TIMEOUT = 10


async def ws_connect(client: "Client", user: "User") -> "WebsocketCommunicator":
    """A WebSocket to ``/ws/`` of the ASGI app, signed in as ``user`` (a session cookie
    made with Django's test ``client``), past its "hello"."""
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator
    from django.conf import settings

    from helpdesk.asgi import application

    await sync_to_async(client.force_login)(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    cookie = (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode())
    socket = WebsocketCommunicator(
        application,
        "/ws/",
        headers=[(b"host", b"localhost"), (b"origin", b"http://localhost"), cookie],
    )
    connected, _ = await socket.connect(timeout=WS_TIMEOUT)
    hello = await socket.receive_json_from(timeout=WS_TIMEOUT) if connected else {}
    if hello.get("type") != "hello":
        raise RuntimeError(f"the socket was refused: {hello or 'not connected'}")
    return socket


async def receive_json(socket: "WebsocketCommunicator", timeout: float) -> dict:
    """The next JSON message of ``socket``, waiting at most ``timeout`` seconds. If the
    application ends first (its channel layer failed, say), its error is raised at once,
    not after the timeout as ``receive_json_from`` alone would."""
    message = asyncio.ensure_future(socket.receive_json_from(timeout=timeout))
    await asyncio.wait({message, socket.future}, return_when=asyncio.FIRST_COMPLETED)
    if message.done():
        return message.result()
    message.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await message
    # Raises the application's error; after a clean end, reads what it sent last.
    return await socket.receive_json_from(timeout=timeout)
