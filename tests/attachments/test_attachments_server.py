"""The sandbox's attachment endpoints over real HTTP (article 18, facts section 6)."""

from __future__ import annotations

import json
import random
import uuid
from urllib.parse import quote, unquote, urlsplit

import pytest
import requests

BINARY = bytes(range(256)) * 4  # every byte value, several times
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def api_url(box, path: str, layout: str = "legacy") -> str:
    root = "/API/controller/api/v1/" if layout == "legacy" else "/v1/"
    return box.url + root + path


def post_file(session, url: str, data: bytes, name: str, field: str = "file",
              content_type: str = "application/octet-stream") -> requests.Response:
    return session.post(url, files={field: (name, data, content_type)})


def attachment_id(response: requests.Response) -> str:
    assert response.status_code == 201, response.text
    segment = urlsplit(response.headers["Location"]).path.rstrip("/").rsplit("/", 1)[-1]
    return str(uuid.UUID(segment))  # the last segment is a GUID


def refs(client, resource: str, key: str) -> list[dict]:
    return client.get(f"{resource}/{quote(key, safe='')}")["attachments"]


# -- round trips -------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["file", "v", "upload"])
def test_binary_round_trip_whatever_the_field_name(att_box, att_client, docs, field):
    key = docs["customerinvoice"]["referenceNumber"]
    response = post_file(att_client.session,
                         api_url(att_box, f"customerinvoice/{key}/Attachment"),
                         BINARY, f"all-bytes-{field}.bin", field=field)
    got = att_client.session.get(api_url(att_box, f"attachment/{attachment_id(response)}"))
    assert got.status_code == 200
    assert got.content == BINARY


def test_empty_file_round_trip(att_box, att_client, docs):
    key = docs["inventory"]["inventoryNumber"]
    response = post_file(att_client.session, api_url(att_box, f"inventory/{key}/attachment"),
                         b"", "empty.txt")
    got = att_client.session.get(api_url(att_box, f"attachment/{attachment_id(response)}"))
    assert got.status_code == 200
    assert got.content == b""
    assert got.headers["Content-Type"].startswith("text/plain")


