"""Log output of ``ipledger serve``: human text (default) or one JSON object per line.

Only the standard library's :mod:`logging`. A JSON line always holds ``time`` (RFC 3339
UTC, milliseconds), ``level``, ``logger`` and ``message``, then every field the record
was given with ``extra=`` (e.g. the access log's ``method``, ``path``, ``route``,
``status``, ``duration_ms``; a committed batch's ``batch_size`` and ``duration_ms`` at
debug level), and ``exc_info`` with the traceback of an exception.
"""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")

# Attributes every LogRecord has: anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName",
    "color_message",  # uvicorn's coloured copy of the message
}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in doc:
                doc[key] = value
        if record.exc_info:
            doc["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            doc["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


def _level(name: str) -> str:
    name = name.upper()
    return "DEBUG" if name == "TRACE" else name  # uvicorn's "trace" is below DEBUG


def logging_config(log_format: str, level: str = "info", access_log: bool = False
                   ) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` for the node and uvicorn.

    ``text`` keeps uvicorn's own lines as they are and gives ipledger's loggers the
    same look; ``json`` sends every logger (uvicorn's, ipledger's, the root's) through
    :class:`JsonFormatter`. The access log is ipledger's (``ipledger.access``, with
    the route template and duration), on when ``access_log``.
    """
    if log_format not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {log_format!r}")
    ours = {"ipledger": {"handlers": ["ipledger"], "level": _level(level), "propagate": False},
            "ipledger.access": {"level": "INFO" if access_log else "WARNING"}}
    stderr = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    if log_format == "json":
        return {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"json": {"()": JsonFormatter}},
            "handlers": {"ipledger": {**stderr, "formatter": "json"}},
            "loggers": {
                "uvicorn": {"handlers": ["ipledger"], "level": "INFO", "propagate": False},
                "uvicorn.error": {"level": "INFO"},
                "uvicorn.access": {"handlers": ["ipledger"], "level": "INFO",
                                   "propagate": False},
                **ours,
            },
            "root": {"handlers": ["ipledger"], "level": "WARNING"},
        }
    from uvicorn.config import LOGGING_CONFIG

    return {
        **LOGGING_CONFIG,
        "formatters": {**LOGGING_CONFIG["formatters"], "ipledger": {
            "()": "uvicorn.logging.DefaultFormatter",
            "fmt": "%(levelprefix)s %(name)s: %(message)s", "use_colors": None}},
        "handlers": {**LOGGING_CONFIG["handlers"], "ipledger": {**stderr,
                                                                "formatter": "ipledger"}},
        "loggers": {**LOGGING_CONFIG["loggers"], **ours},
    }


def configure_logging(log_format: str, level: str = "info", access_log: bool = False) -> None:
    """Apply :func:`logging_config` to this process (``ipledger serve``)."""
    logging.config.dictConfig(logging_config(log_format, level, access_log))
