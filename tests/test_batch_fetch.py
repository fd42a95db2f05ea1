"""URL sources: timeouts, a size limit, retries with backoff; a local server on 127.0.0.1."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from service.batch.documents import Document, Rejected
from service.batch.fetch import Fetcher
from service.batch.sources import SourceOptions, read_sources
from tests.servers import Handler


def read(url, tmp_path, **fetcher):
    fetcher = Fetcher(cache_dir=tmp_path / "cache", **{"backoff": 0.01, **fetcher})
    return list(read_sources([url], SourceOptions(), fetcher))


def test_feed_url(server, tmp_path):
    docs = read(f"{server}/feed", tmp_path)
    assert [d.id for d in docs] == ["a1", "https://news.example/b"]


def test_page_url(server, tmp_path):
    (doc,) = read(f"{server}/page", tmp_path)
    assert isinstance(doc, Document) and "abducted fourteen boys" in doc.text


def test_timeout_is_a_rejected_record(server, tmp_path):
    (bad,) = read(f"{server}/slow", tmp_path, timeout=0.3, attempts=2)
    assert isinstance(bad, Rejected) and "timed out after 0.3 s (after 2 attempts)" in bad.reason


def test_response_over_the_size_limit_is_refused(server, tmp_path):
    (bad,) = read(f"{server}/big", tmp_path, max_bytes=10_000)
    assert "exceeds 10000" in bad.reason


def test_server_errors_are_retried_with_backoff(server, tmp_path):
    Handler.flaky_calls = 0
    docs = read(f"{server}/flaky", tmp_path, attempts=3)
    assert len(docs) == 2 and Handler.flaky_calls == 3


def test_client_errors_are_not_retried(server, tmp_path):
    (bad,) = read(f"{server}/missing", tmp_path)
    assert bad.reason == "fetch failed: HTTP 404" and bad.source.endswith("/missing")


def test_a_resumed_job_reads_the_copy_fetched_before(server, tmp_path):
    Handler.flaky_calls = 0
    first = read(f"{server}/flaky", tmp_path)
    calls = Handler.flaky_calls
    again = read(f"{server}/flaky", tmp_path)
    assert Handler.flaky_calls == calls and [d.id for d in again] == [d.id for d in first]


class Drip(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        try:
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass


def test_the_timeout_bounds_the_whole_download(tmp_path):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        started = time.monotonic()
        (bad,) = read(
            f"http://127.0.0.1:{httpd.server_address[1]}/", tmp_path, timeout=1.0, attempts=1
        )
        assert time.monotonic() - started < 2.5
        assert bad.reason == "fetch failed: the download took longer than 1 s (after 1 attempt)"
    finally:
        httpd.shutdown()
