"""Jinja2 templates of the web pages (``web/templates/``), autoescaped, in the reader's language.

Every page extends ``base.html`` and is rendered by :func:`render`, which picks the
language (``?lang=`` or ``Accept-Language``, :mod:`~ipledger.web.i18n`) and gives the
template ``t(key, **values)`` (a message, its values escaped), ``lang`` (the catalogue),
``languages``, ``url(path, **params)`` (a link that keeps the language), ``lang_url(code)``
(this page in another language), ``label(group, code)`` (a status, kind ... by name) and
``format_number(value, decimals=0)`` and ``format_money(minor_units, exponent, currency)``
(with the language's separators).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ipledger.web.i18n import DEFAULT, Catalogue, catalogues, negotiate

TEMPLATES = Path(__file__).parent / "templates"

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def language(request: Request) -> Catalogue:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered for ``request`` in its reader's language."""
    lang = language(request)

    def t(key: str, **values: Any) -> Markup:
        # Catalogues are our own data files (trusted markup); the values are escaped.
        message = Markup(lang.text(key))  # noqa: S704
        return message.format(**values) if values else message

    def url(path: str, **params: Any) -> str:
        query = {k: v for k, v in params.items() if v not in (None, "")}
        if lang.code != DEFAULT:
            query["lang"] = lang.code
        return path + ("?" + urlencode(query) if query else "")

    def label(group: str, code: object) -> str:
        """The name of a code (a status, kind, action ...): ``group.code`` if a catalogue
        has it, else the code made readable."""
        key = f"{group}.{code}"
        text = lang.text(key)
        return str(code).replace("_", " ") if text == key else text

    def lang_url(code: str) -> str:
        query = {**request.query_params, "lang": code}
        if code == DEFAULT:
            del query["lang"]
        return request.url.path + ("?" + urlencode(query) if query else "")

    html = _env.get_template(template).render(
        t=t, lang=lang, languages=list(catalogues().values()), url=url, label=label,
        lang_url=lang_url, format_number=lang.number, format_money=lang.money,
        path=request.url.path, query=dict(request.query_params), **context)
    # Pages depend on the language asked for; caches must key on it.
    return HTMLResponse(html, status_code=status, headers={"Vary": "Accept-Language",
                                                           "Content-Language": lang.code})
