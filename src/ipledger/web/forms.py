"""HTML form submissions read with the standard library (no python-multipart dependency):
``application/x-www-form-urlencoded`` (HTML URL-encoded form data) and
``multipart/form-data`` (RFC 7578, parsed as MIME by :mod:`email`), with a size limit."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from urllib.parse import parse_qsl

from starlette.requests import Request

from ipledger.api.bodies import read_body

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_form(request: Request, limit: int) -> dict[str, str | bytes]:
    """The fields of a posted form: text as ``str``; files (parts with a filename) as
    ``bytes``. A repeated field keeps its last value. 413/415 Rejections as ``read_body``."""
    raw = await read_body(request, limit, FORM_TYPES)
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() == FORM_TYPES[0]:
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw)
    fields: dict[str, str | bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            fields[name] = data
        else:
            fields[name] = data.decode(part.get_content_charset() or "utf-8", "replace")
    return fields
