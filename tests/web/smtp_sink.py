"""A local SMTP sink for tests: an asyncio server (RFC 5321 commands EHLO/HELO, MAIL, RCPT,
DATA, RSET, NOOP, QUIT) on a loopback port, in its own thread, that keeps every message."""

from __future__ import annotations

import asyncio
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage


class SmtpSink:
    def __init__(self, port: int = 0) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = port  # 0: any free port

    def __enter__(self) -> SmtpSink:
        self._thread.start()
        assert self._ready.wait(5), "SMTP sink did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._session, "127.0.0.1", self.port))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            self._loop.run_until_complete(server.wait_closed())
            self._loop.close()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def reply(line: str) -> None:
            writer.write(line.encode() + b"\r\n")

        reply("220 sink.test ESMTP test sink")
        sender, recipients = "", []
        while line := await reader.readline():
            command = line.decode("ascii", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                reply("250-sink.test" if verb == "EHLO" else "250 sink.test")
                if verb == "EHLO":
                    reply("250 8BITMIME")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip(" <>"), []
                reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                reply("250 OK")
            elif verb == "DATA":
                reply("354 end with <CRLF>.<CRLF>")
                await writer.drain()
                data = bytearray()
                while (part := await reader.readline()) not in (b".\r\n", b""):
                    data += part[1:] if part.startswith(b"..") else part  # dot-unstuffing
                self.messages.append(message_from_bytes(bytes(data), policy=policy.default))  # type: ignore[arg-type]
                self.envelopes.append((sender, recipients))
                reply("250 OK queued")
            elif verb == "QUIT":
                reply("221 bye")
                await writer.drain()
                break
            elif verb in ("RSET", "NOOP"):
                reply("250 OK")
            else:
                reply("502 command not implemented")
            await writer.drain()
        writer.close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """The messages, once at least ``count`` have arrived."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            assert time.monotonic() < deadline, f"{len(self.messages)} of {count} mails came"
            time.sleep(0.02)
        return list(self.messages)
