"""Real servers on free loopback ports, for tests that need real HTTP: the API under uvicorn,
and a small web server of feeds and pages (``Handler``)."""

import queue
import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

import uvicorn

from service.app import create_app
from service.config import Settings
from tests.factories import PAGE, RSS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def live_server(settings: Settings):
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(10)


class Handler(BaseHTTPRequestHandler):
    flaky_calls = 0

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/feed":
            self._send(200, RSS.encode(), "application/rss+xml")
        elif self.path == "/page":
            self._send(200, PAGE.encode(), "text/html; charset=utf-8")
        elif self.path == "/slow":
            time.sleep(1.5)
            self._send(200, b"late")
        elif self.path == "/big":
            self._send(200, b"x" * 50_000)
        elif self.path == "/flaky":
            Handler.flaky_calls += 1
            if Handler.flaky_calls < 3:
                self._send(503, b"busy")
            else:
                self._send(200, RSS.encode(), "application/rss+xml")
        else:
            self._send(404, b"not found")


def log_lines(stream) -> queue.Queue:
    """The stream's lines, read by a thread so that the test can wait with a deadline."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in stream], daemon=True).start()
    return lines


def wait_for_line(lines: queue.Queue, found, seconds: float = 120) -> str:
    """The first line for which ``found`` is true; fails, showing the lines read, after
    ``seconds``."""
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(line)
        if found(line):
            return line
    raise AssertionError("no such line in the server's log:\n" + "".join(seen))
