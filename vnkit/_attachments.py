"""Attachments from the client side: upload, download, metadata (article 18).

``Client.attach``, ``Client.download_attachment`` and ``Client.update_attachment``
delegate here. An upload is one ``multipart/form-data`` POST with one file part, built
by hand so that the part looks like what the .NET samples of the article send
(``name="file"``, a ``filename``, ``application/octet-stream``) and so that a non-ASCII
file name travels both as RFC 2047 ``filename`` and as RFC 5987 ``filename*`` (which a
.NET server prefers). The API answers 201 with a ``Location`` whose last segment is the
attachment id. An upload is never retried: a second POST would make a second revision.
"""

from __future__ import annotations

import base64
import contextlib
import email.header
import os
import secrets
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Union
from urllib.parse import quote, unquote, urlsplit

from ._exceptions import ApiError, FilterError

if TYPE_CHECKING:
    from ._client import Client

FileInput = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes]]

# Resources that have no upload endpoint in API 8.43 (facts section 6): refused before
# any request rather than answered 404 by the API.
_NO_UPLOAD = {"customer", "supplier", "purchaseorder"}
# Characters that cannot stand in a path segment even percent-encoded (proxies and the
# API's routing decode %2F, %3F ...), so such keys travel as b64(<base64url>).
_RESERVED = set("/?#%&+\\:*<>\"")


def key_segment(key: Any, parameter: str = "key") -> str:
    """The path segment for a document key: as is, or ``b64(...)`` if it needs it."""
    if isinstance(key, bool) or key is None:
        raise FilterError(parameter, f"{key!r} is not a document number")
    text = str(key).strip()
    if not text:
        raise FilterError(parameter, "is empty", hint="pass the document's number, "
                                                      "e.g. '000123'")
    if any(ch in _RESERVED for ch in text) or text != text.strip(". "):
        return "b64(" + base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode() + ")"
    return quote(text, safe="")


def _read_input(file_or_bytes: Any, filename: str | None) -> tuple[bytes, str]:
    """``(content, file name)`` from a path, a binary file object, or bytes."""
    if isinstance(file_or_bytes, (bytes, bytearray, memoryview)):
        if filename is None:
            raise FilterError("filename", "is needed when the file is given as bytes",
                              hint="attach(..., b'...', filename='scan.pdf')")
        return bytes(file_or_bytes), filename
    if isinstance(file_or_bytes, (str, os.PathLike)):
        path = Path(file_or_bytes)
        if not path.is_file():
            raise FilterError("file", f"{str(path)!r} is not a file",
                              hint="pass a path to an existing file, a binary file object "
                                   "or bytes with filename=")
        return path.read_bytes(), filename if filename is not None else path.name
    read = getattr(file_or_bytes, "read", None)
    if callable(read):
        data = read()
        if isinstance(data, str):
            raise FilterError("file", "the file object is open in text mode",
                              hint="open it with mode 'rb': attachments are sent byte "
                                   "for byte")
        if not isinstance(data, (bytes, bytearray)):
            raise FilterError("file", f"reading it gave {type(data).__name__}, not bytes")
        if filename is None:
            name = getattr(file_or_bytes, "name", None)
            if not isinstance(name, (str, os.PathLike)):
                raise FilterError("filename", "is needed: the file object has no name")
            filename = Path(name).name
        return bytes(data), filename
    raise FilterError("file", f"cannot upload a {type(file_or_bytes).__name__}",
                      hint="pass a path, a binary file object, or bytes with filename=")


def _check_filename(filename: Any) -> str:
    if not isinstance(filename, str):
        raise FilterError("filename", f"{filename!r} is not a string")
    name = filename.strip()
    if not name:
        raise FilterError("filename", "is empty", hint="name the file, e.g. 'scan.pdf'")
    if "/" in name or "\\" in name:
        raise FilterError("filename", f"{filename!r} contains a path separator",
                          hint="pass the file's own name; the API keeps no folders")
    if any(ord(ch) < 32 or ch == "\x7f" for ch in name):
        raise FilterError("filename", f"{filename!r} contains control characters")
    return name


def disposition(field: str, filename: str) -> str:
    """The part's Content-Disposition, shaped like .NET's ``MultipartFormDataContent``."""
    if filename.isascii():
        escaped = filename.replace("\\", "\\\\").replace('"', '\\"')
        return f'form-data; name="{field}"; filename="{escaped}"'
    # Non-ASCII: an RFC 2047 word in filename (what .NET writes) plus filename* (RFC
    # 5987), which servers that know it prefer; both decode to the same name.
    word = email.header.Header(filename, "utf-8").encode(maxlinelen=10_000)
    word = word.replace("\r\n ", "").replace("\n ", "")
    return (f'form-data; name="{field}"; filename="{word}"; '
            f"filename*=utf-8''{quote(filename, safe='')}")


