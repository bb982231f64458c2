"""Attachments in the sandbox: multipart upload, revisions, download, metadata (article 18).

The real API takes one file per ``POST .../{resource}/{key}/attachment`` (and
``.../{key}/{lineNumber}/attachment`` for a document line), as ``multipart/form-data``.
Its schema declares no form field, so clients name the part as they like (``file``
from .NET, ``v`` in another client); the server keeps whichever part carries a file
name. The answer is 201 with a ``Location`` ending in the attachment's GUID. Uploading
a name that the document already has makes a new *revision* of the same attachment
(same id); ``GET v1/attachment/{id}`` returns the newest revision's bytes and
``PUT v1/attachment/{id}`` sets ``sendToAutoinvoice`` (204).

Storage lives in the working database, next to the overlay of written documents:

``attachments(id, company_id, record_id, entity, line_number, name, send_to_autoinvoice,
created)`` and ``attachment_revisions(attachment_id, revision, content_type, size,
uploaded, data)``.

An upload writes the revision row and the document's ``attachments`` reference (into
the ``docs`` overlay) in one transaction, so a refused or failed upload changes
nothing. Lists show a record's attachment references only when asked with
``expandAttachments``/``expandAttachment`` (facts section 6); a single GET always does.

Every upload operation of the surface reaches :meth:`Attachments.upload` through the
generic handlers (``routers._generic``); the download and the update are the
operations :func:`handlers` names.
"""

from __future__ import annotations

import email.header
import json
import mimetypes
import re
import sqlite3
import unicodedata
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from .._surface import surface
from ._answers import BadJson, parse_json
from ._answers import message_error as _message
from ._canonical import ROOT_KEY
from ._resources import ENTITIES, Entity, attachment_target
from ._settings import Settings
from ._store import _DOC, _DOC_JOIN, Store

# Lower-cased path segment -> entity that accepts uploads (facts section 6). The
# deprecated ``creditNote`` endpoint addresses the same documents as customerCreditNote.
# customer, supplier and purchaseorder have no upload endpoint in API 8.43: their
# ``.../attachment`` paths fall through to the ordinary 404.
_UPLOADABLE: dict[str, str] = {
    "customerinvoice": "customerinvoice",
    "customercreditnote": "customerCreditNote",
    "creditnote": "customerCreditNote",
    "customerdebitnote": "customerDebitNote",
    "supplierinvoice": "supplierInvoice",
    "inventory": "inventory",
}
# Entities whose documents have lines that can carry attachments, and the lines' field.
_LINES_FIELD: dict[str, str] = {
    "customerinvoice": "invoiceLines",
    "customerCreditNote": "invoiceLines",
    "customerDebitNote": "invoiceLines",
    "supplierInvoice": "invoiceLines",
}
# Entities whose list answers carry ``attachments`` (hidden unless expanded).
ATTACHMENT_ENTITIES = frozenset(_UPLOADABLE.values())
_EXPAND_PARAMS = ("expandattachments", "expandattachment")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS main.attachments(
    id TEXT PRIMARY KEY, company_id INTEGER NOT NULL, record_id INTEGER NOT NULL,
    entity TEXT NOT NULL, line_number INTEGER NOT NULL, name TEXT NOT NULL,
    send_to_autoinvoice INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS main.attachments_name
    ON attachments(record_id, line_number, name);
CREATE TABLE IF NOT EXISTS main.attachment_revisions(
    attachment_id TEXT NOT NULL, revision INTEGER NOT NULL, content_type TEXT NOT NULL,
    size INTEGER NOT NULL, uploaded TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY(attachment_id, revision)) WITHOUT ROWID;
"""
_NO_LINE = 0  # line_number of a whole-document attachment (lines are numbered from 1)


_DUMPS = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class AttachmentError(Exception):
    """A refused attachment request; becomes ``{"message": ...}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}




# --------------------------------------------------------------------------- multipart