def test_a_few_megabytes_round_trip(att_box, att_client, docs):
    data = random.Random(18).randbytes(3 * 1024 * 1024 + 17)
    key = docs["customerinvoice"]["referenceNumber"]
    response = post_file(att_client.session,
                         api_url(att_box, f"customerinvoice/{key}/attachment", "host"),
                         data, "big scan.pdf")
    got = att_client.session.get(response.headers["Location"])
    assert got.content == data
    assert got.headers["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("style", ["utf8-quoted", "rfc5987", "rfc2047"])
def test_non_ascii_file_name_is_kept(att_box, att_client, docs, style):
    name = f"Kvittering {style} æøå ÆØÅ – 東京.pdf"
    key = docs["customerCreditNote"]["referenceNumber"]
    url = api_url(att_box, f"customerCreditNote/{key}/attachment")
    boundary = "b0undary" + style
    if style == "utf8-quoted":  # what browsers and urllib3 send: raw UTF-8 in quotes
        disposition = f'form-data; name="file"; filename="{name}"'.encode()
    elif style == "rfc5987":  # what .NET adds as filename*
        disposition = (f"form-data; name=file; filename=fallback.pdf; "
                       f"filename*=utf-8''{quote(name, safe='')}").encode()
    else:
        import email.header

        word = email.header.Header(name, "utf-8").encode(maxlinelen=10_000)
        disposition = f'form-data; name="file"; filename="{word}"'.encode()
    body = (b"--" + boundary.encode() + b"\r\nContent-Disposition: " + disposition
            + b"\r\nContent-Type: application/octet-stream\r\n\r\n" + PDF
            + b"\r\n--" + boundary.encode() + b"--\r\n")
    response = att_client.session.post(
        url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    attachment = attachment_id(response)
    assert {"name": name, "id": attachment, "revision": 1} in refs(
        att_client, "customerCreditNote", key)
    got = att_client.session.get(api_url(att_box, f"attachment/{attachment}"))
    assert got.content == PDF
    star = got.headers["Content-Disposition"].split("filename*=UTF-8''", 1)[1]
    assert unquote(star) == name


# -- the article's C# clients, byte by byte -------------------------------------------------
def test_csharp_httpclient_shaped_body(att_box, att_client, docs):
    """The body .NET's MultipartFormDataContent writes for the article's HttpClient sample."""
    key = docs["customerinvoice"]["referenceNumber"]
    boundary = str(uuid.uuid4())
    body = (f"--{boundary}\r\n"
            "Content-Type: application/octet-stream\r\n"
            'Content-Disposition: form-data; name="file"; filename="invoice-scan.pdf"\r\n'
            "\r\n").encode() + PDF + f"\r\n--{boundary}--\r\n".encode()
    # .NET quotes the boundary parameter; the session adds the bearer token.
    headers = {"ipp-application-type": "Visma.net Financials",
               "ipp-company-id": str(att_client.company),
               "Content-Type": f'multipart/form-data; boundary="{boundary}"'}
    response = att_client.session.post(
        api_url(att_box, f"customerinvoice/{key}/Attachment"), data=body, headers=headers)
    attachment = attachment_id(response)
    assert "/API/controller/api/v1/" in response.headers["Location"]
    assert att_client.session.get(response.headers["Location"]).content == PDF
    assert any(r["id"] == attachment and r["name"] == "invoice-scan.pdf"
               for r in refs(att_client, "customerinvoice", key))


def test_webclient_uploadfile_shaped_body(att_box, att_client, docs):
    """``WebClient.UploadFile`` (the article's first sample): a ``file`` part with a type."""
    key = docs["inventory"]["inventoryNumber"]
    boundary = "---------------------8d9e1a2b3c4d5e6"
    body = (f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="datasheet.pdf"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode() + PDF \
        + f"\r\n--{boundary}--\r\n".encode()
    response = att_client.session.post(
        api_url(att_box, f"inventory/{key}/Attachment"), data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert att_client.session.get(
        api_url(att_box, f"attachment/{attachment_id(response)}")).content == PDF


# -- revisions ------------------------------------------------------------------------------
def test_same_name_makes_new_revisions_of_one_attachment(att_box, att_client, docs):
    key = docs["customerDebitNote"]["referenceNumber"]
    url = api_url(att_box, f"customerDebitNote/{key}/attachment")
    ids = [attachment_id(post_file(att_client.session, url, f"v{n}".encode(), "report.pdf"))
           for n in (1, 2, 3)]
    assert len(set(ids)) == 1
    mine = [r for r in refs(att_client, "customerDebitNote", key) if r["id"] == ids[0]]
    assert mine == [{"name": "report.pdf", "id": ids[0], "revision": 3}]
    assert att_client.session.get(api_url(att_box, f"attachment/{ids[0]}")).content == b"v3"
    other = attachment_id(post_file(att_client.session, url, b"x", "other.pdf"))
    assert other != ids[0]
    assert {"name": "other.pdf", "id": other, "revision": 1} in refs(
        att_client, "customerDebitNote", key)


def test_same_name_on_another_document_is_another_attachment(att_box, att_client, docs):
    first = docs["customerinvoice"]["referenceNumber"]
    second = docs["customerinvoice2"]["referenceNumber"]
    a = attachment_id(post_file(att_client.session, api_url(
        att_box, f"customerinvoice/{first}/attachment"), b"a", "shared-name.pdf"))
    b = attachment_id(post_file(att_client.session, api_url(
        att_box, f"customerinvoice/{second}/attachment"), b"b", "shared-name.pdf"))
    assert a != b
    assert att_client.session.get(api_url(att_box, f"attachment/{a}")).content == b"a"


# -- where uploads go -----------------------------------------------------------------------
def test_supplier_invoice_both_url_forms_and_lines(att_box, att_client, docs):
    doc = docs["supplierInvoice"]
    key, kind = doc["referenceNumber"], doc["documentType"]
    a = attachment_id(post_file(att_client.session, api_url(
        att_box, f"supplierInvoice/{key}/attachment"), b"1", "a.pdf"))
    b = attachment_id(post_file(att_client.session, api_url(
        att_box, f"SupplierInvoice/documentType/{kind}/{key}/Attachment"), b"2", "b.pdf"))
    line = doc["invoiceLines"][0]["lineNumber"]
    c = attachment_id(post_file(att_client.session, api_url(
        att_box, f"supplierInvoice/documentType/{kind}/{key}/{line}/attachment"), b"3",
        "line.pdf"))
    record = att_client.get(f"supplierInvoice/{key}")
    ids = {r["id"] for r in record["attachments"]}
    assert {a, b} <= ids and c not in ids
    assert {"name": "line.pdf", "id": c, "revision": 1} in record["invoiceLines"][0][
        "attachments"]


def test_customer_invoice_line_attachment(att_box, att_client, docs):
    key = docs["customerinvoice2"]["referenceNumber"]
    line = docs["customerinvoice2"]["invoiceLines"][-1]["lineNumber"]
    a = attachment_id(post_file(att_client.session, api_url(
        att_box, f"customerinvoice/{key}/{line}/attachment", "host"), b"L", "line.txt"))
    record = att_client.get(f"customerinvoice/{key}")
    target = [x for x in record["invoiceLines"] if x["lineNumber"] == line][0]
    assert {"name": "line.txt", "id": a, "revision": 1} in target["attachments"]


def test_deprecated_credit_note_path_reaches_the_credit_note(att_box, att_client, docs):
    key = docs["customerCreditNote"]["referenceNumber"]
    a = attachment_id(post_file(att_client.session, api_url(
        att_box, f"creditNote/{key}/attachment"), b"c", "legacy-path.pdf"))
    assert any(r["id"] == a for r in refs(att_client, "customerCreditNote", key))


def test_key_as_b64(att_box, att_client, docs):
    import base64

    key = docs["inventory"]["inventoryNumber"]
    encoded = "b64(" + base64.urlsafe_b64encode(key.encode()).rstrip(b"=").decode() + ")"
    a = attachment_id(post_file(att_client.session, api_url(
        att_box, f"inventory/{encoded}/attachment"), b"k", "b64.txt"))
    assert any(r["id"] == a for r in refs(att_client, "inventory", key))


# -- lists and expand -----------------------------------------------------------------------
def test_lists_show_references_only_when_expanded(att_box, att_client, docs):
    key = docs["customerinvoice"]["referenceNumber"]
    attachment_id(post_file(att_client.session, api_url(
        att_box, f"customerinvoice/{key}/attachment"), b"e", "expand.pdf"))

    def listed(unchecked=None, **params) -> dict:
        rows = att_client.get("customerinvoice", pageSize=3, unchecked=unchecked, **params)
        return next(r for r in rows if r["referenceNumber"] == key)

    assert listed()["attachments"] == []
    assert any(r["name"] == "expand.pdf" for r in listed(expandAttachments="true")
               ["attachments"])
    assert any(r["name"] == "expand.pdf" for r in listed(unchecked={"ExpandAttachment": "True"})
               ["attachments"])


def test_inventory_list_with_expand_attachment(att_box, att_client, docs):
    key = docs["inventory"]["inventoryNumber"]
    attachment_id(post_file(att_client.session, api_url(
        att_box, f"inventory/{key}/attachment"), b"i", "inv-list.pdf"))
    rows = att_client.get("inventory", inventoryNumber=key, expandAttachment="true")
    assert any(r["name"] == "inv-list.pdf" for r in rows[0]["attachments"])
    rows = att_client.get("inventory", inventoryNumber=key)
    assert rows[0]["attachments"] == []


# -- metadata PUT ---------------------------------------------------------------------------
@pytest.mark.parametrize("member", ["sendToAutoinvoice", "sendToAutoInvoice",
                                    "SENDTOAUTOINVOICE"])
def test_send_to_autoinvoice(att_box, att_client, docs, db_rows, member):
    key = docs["customerinvoice"]["referenceNumber"]
    a = attachment_id(post_file(att_client.session, api_url(
        att_box, f"customerinvoice/{key}/attachment"), b"m", f"meta-{member}.pdf"))
    assert db_rows("SELECT send_to_autoinvoice FROM attachments WHERE id = ?", a) == [(0,)]
    response = att_client.session.put(api_url(att_box, f"attachment/{a}"),
                                      json={member: {"value": True}})
    assert response.status_code == 204 and response.content == b""
    assert db_rows("SELECT send_to_autoinvoice FROM attachments WHERE id = ?", a) == [(1,)]
    response = att_client.session.put(api_url(att_box, f"attachment/{a}", "host"),
                                      json={member: {"value": False}})
    assert response.status_code == 204
    assert db_rows("SELECT send_to_autoinvoice FROM attachments WHERE id = ?", a) == [(0,)]


def test_bad_metadata_is_refused_and_changes_nothing(att_box, att_client, docs, db_rows):
    key = docs["customerinvoice"]["referenceNumber"]
    a = attachment_id(post_file(att_client.session, api_url(
        att_box, f"customerinvoice/{key}/attachment"), b"m", "meta-bad.pdf"))
    for body in ({"sendToAutoinvoice": {"value": "yes"}}, [1, 2]):
        response = att_client.session.put(api_url(att_box, f"attachment/{a}"), json=body)
        assert response.status_code == 400
        assert "sendToAutoinvoice" in response.json()["message"] or "object" in \
            response.json()["message"]
    response = att_client.session.put(api_url(att_box, f"attachment/{a}"), data=b"{nope",
                                      headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "JSON" in response.json()["message"]
    assert db_rows("SELECT send_to_autoinvoice FROM attachments WHERE id = ?", a) == [(0,)]
    missing = att_client.session.put(api_url(att_box, f"attachment/{uuid.uuid4()}"),
                                     json={"sendToAutoinvoice": {"value": True}})
    assert missing.status_code == 404 and "message" in missing.json()


# -- errors ---------------------------------------------------------------------------------
def count_revisions(db_rows) -> int:
    # The table appears with the sandbox's first attachment request.
    if not db_rows("SELECT 1 FROM sqlite_master WHERE name = 'attachment_revisions'"):
        return 0
    return db_rows("SELECT COUNT(*) FROM attachment_revisions")[0][0]


def test_unknown_document_is_404_and_stores_nothing(att_box, att_client, db_rows, docs):
    post_file(att_client.session, api_url(att_box, "inventory/"
              f"{docs['inventory']['inventoryNumber']}/attachment"), b"x", "warm.txt")
    before = count_revisions(db_rows)
    response = post_file(att_client.session,
                         api_url(att_box, "customerinvoice/NO-SUCH-INVOICE/attachment"),
                         b"x", "x.pdf")
    assert response.status_code == 404
    assert "NO-SUCH-INVOICE" in response.json()["message"]
    line = post_file(att_client.session, api_url(
        att_box, f"customerinvoice/{docs['customerinvoice']['referenceNumber']}/999/"
                 "attachment"), b"x", "x.pdf")
    assert line.status_code == 404 and "999" in line.json()["message"]
    assert count_revisions(db_rows) == before


def test_missing_file_part_is_400_naming_it(att_box, att_client, docs, db_rows):
    before = count_revisions(db_rows)
    url = api_url(att_box, f"customerinvoice/{docs['customerinvoice']['referenceNumber']}"
                           "/attachment")
    boundary = "xyz"
    body = (b"--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nnot a file"
            b"\r\n--xyz--\r\n")
    response = att_client.session.post(
        url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 400
    assert "file part" in response.json()["message"]
    two = att_client.session.post(url, files={"a": ("a.pdf", b"1"), "b": ("b.pdf", b"2")})
    assert two.status_code == 400 and "one file" in two.json()["message"]
    plain = att_client.session.post(url, data=PDF,
                                    headers={"Content-Type": "application/pdf"})
    assert plain.status_code == 415 and "multipart/form-data" in plain.json()["message"]
    assert count_revisions(db_rows) == before


@pytest.mark.parametrize("name,shown", [
    ("scan\r\nSet-Cookie: x=1.pdf", "CR, LF"),       # header injection via the name
    ("scan\x00.pdf", "NUL"),
    ("line\nbreak.pdf", "LF"),
    ("bell\x07.pdf", "U+0007"),
])
@pytest.mark.parametrize("style", ["quoted", "rfc5987"])
def test_file_name_with_control_characters_is_refused(att_box, att_client, docs, db_rows,
                                                       name, shown, style):
    """Such a name was stored and then could never be downloaded (it cannot go into the
    Content-Disposition header): refused at the upload, naming the characters."""
    if style == "quoted" and "\r\n" in name:
        pytest.skip("a raw CR LF ends the header line: the name is then what precedes it")
    before = count_revisions(db_rows)
    url = api_url(att_box, f"customerinvoice/{docs['customerinvoice']['referenceNumber']}"
                           "/attachment")
    if style == "quoted":  # the raw bytes in the quoted filename (CR/LF too)
        disposition = b'form-data; name="file"; filename="' + name.encode() + b'"'
    else:
        disposition = (b"form-data; name=file; filename=x.pdf; filename*=utf-8''"
                       + quote(name, safe="").encode())
    body = (b"--cc\r\nContent-Disposition: " + disposition
            + b"\r\nContent-Type: application/pdf\r\n\r\n" + PDF + b"\r\n--cc--\r\n")
    response = att_client.session.post(
        url, data=body, headers={"Content-Type": "multipart/form-data; boundary=cc"})
    assert response.status_code == 400, response.text
    assert f"control characters ({shown})" in response.json()["message"]
    assert count_revisions(db_rows) == before


@pytest.mark.parametrize("resource,key", [("customer", "number"), ("supplier", "number"),
                                          ("purchaseorder", "orderNbr")])
def test_no_upload_endpoint_for_master_data_and_orders(att_box, att_client, db_rows,
                                                       resource, key):
    before = count_revisions(db_rows)
    record = att_client.get(resource, pageSize=1)[0]
    response = post_file(att_client.session, api_url(
        att_box, f"{resource}/{quote(record[key], safe='')}/attachment"), b"x", "x.pdf")
    # No such route in API 8.43: "not found" or "method not allowed", never stored.
    assert response.status_code in (404, 405)
    assert "message" in response.json()
    assert count_revisions(db_rows) == before


def test_get_on_the_upload_path_is_405(att_box, att_client, docs):
    response = att_client.session.get(api_url(
        att_box, f"customerinvoice/{docs['customerinvoice']['referenceNumber']}/attachment"))
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


def test_unknown_attachment_is_404(att_box, att_client):
    response = att_client.session.get(api_url(att_box, f"attachment/{uuid.uuid4()}"))
    assert response.status_code == 404
    assert "was not found" in response.json()["message"]


def test_upload_needs_a_token_with_create_scope(att_box, docs):
    import vnkit

    with vnkit.connect(att_box, scopes=("read",), progress=False) as reader:
        response = post_file(reader.session, api_url(
            att_box, f"customerinvoice/{docs['customerinvoice']['referenceNumber']}/"
                     "attachment"), b"x", "x.pdf")
    assert response.status_code == 403
    no_token = requests.post(api_url(att_box, "attachment/x"), data=b"")
    assert no_token.status_code == 401


def test_other_company_cannot_read_the_attachment(att_box, att_client, docs):
    import vnkit

    a = attachment_id(post_file(att_client.session, api_url(
        att_box, f"customerinvoice/{docs['customerinvoice']['referenceNumber']}/attachment"),
        b"private", "private.pdf"))
    others = [c for c in att_box.credentials.companies if c.company_id != att_client.company]
    assert others, "the demo data has several companies"
    with vnkit.connect(att_box, company=others[0].company_id, progress=False) as other:
        response = other.session.get(api_url(att_box, f"attachment/{a}"))
    assert response.status_code == 404


def test_size_limit_and_expand_are_settings(tmp_path, att_box):
    import vnkit
    from vnkit import sandbox

    box = sandbox.start(db=tmp_path / "small.sqlite3", reset=True, attachment_max_bytes=1000,
                        attachments_need_expand=False)
    try:
        with vnkit.connect(box, scopes=("read", "create"), progress=False) as client:
            key = client.get("customerinvoice", pageSize=1)[0]["referenceNumber"]
            url = api_url(box, f"customerinvoice/{key}/attachment")
            big = post_file(client.session, url, b"x" * 1001, "big.bin")
            assert big.status_code == 413 and "1000" in big.json()["message"]
            assert client.get(f"customerinvoice/{key}")["attachments"] == []
            ok = post_file(client.session, url, b"x" * 1000, "ok.bin")
            assert ok.status_code == 201
            # With attachments_need_expand off, plain lists show the references too.
            listed = client.get("customerinvoice", pageSize=1)[0]
            assert [r["name"] for r in listed["attachments"]] == ["ok.bin"]
    finally:
        box.stop()


def test_upload_leaves_other_fields_of_the_document_alone(att_box, att_client, docs):
    key = docs["customerDebitNote"]["referenceNumber"]
    before = att_client.get(f"customerDebitNote/{key}")
    attachment_id(post_file(att_client.session, api_url(
        att_box, f"customerDebitNote/{key}/attachment"), b"z", "untouched.pdf"))
    after = att_client.get(f"customerDebitNote/{key}")
    before.pop("attachments")
    after.pop("attachments")
    assert json.dumps(before, sort_keys=True) == json.dumps(after, sort_keys=True)


def test_swagger_lists_the_attachment_endpoints(att_box):
    paths = requests.get(att_box.url + "/API-index/doc/swagger").json()["paths"]
    assert "post" in paths["/v1/customerinvoice/{invoiceNumber}/attachment"]
    assert "post" in paths["/v1/inventory/{inventoryNumber}/attachment"]
    assert {"get", "put"} <= set(paths["/v1/attachment/{attachmentId}"])


def test_size_limit_setting_is_checked():
    from vnkit.sandbox import Settings

    with pytest.raises(ValueError, match="attachment_max_bytes"):
        Settings(attachment_max_bytes=-1)