def multipart_body(data: bytes, filename: str, field: str = "file") -> tuple[bytes, str]:
    """``(body, Content-Type header)`` of a one-file ``multipart/form-data`` request."""
    boundary = secrets.token_hex(16)
    while boundary.encode() in data:  # astronomically unlikely, but then it would cut
        boundary = secrets.token_hex(16)
    head = (f"--{boundary}\r\n"
            f"Content-Disposition: {disposition(field, filename)}\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode("ascii")
    body = b"".join((head, data, f"\r\n--{boundary}--\r\n".encode("ascii")))
    return body, f"multipart/form-data; boundary={boundary}"


def attachment_id_from(location: str) -> str:
    """The attachment id: the last path segment of an upload's ``Location``."""
    path = urlsplit(location).path.rstrip("/")
    return unquote(path.rsplit("/", 1)[-1])


def _check_id(attachment_id: Any) -> str:
    if not isinstance(attachment_id, str) or not attachment_id.strip():
        raise FilterError("attachment_id", f"{attachment_id!r} is not an attachment id",
                          hint="use the id attach() returned, or the last segment of "
                               "the upload's Location")
    text = attachment_id.strip()
    if text.startswith(("http://", "https://")):
        text = attachment_id_from(text)
    if "/" in text or "?" in text or "#" in text:
        raise FilterError("attachment_id", f"{attachment_id!r} is not an attachment id")
    return text


def attach(client: Client, resource: str, key: Any, file_or_bytes: FileInput, *,
           filename: str | None = None, line: int | None = None,
           document_type: str | None = None, version: str = "v1") -> str:
    """Upload one file to a document or item; see :meth:`vnkit.Client.attach`."""
    from ._client import _transport_errors, raise_for_answer

    if not isinstance(resource, str) or not resource.strip("/ "):
        raise FilterError("resource", f"{resource!r} is not a resource name",
                          hint="e.g. 'customerinvoice', 'supplierInvoice', 'inventory'")
    resource = resource.strip("/ ")
    if "/" in resource or "?" in resource:
        raise FilterError("resource", f"{resource!r} must be one resource name",
                          hint="pass the key and line separately: attach('customerinvoice',"
                               " '000123', path, line=1)")
    if resource.lower() in _NO_UPLOAD:
        raise FilterError("resource", f"the API has no attachment upload for {resource}",
                          hint="attachments go on documents and items: customerinvoice, "
                               "customerCreditNote, customerDebitNote, supplierInvoice, "
                               "inventory ...")
    segments = [quote(resource, safe="")]
    if document_type is not None:
        segments += ["documentType", key_segment(document_type, "document_type")]
    segments.append(key_segment(key))
    if line is not None:
        if isinstance(line, bool) or not isinstance(line, int) or line < 1:
            raise FilterError("line", f"{line!r} is not a line number (a whole number "
                                      "from 1)")
        segments.append(str(line))
    segments.append("attachment")
    data, name = _read_input(file_or_bytes, filename)
    name = _check_filename(name)
    body, content_type = multipart_body(data, name)
    url, _ = client._resolve("/".join(segments), version)
    with _transport_errors("POST", url):
        # No retry on an answer: the default adapter never retries a POST, and this
        # call does not loop. A second upload would be a second revision, not a no-op.
        response = client.session.post(url, data=body, headers={"Content-Type":
                                                                 content_type},
                                        timeout=client.timeout)
    raise_for_answer(response)
    location = response.headers.get("Location")
    if not location:
        raise ApiError(response.status_code, "the upload answer has no Location header",
                       method="POST", url=url,
                       request_id=response.headers.get("Ipp-Request-Id"),
                       hint="the file may be stored anyway: check the document's "
                            "attachments before uploading again")
    return attachment_id_from(location)


def download_attachment(client: Client, attachment_id: str, *,
                        to: str | os.PathLike[str] | None = None) -> bytes:
    """The latest revision's bytes; see :meth:`vnkit.Client.download_attachment`."""
    from ._client import _transport_errors, raise_for_answer

    text = _check_id(attachment_id)
    target = None
    if to is not None:
        target = Path(to)
        if target.is_dir():
            raise FilterError("to", f"{str(target)!r} is a folder",
                              hint="pass the path of the file to write")
        if not target.parent.is_dir():
            raise FilterError("to", f"the folder {str(target.parent)!r} does not exist")
    url, _ = client._resolve(f"attachment/{quote(text, safe='')}", "v1")
    with _transport_errors("GET", url):
        response = client.session.get(url, headers={"Accept": "*/*"},
                                      timeout=client.timeout)
    raise_for_answer(response)
    data = response.content
    if target is not None:
        # Written to a temporary file first: an interrupted download never leaves a
        # half-written file under the wanted name.
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    return data


def update_attachment(client: Client, attachment_id: str, *,
                      send_to_autoinvoice: bool = True) -> None:
    """Set an attachment's metadata; see :meth:`vnkit.Client.update_attachment`."""
    text = _check_id(attachment_id)
    if not isinstance(send_to_autoinvoice, bool):
        raise FilterError("send_to_autoinvoice",
                          f"{send_to_autoinvoice!r} is not True or False")
    client.request("PUT", f"attachment/{quote(text, safe='')}",
                   json={"sendToAutoinvoice": {"value": send_to_autoinvoice}})