def _header_params(value: bytes) -> tuple[str, dict[str, bytes]]:
    """``(type, {param: raw value})`` of a header such as Content-Disposition.

    Values stay bytes: a file name may arrive as raw UTF-8 (browsers, urllib3), as an
    RFC 2047 encoded word (.NET) or in ``filename*`` (RFC 5987), and only the caller
    knows which to prefer.
    """
    params: dict[str, bytes] = {}
    head, _, rest = value.partition(b";")
    pos, n = 0, len(rest)
    while pos < n:
        while pos < n and rest[pos:pos + 1] in b" \t;":
            pos += 1
        eq = rest.find(b"=", pos)
        if eq < 0:
            break
        name = rest[pos:eq].strip().lower().decode("latin-1")
        pos = eq + 1
        while pos < n and rest[pos:pos + 1] in b" \t":
            pos += 1
        if rest[pos:pos + 1] == b'"':
            pos += 1
            out = bytearray()
            while pos < n and rest[pos:pos + 1] != b'"':
                if rest[pos:pos + 1] == b"\\" and pos + 1 < n:
                    pos += 1
                out += rest[pos:pos + 1]
                pos += 1
            pos += 1  # closing quote
            params[name] = bytes(out)
        else:
            end = rest.find(b";", pos)
            end = n if end < 0 else end
            params[name] = rest[pos:end].strip()
            pos = end
    return head.strip().lower().decode("latin-1"), params


def _file_name(params: dict[str, bytes]) -> str | None:
    """The part's file name, or None when the part is not a file."""
    star = params.get("filename*")
    if star:
        charset, _, tail = star.decode("latin-1").partition("'")
        _, _, encoded = tail.partition("'")
        try:
            name = unquote(encoded, encoding=charset or "utf-8", errors="strict")
        except (LookupError, UnicodeDecodeError):
            name = None
        if name:
            return _basename(name)
    raw = params.get("filename")
    if raw is None:
        return None
    text = raw.decode("latin-1")
    if text.startswith("=?") and text.endswith("?="):
        try:  # RFC 2047 encoded word, as .NET writes non-ASCII names
            text = str(email.header.make_header(email.header.decode_header(text)))
            return _basename(text)
        except (ValueError, LookupError, UnicodeDecodeError):
            pass
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return _basename(text)


def _basename(name: str) -> str:
    # Old browsers send the whole client-side path; the API keeps the file's own name.
    return re.split(r"[\\/]", name)[-1].strip()


class _Part:
    __slots__ = ("headers", "data")

    def __init__(self) -> None:
        self.headers: dict[str, bytes] = {}
        self.data = bytearray()


def parse_multipart(body: bytes, boundary: bytes) -> list[_Part]:
    """Split a ``multipart/form-data`` body into parts (headers lower-cased, raw data)."""
    from python_multipart.exceptions import MultipartParseError
    from python_multipart.multipart import MultipartParser

    parts: list[_Part] = []
    field, value = bytearray(), bytearray()

    def on_part_begin() -> None:
        parts.append(_Part())

    def on_header_field(data: bytes, start: int, end: int) -> None:
        field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        value.extend(data[start:end])

    def on_header_end() -> None:
        parts[-1].headers[bytes(field).decode("latin-1").strip().lower()] = bytes(value).strip()
        field.clear()
        value.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1].data.extend(data[start:end])

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_part_data": on_part_data}, max_header_count=32, max_header_size=16384)
    try:
        parser.write(body)
        parser.finalize()
    except MultipartParseError as exc:
        raise AttachmentError(400, f"The multipart/form-data body could not be read: "
                                   f"{exc}.") from None
    return parts


def pick_file(parts: list[_Part]) -> tuple[str, str | None, bytes]:
    """``(file name, declared content type, bytes)`` of the one file part.

    The part's form-field name does not matter (the API's schema declares none); what
    makes a part a file is the ``filename`` of its Content-Disposition.
    """
    files = []
    for part in parts:
        disposition = part.headers.get("content-disposition")
        if disposition is None:
            continue
        _, params = _header_params(disposition)
        name = _file_name(params)
        if name is None:
            continue
        declared = part.headers.get("content-type")
        files.append((name, declared.decode("latin-1").strip() if declared else None,
                      bytes(part.data)))
    if not files:
        raise AttachmentError(400, "The request has no file part: send the file as a "
                                   "multipart/form-data part whose Content-Disposition "
                                   "has a filename, e.g. form-data; name=\"file\"; "
                                   "filename=\"scan.pdf\".")
    if len(files) > 1:
        raise AttachmentError(400, f"The request has {len(files)} file parts; upload one "
                                   "file per request.")
    name, content_type, data = files[0]
    if not name:
        raise AttachmentError(400, "The file part's filename is empty; name the file.")
    problem = _name_problem(name)
    if problem:
        raise AttachmentError(400, f"The file part's filename {problem}; rename the file.")
    return name, content_type, data


