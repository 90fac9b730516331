"""The web application's routes: every page module's, and the static files."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ipledger.web import back_office, filing, opposition, register

routes: list[Route | Mount] = [
    *register.routes,  # /, /search, /rights/{office}/{kind}/{number}
    *filing.routes,  # /file, /file/{kind}, /filings ... (online filing)
    *back_office.routes,  # /office ... (staff: queues, decisions)
    *opposition.routes,  # /oppose/{office}/{kind}/{number} (oppositions online)
    Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
]
