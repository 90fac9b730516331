"""A node's configuration: ``DATA/ipledger.toml``, ``IPLEDGER_<SECTION>_<KEY>``, flags.

Every setting is a field of one of the section dataclasses below; its type, default,
checks and description live there and nowhere else (``docs/configuration.md`` is
generated from them: ``python -m ipledger.config --write docs/configuration.md``).

Precedence, highest first: a command-line flag, the environment, the TOML file, the
built-in default (for ``[store] url``: the ``store`` that ``node.json`` names). Unknown
sections, unknown keys and values of the wrong type are errors that name the key and
where it came from; so are ``IPLEDGER_<SECTION>_<KEY>`` variables that name no key.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import re
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

CONFIG_FILE = "ipledger.toml"  # in the data directory
ENV_PREFIX = "IPLEDGER_"
STORE_ALIAS_ENV = "IPLEDGER_STORE"  # older name of IPLEDGER_STORE_URL, still honoured
DEFAULT_SQLITE_FILE = "ledger.sqlite"  # = ipledger.node.SQLITE_FILE
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
LOG_FORMATS = ("text", "json")

Check = Callable[[Any], "str | None"]  # an error message, or None when the value is fine


class ConfigError(ValueError):
    """The configuration is invalid; the message names the key and where it was set."""


# -- checks ---------------------------------------------------------------------------


def _between(lo: float, hi: float | None = None) -> Check:
    def check(value: float) -> str | None:
        if value < lo or (hi is not None and value > hi):
            return f"must be {'at least ' + _num(lo) if hi is None else _num(lo) + '..' + _num(hi)}"
        return None
    return check


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _one_of(*choices: str) -> Check:
    def check(value: str) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"
    return check


def _each(check: Check) -> Check:
    def each(values: tuple[str, ...]) -> str | None:
        for value in values:
            problem = check(value)
            if problem:
                return f"{value!r}: {problem}"
        return None
    return each


def _host(value: str) -> str | None:
    if not value or any(c.isspace() for c in value):
        return "must be a host name or IP address (no spaces)"
    return None


def _proxy(value: str) -> str | None:
    if value == "*":
        return None
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return "must be an IP address, a network such as 10.0.0.0/8, or '*'"
    return None


_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def _origin(value: str) -> str | None:
    if value == "*" or _ORIGIN.fullmatch(value):
        return None
    return "must be an origin such as https://office.example (scheme, host, port; no path) or '*'"


def _public_url(value: str) -> str | None:
    if not value or _ORIGIN.fullmatch(value):
        return None
    return "must be empty or an origin such as https://register.office.example (no path)"


_MT_NAME = r"[a-z0-9][a-z0-9!#$&^_.+\-]{0,126}"
_MEDIA_TYPE = re.compile(f"{_MT_NAME}/{_MT_NAME}")


def _media_type(value: str) -> str | None:
    if _MEDIA_TYPE.fullmatch(value):
        return None
    return "must be a lower-case media type such as application/pdf (no parameters)"


def _store(value: str) -> str | None:
    if not value:
        return "must be a postgresql:// URL or a SQLite file name"
    if "://" in value and not value.startswith(("postgresql://", "postgres://")):
        return "must be a postgresql:// URL or a SQLite file name"
    return None


def _relative_dir(value: str) -> str | None:
    return None if value else "must be a directory (relative to the data directory, or absolute)"


def setting(default: Any, doc: str, check: Check | None = None) -> Any:
    """A configuration key: its default, its one-paragraph meaning, its check."""
    return field(default=default, metadata={"doc": doc, "check": check})


# -- the schema -----------------------------------------------------------------------


@dataclass(frozen=True)
class ServerConfig:
    """The HTTP server (``ipledger serve``)."""

    host: str = setting("127.0.0.1", "Address to listen on (`0.0.0.0` or `::` for all).", _host)
    port: int = setting(8000, "TCP port to listen on.", _between(1, 65535))
    log_level: str = setting("info", "Log level: " + ", ".join(LOG_LEVELS) + ".",
                             _one_of(*LOG_LEVELS))
    log_format: str = setting("text", "Log lines as human-readable `text` or one JSON object "
                              "per line (`json`).", _one_of(*LOG_FORMATS))
    access_log: bool = setting(False, "Log one line per HTTP request.")
    max_body_bytes: int = setting(8 * 1024 * 1024, "Largest request body accepted, in bytes "
                                  "(at least one entry, 65536).", _between(65536))
    trusted_proxies: tuple[str, ...] = setting(
        (), "Reverse proxies whose `X-Forwarded-For`/`X-Forwarded-Proto` headers are believed "
        "(IP addresses or networks, `*` for any). Empty: the client is the TCP peer.",
        _each(_proxy))
    public_url: str = setting(
        "", "The origin the public reaches this node at (`https://register.office.example`): "
        "the base of links printed in QR codes and certificates, and the host of the office's "
        "`did:web` identifier. Empty: `http://HOST:PORT` of this server.", _public_url)

    def base_url(self) -> str:
        """Where links to this node point: ``public_url``, else the listening address."""
        if self.public_url:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


@dataclass(frozen=True)
class StoreConfig:
    """Where the ledger is kept."""

    url: str = setting(
        DEFAULT_SQLITE_FILE, "A SQLite file (relative to the data directory, or absolute) or a "
        "`postgresql://USER[:PASSWORD]@HOST[:PORT]/DB` URL. Default: the `store` in "
        "`node.json` (set by `ipledger init --store`). `IPLEDGER_STORE` is an alias of its "
        "variable.", _store)


@dataclass(frozen=True)
class LedgerConfig:
    """The sequencer, the checkpoint signer and validation."""

    checkpoint_interval_ms: int = setting(
        100, "At most one signed checkpoint per this many milliseconds (when the log grew).",
        _between(1, 60_000))
    max_batch: int = setting(4096, "Most entries committed in one storage transaction (one "
                             "fsync).", _between(1, 1_000_000))
    validation_processes: int = setting(
        0, "Worker processes that validate entries (signatures, schemas); 0: one per CPU core.",
        _between(0, 1024))
    validation_mode: str = setting(
        "processes", "Validate in worker `processes` (parsing runs beside the node's own "
        "Python; the register's state tree then gets a worker process of its own too), or in "
        "`threads` (no hand-off cost; better when several nodes share a machine, as "
        "`ipledger network up` does).", _one_of("processes", "threads"))
    replay_window_past_s: int = setting(
        900, "How long before ledger time an entry's `created` may lie, in seconds; nonces are "
        "kept this long. Raising it on an existing ledger lets entries created before the old "
        "window slip past nonces already pruned: raise it only with the node stopped for "
        "at least the new window.", _between(1, 30 * 86_400))
    replay_window_future_s: int = setting(
        300, "How long after ledger time an entry's `created` may lie, in seconds (clock skew "
        "of clients).", _between(0, 86_400))

    def options(self) -> dict[str, Any]:
        """Keyword arguments for :class:`ipledger.ledger.Ledger` (``open_ledger``)."""
        from ipledger.ledger.sequencer import ReplayWindow

        return {
            "checkpoint_interval_s": self.checkpoint_interval_ms / 1000,
            "max_batch": self.max_batch,
            "workers": self.validation_processes or None,
            "validation_processes": self.validation_mode == "processes",
            "window": ReplayWindow(past_ms=self.replay_window_past_s * 1000,
                                   future_ms=self.replay_window_future_s * 1000),
        }


@dataclass(frozen=True)
class LimitsConfig:
    """Per-client rate limits of the HTTP API."""

    requests_per_second: float = setting(
        100.0, "Sustained requests per second per client (token bucket); 0: no limit.",
        _between(0))
    burst: int = setting(200, "Requests a client may make at once above the sustained rate "
                         "(bucket size).", _between(1))
    auth_attempts_per_minute: int = setting(
        10, "Failed authentication attempts per client per minute before it is refused; "
        "0: no limit.", _between(0))


@dataclass(frozen=True)
class CorsConfig:
    """Pages on other origins. The public read endpoints are open to any origin."""

    allowed_origins: tuple[str, ...] = setting(
        (), "Origins (`https://host[:port]`, or `*`) whose pages may call the non-public "
        "endpoints (filing, staff actions). Empty: none.", _each(_origin))


@dataclass(frozen=True)
class DocumentsConfig:
    """The off-ledger document store (the ledger holds each document's SHA-256)."""

    directory: str = setting("documents", "Where documents are kept (relative to the data "
                             "directory, or absolute).", _relative_dir)
    max_bytes: int = setting(50 * 1024 * 1024, "Largest document accepted, in bytes.",
                             _between(1))
    allowed_media_types: tuple[str, ...] = setting(
        ("application/pdf", "image/png", "image/jpeg", "image/tiff", "image/gif", "model/stl",
         "model/obj", "model/gltf-binary", "audio/mpeg", "video/mp4", "application/xml",
         "text/plain"),
        "Media types accepted for documents (drawings, images, 3D models, sound and motion "
        "marks).", _each(_media_type))


@dataclass(frozen=True)
class MirrorConfig:
    """Mirrors of other offices' registers (``ipledger mirror add``; docs/mirroring.md)."""

    sync_interval_s: int = setting(
        300, "How often `ipledger serve` syncs every mirror, in seconds (each sync verifies "
        "all it fetches); 0: never, only `ipledger mirror sync`.", _between(0, 7 * 86_400))
    fetch_timeout_s: float = setting(30.0, "Timeout of each HTTP request of a sync, in "
                                     "seconds.", _between(0.1, 600))


@dataclass(frozen=True)
class NotificationsConfig:
    """Mail to parties about decisions on their rights (back office; docs/web.md). Sent by
    SMTP after the entry is in the ledger; a mail the server does not take is retried with
    backoff (it never touches the ledger)."""

    host: str = setting("", "SMTP server host name; empty: no mail is sent.")
    port: int = setting(25, "SMTP server port (587 for submission with STARTTLS).",
                        _between(1, 65_535))
    from_address: str = setting("ipledger@localhost", "The mails' From address.")
    starttls: bool = setting(False, "Upgrade the connection with STARTTLS before sending.")
    timeout_s: float = setting(10.0, "Timeout of each SMTP connection, in seconds.",
                               _between(0.1, 300))
    retry_initial_s: float = setting(30.0, "Wait before retrying a mail the server did not "
                                     "take (doubles each time).", _between(0.01, 86_400))
    retry_max_s: float = setting(3600.0, "Longest wait between two attempts of one mail.",
                                 _between(0.01, 86_400))
    retry_attempts: int = setting(24, "Attempts of one mail before it is dropped (logged).",
                                  _between(1, 1000))


SECTIONS: dict[str, type[Any]] = {
    "server": ServerConfig,
    "store": StoreConfig,
    "ledger": LedgerConfig,
    "limits": LimitsConfig,
    "cors": CorsConfig,
    "documents": DocumentsConfig,
    "mirror": MirrorConfig,
    "notifications": NotificationsConfig,
}


@dataclass(frozen=True)
class Key:
    """One configuration key, as the schema defines it."""

    section: str
    name: str
    type: Any  # str, int, float, bool or tuple[str, ...]
    default: Any
    doc: str
    check: Check | None

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.name}"

    @property
    def env(self) -> str:
        return f"{ENV_PREFIX}{self.section}_{self.name}".upper()

    @property
    def type_name(self) -> str:
        return _TYPE_NAMES[self.type]


