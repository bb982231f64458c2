"""The default transport over real HTTP: retries of safe calls, 429 handling, no POST retry.

A tiny threaded HTTP server on loopback plays the API with scripted answers.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

import vnkit
from vnkit._client import _json_body, default_adapter


class Script:
    def __init__(self):
        self.answers: dict[str, list[tuple[int, dict, object]]] = {}
        self.hits: list[tuple[str, str, dict]] = []
        self.lock = threading.Lock()

    def next(self, method: str, path: str, query: dict):
        with self.lock:
            self.hits.append((method, path, query))
            if path == "/connect/token":
                return 200, {}, {"access_token": "t", "token_type": "Bearer",
                                 "expires_in": 3600}
            key = f"{path}#{query.get('pageNumber', '')}"
            queue = self.answers.get(key) or self.answers.get(path)
            if queue and len(queue) > 1:
                return queue.pop(0)
            return queue[0] if queue else (404, {}, {"message": "no"})

    def count(self, path: str, page: str | None = None) -> int:
        return sum(1 for _, p, q in self.hits
                   if p == path and (page is None or q.get("pageNumber") == page))


@pytest.fixture
def server():
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            status, headers, body = script.next(self.command, parts.path,
                                                dict(parse_qsl(parts.query)))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    script.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield script
    finally:
        httpd.shutdown()
        httpd.server_close()


def connect(server, **kwargs):
    return vnkit.connect(server.url, client_id="c", client_secret="s", tenant_id="t",
                         company=1, progress=False,
                         adapter=default_adapter(backoff_factor=0), **kwargs)


def page(n, total, size=2):
    return [{"number": f"{n}-{i}", "metadata": {"totalCount": total, "maxPageSize": size}}
            for i in range(size)]


def test_get_retries_5xx_then_succeeds(server):
    server.answers["/v1/customer"] = [(503, {}, {"Message": "busy"}), (502, {}, {}),
                                      (200, {}, [{"number": "1"}])]
    with connect(server) as client:
        assert client.get("customer") == [{"number": "1"}]
    assert server.count("/v1/customer") == 3


def test_429_with_short_retry_after_is_waited_out(server):
    server.answers["/v1/customer"] = [(429, {"Retry-After": "1"}, {"message": "slow"}),
                                      (200, {}, [])]
    with connect(server) as client:
        assert client.get("customer") == []
    assert server.count("/v1/customer") == 2


def test_429_with_long_retry_after_fails_at_once(server):
    server.answers["/v1/customer"] = [(429, {"Retry-After": "3600"}, {"message": "slow"})]
    with connect(server) as client:
        with pytest.raises(vnkit.RateLimitError) as info:
            client.get("customer")
    assert info.value.retry_after == 3600 and server.count("/v1/customer") == 1


def test_post_is_never_retried(server):
    server.answers["/v1/customer"] = [(503, {}, {"Message": "busy"}), (201, {}, {})]
    with connect(server) as client:
        with pytest.raises(vnkit.ServerError):
            client.request("POST", "customer", json={})
    assert server.count("/v1/customer") == 1


def test_page_failing_after_retries_names_the_page(server):
    server.answers["/v1/customer#1"] = [(200, {}, page(1, 6))]
    server.answers["/v1/customer#2"] = [(500, {}, {"Message": "boom"})]
    server.answers["/v1/customer#3"] = [(200, {}, page(3, 6))]
    with connect(server) as client:
        with pytest.raises(vnkit.IncompleteResultError) as info:
            client.fetch("customer")
    assert info.value.failed_pages == [2]
    assert server.count("/v1/customer", "2") == 4  # the call and three retries


def test_page_recovering_within_retries_is_fine(server):
    server.answers["/v1/customer#1"] = [(200, {}, page(1, 6))]
    server.answers["/v1/customer#2"] = [(503, {}, {}), (200, {}, page(2, 6))]
    server.answers["/v1/customer#3"] = [(200, {}, page(3, 6))]
    with connect(server) as client:
        assert len(client.fetch("customer")) == 6
    assert server.count("/v1/customer") == 4


# -- decoding list pages -----------------------------------------------------------------
def _response(body: bytes, content_type: str) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.headers["Content-Type"] = content_type
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    response._content = body
    return response


def test_pages_decode_the_same_with_orjson_and_without():
    records = [{"name": "Ærø Ål", "n": 1, "x": 1.5, "ok": True, "none": None,
                "lines": [{"a": "b"}]}]
    for content_type in ("application/json; charset=utf-8", "application/json"):
        response = _response(json.dumps(records).encode(), content_type)
        assert _json_body(response) == records == response.json()
    latin = _response(json.dumps(records, ensure_ascii=False).encode("latin-1"),
                      "application/json; charset=iso-8859-1")
    assert _json_body(latin) == records  # another charset: requests' decoder
    assert _json_body(_response(b"", "application/json")) == []
    assert _json_body(_response(b'[{"x": NaN}]', "application/json"))[0]["x"] != 0
    with pytest.raises(requests.exceptions.JSONDecodeError):
        _json_body(_response(b"<html>gateway</html>", "application/json"))