#: Characters a stored file name may not hold, by the name the error message gives.
_CONTROL_NAMES = {"\r": "CR", "\n": "LF", "\x00": "NUL", "\t": "TAB", "\x7f": "DEL"}


def _name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a file name, or None.

    Control characters (CR, LF, NUL and the rest of C0/C1) would be accepted but could
    never be downloaded: the name goes into the ``Content-Disposition`` header, where
    they are not allowed. They are refused at the upload, where the sender can act.
    """
    found = list(dict.fromkeys(c for c in name if unicodedata.category(c) == "Cc"))
    if not found:
        return None
    shown = ", ".join(_CONTROL_NAMES.get(c, f"U+{ord(c):04X}") for c in found)
    return f"contains control characters ({shown})"


def content_type_for(name: str, declared: str | None) -> str:
    """What a download of this file says it is.

    A declared generic type (``application/octet-stream``, what the article's example
    sends) says nothing, so the file name's extension decides then.
    """
    generic = (None, "", "application/octet-stream")
    if declared is not None and declared.split(";")[0].strip().lower() not in generic:
        return declared
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 one (RFC 6266)."""
    fallback = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    fallback = fallback.replace("\\", "_").replace('"', "_")
    # A name stored before control characters were refused still downloads.
    fallback = "".join("_" if unicodedata.category(c) == "Cc" else c for c in fallback)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


# --------------------------------------------------------------------------- storage


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


class AttachmentStore:
    """Attachment rows and document references in a sandbox's working database."""

    def __init__(self, store: Store):
        self.store = store
        self._ready: set[int] = set()

    def _conn(self) -> sqlite3.Connection:
        conn = self.store.connection()
        if id(conn) not in self._ready:
            conn.executescript(_SCHEMA)
            self._ready.add(id(conn))
        return conn

    def _find_record(self, conn: sqlite3.Connection, company_id: int, entity: Entity,
                     key: str, document_type: str | None) -> tuple[int, dict] | None:
        rows = conn.execute(
            f"SELECT r.id, {_DOC} FROM records r {_DOC_JOIN} "
            "WHERE r.company_id = ? AND r.entity = ? AND r.key = ? ORDER BY r.seq",
            (company_id, entity.name, key)).fetchall()
        for record_id, doc in rows:
            record = json.loads(doc)
            if document_type is None or str(record.get("documentType", "")).lower() \
                    == document_type.lower():
                return record_id, record
        return None

    def upload(self, company_id: int, entity: Entity, key: str, line: int | None,
               document_type: str | None, name: str, content_type: str,
               data: bytes) -> tuple[str, int]:
        """Store one upload; returns ``(attachment id, revision)``.

        Raises
        ------
        AttachmentError
            404 when the document (or its line) does not exist.
        """
        self._conn()  # the attachment tables exist on this thread's connection
        with self.store.transaction() as conn:
            found = self._find_record(conn, company_id, entity, key, document_type)
            if found is None:
                shown = f"{document_type}/{key}" if document_type else key
                raise AttachmentError(404, f"{entity.name} '{shown}' was not found.")
            record_id, record = found
            holder: dict = record
            if line is not None:
                lines = record.get(_LINES_FIELD.get(entity.name, "")) or []
                found_line = next((item for item in lines if isinstance(item, dict)
                                   and str(item.get("lineNumber")) == str(line)), None)
                if found_line is None:
                    # Lines of another name (the read DTO's ``lines``): any list of lines.
                    found_line = next((item for value in record.values()
                                       if isinstance(value, list) for item in value
                                       if isinstance(item, dict) and any(
                                           str(item.get(name)) == str(line)
                                           for name in ("lineNumber", "lineNbr", "lineNo"))),
                                      None)
                if found_line is None:
                    raise AttachmentError(404, f"{entity.name} '{key}' has no line {line}.")
                holder = found_line
            row = conn.execute(
                "SELECT id FROM attachments WHERE record_id = ? AND line_number = ? "
                "AND name = ?", (record_id, _NO_LINE if line is None else line, name)
            ).fetchone()
            if row is None:
                attachment_id = str(uuid.uuid4())
                revision = 1
                conn.execute("INSERT INTO attachments VALUES (?,?,?,?,?,?,0,?)",
                             (attachment_id, company_id, record_id, entity.name,
                              _NO_LINE if line is None else line, name, _now()))
            else:
                attachment_id = row[0]
                (latest,) = conn.execute(
                    "SELECT MAX(revision) FROM attachment_revisions WHERE attachment_id = ?",
                    (attachment_id,)).fetchone()
                revision = int(latest or 0) + 1
            conn.execute("INSERT INTO attachment_revisions VALUES (?,?,?,?,?,?)",
                         (attachment_id, revision, content_type, len(data), _now(),
                          sqlite3.Binary(data)))
            refs = [ref for ref in (holder.get("attachments") or [])
                    if not (isinstance(ref, dict) and ref.get("id") == attachment_id)]
            refs.append({"name": name, "id": attachment_id, "revision": revision})
            holder["attachments"] = refs
            conn.execute("INSERT OR REPLACE INTO main.docs(id, doc) VALUES (?, ?)",
                         (record_id, _DUMPS(record)))
        return attachment_id, revision

    def latest(self, company_id: int, attachment_id: str) -> tuple[str, str, bytes] | None:
        """``(file name, content type, bytes)`` of the newest revision, or None."""
        row = self._conn().execute(
            "SELECT a.name, v.content_type, v.data FROM attachments a "
            "JOIN attachment_revisions v ON v.attachment_id = a.id "
            "WHERE a.id = ? AND a.company_id = ? ORDER BY v.revision DESC LIMIT 1",
            (attachment_id, company_id)).fetchone()
        return None if row is None else (row[0], row[1], bytes(row[2]))

    def set_send_to_autoinvoice(self, company_id: int, attachment_id: str,
                                value: bool) -> bool:
        """Set the flag; False when there is no such attachment in the company."""
        conn = self._conn()
        cursor = conn.execute(
            "UPDATE attachments SET send_to_autoinvoice = ? WHERE id = ? AND company_id = ?",
            (int(value), attachment_id, company_id))
        return cursor.rowcount > 0