_TYPE_NAMES: dict[Any, str] = {str: "string", int: "integer", float: "float", bool: "boolean",
                               tuple[str, ...]: "array of strings"}


def schema() -> list[Key]:
    """Every key, section by section, in the order the dataclasses declare them."""
    keys = []
    for section, cls in SECTIONS.items():
        hints = get_type_hints(cls)
        for f in dataclasses.fields(cls):
            keys.append(Key(section, f.name, hints[f.name], f.default, f.metadata["doc"],
                            f.metadata["check"]))
    return keys


# -- the effective configuration -------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """The effective configuration of a node, and where each value came from."""

    server: ServerConfig = field(default_factory=ServerConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    ledger: LedgerConfig = field(default_factory=LedgerConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    cors: CorsConfig = field(default_factory=CorsConfig)
    documents: DocumentsConfig = field(default_factory=DocumentsConfig)
    mirror: MirrorConfig = field(default_factory=MirrorConfig)
    notifications: NotificationsConfig = field(default_factory=NotificationsConfig)
    data_dir: Path = Path()
    file: Path | None = None  # the TOML file read, if there was one
    sources: Mapping[str, str] = field(default_factory=dict)  # "server.port" -> "env ..."

    def value(self, dotted: str) -> Any:
        section, name = dotted.split(".")
        return getattr(getattr(self, section), name)

    def source(self, dotted: str) -> str:
        return self.sources.get(dotted, "default")

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / self.documents.directory

    def describe(self) -> str:
        """The effective values as TOML, each with its source; passwords redacted."""
        where = f"{self.file}" if self.file else f"no {CONFIG_FILE}"
        lines = [f"# effective configuration of {self.data_dir} ({where})",
                 "# precedence: command line > environment > file > default"]
        section = None
        for key in schema():
            if key.section != section:
                section = key.section
                lines += ["", f"[{section}]"]
            text = f"{key.name} = {toml_value(redact(self.value(key.dotted)))}"
            lines.append(f"{text:<40} # {self.source(key.dotted)}")
        return "\n".join(lines) + "\n"


def redact(value: Any) -> Any:
    """``value`` with any password in a URL (``user:PASSWORD@``, ``password=``) hidden."""
    if isinstance(value, str):
        value = re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", value)
        return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", value)
    if isinstance(value, tuple):
        return tuple(redact(v) for v in value)
    return value


def toml_value(value: Any) -> str:
    """``value`` written as a TOML value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    return "[" + ", ".join(toml_value(v) for v in value) + "]"


def load_config(data_dir: Path | str, config_file: Path | str | None = None,
                env: Mapping[str, str] = os.environ,
                flags: Mapping[str, Any] | None = None) -> Config:
    """The effective configuration of the node in ``data_dir``.

    ``config_file`` replaces ``DATA/ipledger.toml`` (and must exist); ``flags`` maps
    ``"section.key"`` to a value given on the command line (``None``: not given).
    """
    data = Path(data_dir)
    values: dict[str, Any] = {k.dotted: k.default for k in schema()}
    sources: dict[str, str] = {}
    node_store = _node_json_store(data)
    if node_store is not None:
        values["store.url"], sources["store.url"] = node_store, "node.json"
    keys = {k.dotted: k for k in schema()}

    path = Path(config_file) if config_file is not None else data / CONFIG_FILE
    file_used: Path | None = None
    if config_file is not None or path.exists():
        file_used = path
        for dotted, value in _read_toml(path).items():
            values[dotted] = _typed(keys[dotted], value, f"{path}: [{keys[dotted].section}] "
                                    f"{keys[dotted].name}")
            sources[dotted] = f"file {path}"

    for dotted, (variable, value) in _from_env(env, keys).items():
        values[dotted] = value
        sources[dotted] = f"env {variable}"

    for dotted, value in (flags or {}).items():
        if value is None:
            continue
        if dotted not in keys:
            raise ConfigError(f"no configuration key {dotted}")
        key = keys[dotted]
        values[dotted] = _typed(key, value, f"command line: [{key.section}] {key.name}")
        sources[dotted] = "command line"

    sections = {
        name: cls(**{f.name: values[f"{name}.{f.name}"] for f in dataclasses.fields(cls)})
        for name, cls in SECTIONS.items()
    }
    return Config(**sections, data_dir=data, file=file_used, sources=sources)


def _node_json_store(data: Path) -> str | None:
    try:
        raw = json.loads((data / "node.json").read_text())
    except (OSError, ValueError):
        return None  # not a node (yet), or a broken node.json that other checks report
    store = raw.get("store") if isinstance(raw, dict) else None
    return store if isinstance(store, str) and store else None


def _read_toml(path: Path) -> dict[str, Any]:
    """The file's settings as ``{"section.key": value}``, refusing anything unknown."""
    try:
        with path.open("rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    known = {k.dotted for k in schema()}
    out: dict[str, Any] = {}
    for section, table in doc.items():
        if section not in SECTIONS:
            if not isinstance(table, dict):
                raise ConfigError(f"{path}: unknown key '{section}' at the top level: every key "
                                  f"belongs in a section ({_known(SECTIONS)})")
            raise ConfigError(f"{path}: unknown section [{section}] "
                              f"(known: {_known(SECTIONS)})")
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: '{section}' must be a section [{section}], "
                              "not a value")
        for name, value in table.items():
            dotted = f"{section}.{name}"
            if dotted not in known:
                names = [f.name for f in dataclasses.fields(SECTIONS[section])]
                raise ConfigError(f"{path}: unknown key '{name}' in [{section}] "
                                  f"(known: {_known(names)})")
            out[dotted] = value
    return out


def _known(names: Any) -> str:
    return ", ".join(names)


def _from_env(env: Mapping[str, str], keys: Mapping[str, Key]
              ) -> dict[str, tuple[str, Any]]:
    """``{"section.key": (variable, value)}`` from ``IPLEDGER_<SECTION>_<KEY>`` variables."""
    by_env = {k.env: k for k in keys.values()}
    out: dict[str, tuple[str, Any]] = {}
    for variable in sorted(env):
        if not variable.startswith(ENV_PREFIX):
            continue
        key = by_env.get(variable)
        if key is None:
            section = variable[len(ENV_PREFIX):].split("_", 1)[0].lower()
            if section in SECTIONS and "_" in variable[len(ENV_PREFIX):]:
                names = [k.env for k in keys.values() if k.section == section]
                raise ConfigError(f"environment variable {variable} names no configuration "
                                  f"key (known: {_known(names)})")
            continue
        where = f"environment variable {variable}: [{key.section}] {key.name}"
        out[key.dotted] = (variable, _typed(key, _parse_env(key, env[variable], where), where))
    alias = env.get(STORE_ALIAS_ENV)
    if alias:
        key = keys["store.url"]
        value = _typed(key, alias, f"environment variable {STORE_ALIAS_ENV}: [store] url")
        if "store.url" in out and out["store.url"][1] != value:
            raise ConfigError(f"{STORE_ALIAS_ENV} and {key.env} name different stores: "
                              f"set only one ({key.env})")
        out.setdefault("store.url", (STORE_ALIAS_ENV, value))
    return out


_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def _parse_env(key: Key, text: str, where: str) -> Any:
    """An environment variable's text as a value of the key's type."""
    raw = text.strip()
    if key.type is int:
        if not re.fullmatch(r"[+-]?[0-9]+", raw):
            raise ConfigError(f"{where} must be an integer, not {text!r}")
        return int(raw)
    if key.type is float:
        if not re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", raw):
            raise ConfigError(f"{where} must be a number, not {text!r}")
        return float(raw)
    if key.type is bool:
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise ConfigError(f"{where} must be a boolean (true/false, 1/0, yes/no, on/off), "
                          f"not {text!r}")
    if key.type == tuple[str, ...]:
        if raw.startswith("["):
            try:
                return tomllib.loads(f"v = {raw}")["v"]
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{where} is not a TOML array: {exc}") from None
        return [item.strip() for item in raw.split(",") if item.strip()]
    return text


def _typed(key: Key, value: Any, where: str) -> Any:
    """``value`` checked against the key's type and rules; lists become tuples."""
    if key.type is bool:
        ok = isinstance(value, bool)
    elif key.type is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif key.type is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok:
            value = float(value)
            ok = value == value and abs(value) != float("inf")  # no NaN, no infinity
    elif key.type is str:
        ok = isinstance(value, str)
    else:
        ok = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
        if ok:
            value = tuple(value)
    if not ok:
        raise ConfigError(f"{where} must be {_article(key.type_name)}, "
                          f"not {_describe(value)}")
    problem = key.check(value) if key.check else None
    if problem:
        raise ConfigError(f"{where} {problem}, not {toml_value(redact(value))}")
    return value


def _article(type_name: str) -> str:
    return f"an {type_name}" if type_name[0] in "aeiou" else f"a {type_name}"


def _describe(value: Any) -> str:
    kind = {bool: "a boolean", int: "an integer", float: "a float", str: "a string",
            list: "an array", tuple: "an array", dict: "a table"}.get(type(value), "a value")
    try:
        shown = toml_value(redact(value))
    except TypeError:
        shown = repr(value)
    return f"{kind} ({shown})" if len(shown) <= 60 else kind


# -- documentation -----------------------------------------------------------------------

DOC_BEGIN = "<!-- BEGIN configuration keys: generated by python -m ipledger.config -->"
DOC_END = "<!-- END configuration keys -->"


def markdown_keys() -> str:
    """The key tables of docs/configuration.md, from the schema."""
    out: list[str] = []
    for section, cls in SECTIONS.items():
        out += [f"### `[{section}]`", "", (cls.__doc__ or "").replace("``", "`").strip(), "",
                "| key | type | default | environment variable | meaning |",
                "|---|---|---|---|---|"]
        for key in (k for k in schema() if k.section == section):
            default = _cell(toml_value(key.default))
            out.append(f"| `{key.name}` | {key.type_name} | `{default}` | `{key.env}` | "
                       f"{_cell(key.doc)} |")
        out.append("")
    return "\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _doc_block() -> str:
    return f"{DOC_BEGIN}\n\n{markdown_keys()}\n{DOC_END}"


def doc_in_sync(text: str) -> bool:
    return _doc_block() in text


def _write_doc(path: Path) -> None:
    text = path.read_text()
    start, end = text.index(DOC_BEGIN), text.index(DOC_END) + len(DOC_END)
    path.write_text(text[:start] + _doc_block() + text[end:])


def _main(argv: list[str]) -> int:
    if argv[:1] == ["--write"] and len(argv) == 2:
        _write_doc(Path(argv[1]))
        return 0
    if argv:
        print("usage: python -m ipledger.config [--write docs/configuration.md]",
              file=sys.stderr)
        return 2
    print(markdown_keys())
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
