"""Which register a request reads: the node's own, or a mirror named in its path.

The register handlers (``api/registry.py``, ``api/tlog.py``) serve both: under
``/v1/...`` and ``/tlog/`` the node's own ledger, under ``/v1/mirrors/{mirror}/...``
another office's register that this node mirrors (read-only, ``network/mirror.py``).
"""

from __future__ import annotations

from starlette.requests import Request

from ipledger.ledger import Ledger, Rejection

MIRROR_PARAM = "mirror"


def is_mirror(request: Request) -> bool:
    return MIRROR_PARAM in request.path_params


def ledger_of(request: Request) -> Ledger:
    """The ledger the request's path names (404 for an unknown mirror)."""
    if not is_mirror(request):
        ledger: Ledger = request.app.state.ledger
        return ledger
    name = request.path_params[MIRROR_PARAM]
    mirrors = getattr(request.app.state, "mirrors", None)
    mirrored: Ledger | None = mirrors.ledger(name) if mirrors is not None else None
    if mirrored is None:
        raise Rejection("not-found", f"this node mirrors no register called {name!r} "
                        "(see /v1/mirrors)", "/mirror", status=404)
    return mirrored