# --------------------------------------------------------------------------- HTTP


class Attachments:
    """The attachment side of one sandbox: uploads, downloads, the metadata update."""

    def __init__(self, store: Store, settings: Settings):
        self.store = AttachmentStore(store)
        self.settings = settings

    # -- the routes' side ------------------------------------------------------

    async def upload(self, call) -> Response:
        """``POST .../{key}[/{lineNumber}]/attachment``: store the file, 201 + Location.

        The record comes from the operation's template (``attachment_target``); the
        deprecated ``creditNote`` path addresses customer credit notes.
        """
        found = attachment_target(call.op.path)
        if found is None:
            return _message(404, "No record to attach the file to.")
        entity, key_index, line_index = found
        head = call.op.path.split("/")[2].lower()
        if head in _UPLOADABLE:
            entity = ENTITIES[_UPLOADABLE[head]]
        line = None
        if line_index is not None:
            text = call.values[call.op.path_params[line_index]].strip()
            if not (text.isascii() and text.isdigit()):
                return _message(400, f"The line number '{text}' is not a whole number.")
            line = int(text)
        document_type = (call.values.get("documentType")
                         if entity.name == "supplierInvoice" else None)
        root = call.request.scope.get(ROOT_KEY) or "/" + call.op.version + "/"
        return await self._upload(call.request, call.company_id, root, entity,
                                  call.values[call.op.path_params[key_index]], line,
                                  document_type)

    async def download(self, call) -> Response:
        """``GET v1/attachment/{attachmentId}``: the newest revision's bytes."""
        return await self._download(call.request, call.company_id, _attachment_id(call))

    async def update(self, call) -> Response:
        """``PUT v1/attachment/{attachmentId}``: set ``sendToAutoinvoice``."""
        return await self._update(call.request, call.company_id, _attachment_id(call))

    async def _read_body(self, request: Request) -> bytes:
        # The limit is on the file; the rest of a multipart body is a few hundred bytes.
        limit = self.settings.attachment_max_bytes + 64 * 1024
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise self._too_large()
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise self._too_large()
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self) -> AttachmentError:
        return AttachmentError(413, f"The file is larger than the "
                                    f"{self.settings.attachment_max_bytes} bytes an "
                                    "attachment may have.")

    async def _upload(self, request: Request, company: int, root: str, entity: Entity,
                      key: str, line: int | None, document_type: str | None) -> Response:
        try:
            kind, params = _header_params(
                request.headers.get("content-type", "").encode("latin-1", "replace"))
            boundary = params.get("boundary")
            if kind != "multipart/form-data" or not boundary:
                return _message(415, "Send the file as multipart/form-data (with a "
                                     "boundary); the content type was "
                                     f"'{kind or 'missing'}'.")
            body = await self._read_body(request)
            name, declared, data = pick_file(parse_multipart(body, boundary))
            if len(data) > self.settings.attachment_max_bytes:
                raise self._too_large()
            attachment_id, _ = await run_in_threadpool(
                self.store.upload, company, entity, key, line, document_type, name,
                content_type_for(name, declared), data)
        except AttachmentError as exc:
            return _message(exc.status, exc.message, exc.headers)
        base = str(request.base_url).rstrip("/")
        return Response(b"", status_code=201,
                        headers={"Location": f"{base}{root}attachment/{attachment_id}"})

    async def _download(self, request: Request, company: int,
                        attachment_id: str) -> Response:
        found = await run_in_threadpool(self.store.latest, company, attachment_id)
        if found is None:
            return _message(404, f"Attachment '{attachment_id}' was not found.")
        name, content_type, data = found
        body = b"" if request.method == "HEAD" else data
        headers = {"Content-Disposition": content_disposition(name)}
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(data))
        return Response(body, media_type=content_type, headers=headers)

    async def _update(self, request: Request, company: int, attachment_id: str) -> Response:
        raw = await request.body()
        try:
            body = parse_json(raw) if raw.strip() else {}
        except BadJson as exc:
            return _message(400, f"{exc} Send e.g. "
                                 '{"sendToAutoinvoice": {"value": true}}.')
        if not isinstance(body, dict):
            return _message(400, "The request body must be a JSON object such as "
                                 '{"sendToAutoinvoice": {"value": true}}.')
        members = {str(k).lower(): v for k, v in body.items()}
        value: Any = members.get("sendtoautoinvoice")
        if isinstance(value, dict):  # the DtoValue wrapping; a bare bool is taken too
            value = {str(k).lower(): v for k, v in value.items()}.get("value")
        if "sendtoautoinvoice" in members and not isinstance(value, bool):
            return _message(400, "sendToAutoinvoice must be {\"value\": true} or "
                                 "{\"value\": false}.")
        if "sendtoautoinvoice" not in members:
            found = await run_in_threadpool(self.store.latest, company, attachment_id)
            if found is None:
                return _message(404, f"Attachment '{attachment_id}' was not found.")
            return Response(status_code=204)
        if not await run_in_threadpool(self.store.set_send_to_autoinvoice, company,
                                       attachment_id, value):
            return _message(404, f"Attachment '{attachment_id}' was not found.")
        return Response(status_code=204)


