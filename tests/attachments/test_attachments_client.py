"""``Client.attach`` / ``download_attachment`` / ``update_attachment`` against the sandbox."""

from __future__ import annotations

import base64
import http.server
import io
import threading
import uuid

import pytest

import vnkit
from vnkit import _attachments as client_attachments

ALL_BYTES = bytes(range(256))


@pytest.fixture
def no_requests(att_client, monkeypatch):
    """The client, with any attempt to send a request failing the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a request was sent although the arguments were bad")

    for name in ("request", "get", "post", "put", "send"):
        monkeypatch.setattr(att_client.session, name, refuse)
    return att_client


# -- round trips through the client ---------------------------------------------------------
def test_attach_bytes_and_download(att_client, docs):
    key = docs["customerinvoice"]["referenceNumber"]
    attachment = att_client.attach("customerinvoice", key, ALL_BYTES * 8,
                                   filename="bytes.bin")
    assert str(uuid.UUID(attachment)) == attachment
    assert att_client.download_attachment(attachment) == ALL_BYTES * 8


def test_attach_path_uses_its_name_and_download_to_file(att_client, docs, tmp_path):
    source = tmp_path / "Faktura 2024 – ÆØÅ.pdf"
    source.write_bytes(b"%PDF-1.7\n" + ALL_BYTES)
    key = docs["inventory"]["inventoryNumber"]
    attachment = att_client.attach("inventory", key, source)
    refs = att_client.get(f"inventory/{key}")["attachments"]
    assert {"name": source.name, "id": attachment, "revision": 1} in refs
    target = tmp_path / "copy.pdf"
    data = att_client.download_attachment(attachment, to=target)
    assert target.read_bytes() == data == source.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_attach_file_object_and_empty_file(att_client, docs, tmp_path):
    key = docs["customerCreditNote"]["referenceNumber"]
    path = tmp_path / "empty.dat"
    path.write_bytes(b"")
    with open(path, "rb") as handle:
        attachment = att_client.attach("customerCreditNote", key, handle)
    assert att_client.download_attachment(attachment) == b""
    named = att_client.attach("customerCreditNote", key, io.BytesIO(b"abc"),
                              filename="stream.txt")
    assert att_client.download_attachment(named) == b"abc"


def test_revisions_through_the_client(att_client, docs):
    key = docs["customerDebitNote"]["referenceNumber"]
    ids = [att_client.attach("customerDebitNote", key, f"rev {n}".encode(),
                             filename="client-rev.pdf") for n in range(1, 4)]
    assert len(set(ids)) == 1
    ref = [r for r in att_client.get(f"customerDebitNote/{key}")["attachments"]
           if r["id"] == ids[0]]
    assert ref == [{"name": "client-rev.pdf", "id": ids[0], "revision": 3}]
    assert att_client.download_attachment(ids[0]) == b"rev 3"


def test_line_and_document_type(att_client, docs):
    doc = docs["supplierInvoice"]
    line = doc["invoiceLines"][0]["lineNumber"]
    attachment = att_client.attach("supplierInvoice", doc["referenceNumber"], b"l",
                                   filename="client-line.pdf", line=line,
                                   document_type=doc["documentType"])
    record = att_client.get(f"supplierInvoice/{doc['referenceNumber']}")
    assert {"name": "client-line.pdf", "id": attachment, "revision": 1} in \
        record["invoiceLines"][0]["attachments"]


def test_update_attachment(att_client, docs, db_rows):
    key = docs["customerinvoice"]["referenceNumber"]
    attachment = att_client.attach("customerinvoice", key, b"e", filename="einvoice.pdf")
    assert att_client.update_attachment(attachment) is None
    assert db_rows("SELECT send_to_autoinvoice FROM attachments WHERE id = ?",
                   attachment) == [(1,)]
    att_client.update_attachment(attachment, send_to_autoinvoice=False)
    assert db_rows("SELECT send_to_autoinvoice FROM attachments WHERE id = ?",
                   attachment) == [(0,)]


def test_api_errors_become_exceptions(att_client, docs):
    with pytest.raises(vnkit.NotFoundError) as info:
        att_client.attach("customerinvoice", "NOT-THERE", b"x", filename="x.pdf")
    assert "NOT-THERE" in str(info.value)
    with pytest.raises(vnkit.NotFoundError):
        att_client.download_attachment(str(uuid.uuid4()))
    with pytest.raises(vnkit.NotFoundError):
        att_client.update_attachment(str(uuid.uuid4()))


def test_download_accepts_the_location_url(att_client, att_box, docs):
    key = docs["customerinvoice"]["referenceNumber"]
    attachment = att_client.attach("customerinvoice", key, b"loc", filename="loc.pdf")
    location = f"{att_box.url}/v1/attachment/{attachment}"
    assert att_client.download_attachment(location) == b"loc"


# -- bad arguments fail before any request --------------------------------------------------
@pytest.mark.parametrize("call,parameter", [
    (lambda c: c.attach("customerinvoice", "1", b"x"), "filename"),
    (lambda c: c.attach("customerinvoice", "1", "/no/such/file.pdf"), "file"),
    (lambda c: c.attach("customerinvoice", "1", 42, filename="x"), "file"),
    (lambda c: c.attach("customerinvoice", "1", io.StringIO("text"), filename="x"), "file"),
    (lambda c: c.attach("customerinvoice", "1", io.BytesIO(b"x")), "filename"),
    (lambda c: c.attach("customer", "10001", b"x", filename="x.pdf"), "resource"),
    (lambda c: c.attach("Supplier", "1", b"x", filename="x.pdf"), "resource"),
    (lambda c: c.attach("purchaseorder", "1", b"x", filename="x.pdf"), "resource"),
    (lambda c: c.attach("", "1", b"x", filename="x.pdf"), "resource"),
    (lambda c: c.attach("customerinvoice/1", "1", b"x", filename="x.pdf"), "resource"),
    (lambda c: c.attach("customerinvoice", "", b"x", filename="x.pdf"), "key"),
    (lambda c: c.attach("customerinvoice", None, b"x", filename="x.pdf"), "key"),
    (lambda c: c.attach("customerinvoice", "1", b"x", filename=""), "filename"),
    (lambda c: c.attach("customerinvoice", "1", b"x", filename="a/b.pdf"), "filename"),
    (lambda c: c.attach("customerinvoice", "1", b"x", filename="a\nb.pdf"), "filename"),
    (lambda c: c.attach("customerinvoice", "1", b"x", filename="x.pdf", line=0), "line"),
    (lambda c: c.attach("customerinvoice", "1", b"x", filename="x.pdf", line=True), "line"),
    (lambda c: c.attach("customerinvoice", "1", b"x", filename="x.pdf", line="2"), "line"),
    (lambda c: c.download_attachment(""), "attachment_id"),
    (lambda c: c.download_attachment(None), "attachment_id"),
    (lambda c: c.download_attachment("a/b"), "attachment_id"),
    (lambda c: c.update_attachment("abc", send_to_autoinvoice="yes"), "send_to_autoinvoice"),
    (lambda c: c.update_attachment("abc", send_to_autoinvoice=1), "send_to_autoinvoice"),
])
def test_bad_arguments_fail_before_any_request(no_requests, call, parameter):
    with pytest.raises(vnkit.FilterError) as info:
        call(no_requests)
    assert info.value.parameter == parameter


def test_download_to_a_missing_folder_fails_first(no_requests, tmp_path):
    with pytest.raises(vnkit.FilterError) as info:
        no_requests.download_attachment("abc", to=tmp_path / "nope" / "x.pdf")
    assert info.value.parameter == "to"
    with pytest.raises(vnkit.FilterError):
        no_requests.download_attachment("abc", to=tmp_path)


# -- how the request looks ------------------------------------------------------------------
@pytest.mark.parametrize("key", ["a/b", "x?y", "50%", "A&B+C", "back\\slash", "trail."])
def test_reserved_keys_go_as_b64(key):
    segment = client_attachments.key_segment(key)
    assert segment.startswith("b64(") and segment.endswith(")")
    inner = segment[4:-1]
    assert base64.urlsafe_b64decode(inner + "=" * (-len(inner) % 4)).decode() == key


def test_plain_keys_go_as_they_are():
    assert client_attachments.key_segment("000123") == "000123"
    assert client_attachments.key_segment(42) == "42"


def test_multipart_body_is_one_octet_stream_file_part():
    body, content_type = client_attachments.multipart_body(ALL_BYTES, "scan.pdf")
    boundary = content_type.split("boundary=", 1)[1]
    assert content_type.startswith("multipart/form-data; ")
    assert body.startswith(f"--{boundary}\r\n".encode())
    assert body.endswith(f"\r\n--{boundary}--\r\n".encode())
    assert b'Content-Disposition: form-data; name="file"; filename="scan.pdf"\r\n' in body
    assert b"Content-Type: application/octet-stream\r\n\r\n" + ALL_BYTES + b"\r\n" in body
    assert body.count(f"--{boundary}".encode()) == 2


def test_non_ascii_name_travels_in_both_forms():
    value = client_attachments.disposition("file", "Ærø.pdf")
    assert value.isascii()
    assert "filename*=utf-8''%C3%86r%C3%B8.pdf" in value
    assert 'filename="=?utf-8?' in value


# -- never retried --------------------------------------------------------------------------
class _Unavailable(http.server.BaseHTTPRequestHandler):
    posts = 0

    def do_POST(self):  # noqa: N802 - the handler API's name
        type(self).posts += 1
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        body = b'{"message": "temporarily unavailable"}'
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _NoAuth:
    def __call__(self, request):
        return request


def test_an_upload_is_never_retried():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Unavailable)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        client = vnkit.Client(vnkit.Environment.sandbox(url), auth=_NoAuth(), company=1,
                              progress=False)
        with pytest.raises(vnkit.ServerError):
            client.attach("customerinvoice", "1", b"x", filename="x.pdf")
        client.close()
    finally:
        server.shutdown()
        server.server_close()
    assert _Unavailable.posts == 1
