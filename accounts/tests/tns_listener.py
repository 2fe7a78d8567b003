"""A tiny simulated Oracle Net listener on 127.0.0.1, for tests with the real driver.

No Oracle server can run in CI, but the first exchange of a connection is simple: the
client sends a TNS CONNECT packet and the listener answers ACCEPT (or REFUSE, REDIRECT).
The answer's protocol version and flags are all python-oracledb's thin mode needs to
decide that it cannot talk to the server, so a few bytes reproduce what an 11.2 database
or one that requires native network encryption does to it. ``black_hole`` accepts the
TCP connection and never answers, as a stalled listener or a firewall in the middle can.

TNS packet: an 8-byte header (length, packet checksum, type, flags, header checksum;
the length is 16-bit until both sides agree on version 315+ large SDUs) then the
payload. ACCEPT payload, as python-oracledb's ``ConnectMessage.process`` reads it:
version, service options, SDU, TDU, hardware "1", accept data length and offset (two
bytes each), connect flags 0 (the NSI flags; 0x10: native network services required),
connect flags 1, and from version 315 on, 32-bit SDU and TDU and, from 318, more flags.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
from collections.abc import Callable

PACKET_CONNECT = 1
PACKET_ACCEPT = 2

VERSION_11_2 = 314  # what an 11.2 listener accepts with; thin mode needs 315 (12.1)
VERSION_19C = 319
NSI_NA_REQUIRED = 0x10  # native network services (encryption, checksums) required
NSI_NA_SUPPORTED = 0x01


def tns_packet(packet_type: int, payload: bytes, *, flags: int = 0) -> bytes:
    return struct.pack(">HHBBH", 8 + len(payload), 0, packet_type, flags, 0) + payload


def accept_packet(version: int, *, nsi_flags: int = NSI_NA_SUPPORTED) -> bytes:
    """The ACCEPT a listener of that protocol version sends."""
    sdu, tdu = 8192, 65535
    payload = struct.pack(">HHHHHHH", version, 0x0801, sdu, tdu, 0x0100, 0, 0)
    payload += bytes([nsi_flags, nsi_flags])
    if version >= 315:
        payload += bytes(8) + struct.pack(">II", sdu, tdu)
        payload += bytes(1) + struct.pack(">I", 0)  # connect flags 2
    else:
        payload += bytes(24 - len(payload))
    return tns_packet(PACKET_ACCEPT, payload)


def answer_11_2(_connect: bytes) -> bytes:
    return accept_packet(VERSION_11_2)


def answer_nne_required(_connect: bytes) -> bytes:
    return accept_packet(VERSION_19C, nsi_flags=NSI_NA_SUPPORTED | NSI_NA_REQUIRED)


def black_hole(_connect: bytes) -> None:
    return None


class SimulatedListener:
    """``with SimulatedListener(answer_11_2) as listener:`` then connect to
    ``listener.dsn``. ``answer`` gets the client's first packet and returns the bytes to
    send back, or None to stay silent. ``received`` holds each client's first packet."""

    def __init__(self, answer: Callable[[bytes], bytes | None], *, service: str = "EBSPROD"):
        self.answer = answer
        self.service = service
        self.received: list[bytes] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.setblocking(False)
        self._stop = threading.Event()
        self._clients: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, name="tns-listener", daemon=True)

    @property
    def port(self) -> int:
        return self._server.getsockname()[1]

    @property
    def dsn(self) -> str:
        return f"127.0.0.1:{self.port}/{self.service}"

    def __enter__(self) -> SimulatedListener:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for client in self._clients:
            client.close()
        self._server.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            readable, _w, _x = select.select([self._server, *self._clients], [], [], 0.05)
            for sock in readable:
                if sock is self._server:
                    client, _address = self._server.accept()
                    self._clients.append(client)
                    continue
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    self._clients.remove(sock)
                    sock.close()
                    continue
                if data[4] == PACKET_CONNECT:
                    self.received.append(data)
                    reply = self.answer(data)
                    if reply is not None:
                        sock.sendall(reply)
                # Anything else (a second packet with the connect data) gets no answer.