# --------------------------------------------------------------------------- lists


def wants_attachments(params: dict[str, list[str]]) -> bool:
    """Whether a list request asked for attachment references (either spelling)."""
    for name in _EXPAND_PARAMS:
        values = params.get(name)
        if values and values[-1].strip().lower() in ("true", "1"):
            return True
    return False


# A non-empty reference list, however the document was serialised.
_HAS_REFS = re.compile(rb'"attachments"\s*:\s*\[\s*\{')


def hide_unexpanded(entity: Entity, params: dict[str, list[str]], docs: list[bytes],
                    settings: Settings) -> list[bytes]:
    """A list page's documents with attachment references emptied unless expanded.

    Only documents that have a reference are decoded (a byte test finds them), so a
    page without attachments costs one substring search per record.
    """
    if (entity.name not in ATTACHMENT_ENTITIES or not settings.attachments_need_expand
            or wants_attachments(params)):
        return docs
    out = []
    for doc in docs:
        if _HAS_REFS.search(doc) is None:
            out.append(doc)
            continue
        record = json.loads(doc)
        _empty_refs(record)
        out.append(_DUMPS(record).encode())
    return out


def _empty_refs(record: dict) -> None:
    if record.get("attachments"):
        record["attachments"] = []
    for field in set(_LINES_FIELD.values()):
        for line in record.get(field) or []:
            if isinstance(line, dict) and line.get("attachments"):
                line["attachments"] = []


# --------------------------------------------------------------------------- wiring


def _attachment_id(call) -> str:
    return call.values[call.op.path_params[-1]].strip().lower()


def handlers(attachments: Attachments) -> dict:
    """The surface operations this module answers, by operation id: the download and
    the metadata update (uploads come through the generic upload handler, which hands
    them to :meth:`Attachments.upload`)."""
    by_method = {"GET": attachments.download, "PUT": attachments.update}
    return {op.operation_id: by_method[op.method] for op in surface().operations
            if op.group == "Attachment" and op.method in by_method}
