"""Configuration: DATA/ipledger.toml, IPLEDGER_<SECTION>_<KEY>, flags; strict and documented."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from typing import Any

import pytest

from ipledger.cli import main
from ipledger.config import (
    DEFAULT_SQLITE_FILE,
    SECTIONS,
    Config,
    ConfigError,
    LedgerConfig,
    load_config,
    markdown_keys,
    schema,
)
from ipledger.ledger import Ledger
from ipledger.ledger.checkpoints import DEFAULT_INTERVAL_S
from ipledger.ledger.sequencer import ReplayWindow, Sequencer
from ipledger.node import SQLITE_FILE, NodeConfig

ROOT = Path(__file__).resolve().parents[2]


def toml(data: Path, text: str) -> Path:
    data.mkdir(parents=True, exist_ok=True)
    path = data / "ipledger.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file_or_variables(tmp_path: Path) -> None:
    config = load_config(tmp_path, env={})
    assert config == Config(data_dir=tmp_path)
    assert config.server.host == "127.0.0.1" and config.server.port == 8000
    assert config.store.url == DEFAULT_SQLITE_FILE and config.file is None
    assert all(config.source(k.dotted) == "default" for k in schema())


def test_precedence_flag_over_env_over_file_over_default(tmp_path: Path) -> None:
    path = toml(tmp_path, '[server]\nport = 9000\nhost = "0.0.0.0"\nlog_level = "debug"\n')
    env = {"IPLEDGER_SERVER_PORT": "9100", "IPLEDGER_SERVER_HOST": "::1"}
    config = load_config(tmp_path, env=env, flags={"server.port": 9200, "server.host": None})
    assert config.server.port == 9200  # flag
    assert config.source("server.port") == "command line"
    assert config.server.host == "::1"  # env (the flag was not given)
    assert config.source("server.host") == "env IPLEDGER_SERVER_HOST"
    assert config.server.log_level == "debug"  # file
    assert config.source("server.log_level") == f"file {path}"
    assert config.server.access_log is False  # default
    assert config.source("server.access_log") == "default"
    assert config.file == path


def test_config_file_replaces_the_data_directory_file(tmp_path: Path) -> None:
    toml(tmp_path, "[server]\nport = 9000\n")
    other = tmp_path / "other.toml"
    other.write_text("[ledger]\nmax_batch = 64\n")
    config = load_config(tmp_path, other, env={})
    assert config.server.port == 8000 and config.ledger.max_batch == 64
    with pytest.raises(ConfigError, match=r"missing\.toml: no such configuration file"):
        load_config(tmp_path, tmp_path / "missing.toml", env={})


def test_every_type_reads_from_toml(tmp_path: Path) -> None:
    toml(tmp_path, """
[server]
access_log = true
trusted_proxies = ["127.0.0.1", "10.0.0.0/8", "::1"]
[limits]
requests_per_second = 5      # an integer is a fine float
[cors]
allowed_origins = ["https://filing.office.example", "http://localhost:3000"]
[documents]
directory = "/srv/documents"
allowed_media_types = ["application/pdf"]
""")
    config = load_config(tmp_path, env={})
    assert config.server.access_log is True
    assert config.server.trusted_proxies == ("127.0.0.1", "10.0.0.0/8", "::1")
    assert config.limits.requests_per_second == 5.0
    assert isinstance(config.limits.requests_per_second, float)
    assert config.cors.allowed_origins == ("https://filing.office.example",
                                           "http://localhost:3000")
    assert config.documents_dir == Path("/srv/documents")
    assert config.documents.allowed_media_types == ("application/pdf",)


@pytest.mark.parametrize(("text", "message"), [
    ("[server]\nprot = 9000\n", r"unknown key 'prot' in \[server\] \(known: host, port"),
    ("[srever]\nport = 9000\n", r"unknown section \[srever\] \(known: server, store"),
    ("port = 9000\n", r"unknown key 'port' at the top level"),
    ("server = 1\n", r"'server' must be a section \[server\]"),
    ('[server]\nport = "9000"\n', r"\[server\] port must be an integer, not a string \(\"9000\"\)"),
    ("[server]\nport = 80.5\n", r"\[server\] port must be an integer, not a float"),
    ("[server]\naccess_log = 1\n", r"\[server\] access_log must be a boolean, not an integer"),
    ("[ledger]\nmax_batch = true\n", r"\[ledger\] max_batch must be an integer, not a boolean"),
    ('[cors]\nallowed_origins = "https://a.example"\n',
     r"\[cors\] allowed_origins must be an array of strings, not a string"),
    ("[server]\nport = 70000\n", r"\[server\] port must be 1\.\.65535, not 70000"),
    ('[server]\nlog_level = "loud"\n', r"\[server\] log_level must be one of critical, "),
    ('[server]\ntrusted_proxies = ["proxy.example"]\n',
     r"\[server\] trusted_proxies 'proxy\.example': must be an IP address"),
    ('[cors]\nallowed_origins = ["https://a.example/path"]\n',
     r"\[cors\] allowed_origins 'https://a\.example/path': must be an origin"),
    ('[documents]\nallowed_media_types = ["PDF"]\n',
     r"\[documents\] allowed_media_types 'PDF': must be a lower-case media type"),
    ('[store]\nurl = "mysql://db/ledger"\n', r"\[store\] url must be a postgresql:// URL"),
    ("[server\n", r"not valid TOML"),
])
def test_file_errors_name_the_key_and_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = toml(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(tmp_path, env={})
    assert str(caught.value).startswith(f"{path}: ")


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("IPLEDGER_SERVER_PORT", "eighty", r"\[server\] port must be an integer, not 'eighty'"),
    ("IPLEDGER_SERVER_PORT", "0", r"\[server\] port must be 1\.\.65535, not 0"),
    ("IPLEDGER_SERVER_ACCESS_LOG", "maybe", r"access_log must be a boolean \(true/false"),
    ("IPLEDGER_LIMITS_REQUESTS_PER_SECOND", "fast", r"requests_per_second must be a number"),
    ("IPLEDGER_LIMITS_REQUESTS_PER_SECOND", "nan", r"requests_per_second must be a number"),
    ("IPLEDGER_LIMITS_BURST", "-1", r"\[limits\] burst must be at least 1, not -1"),
    ("IPLEDGER_SERVER_TRUSTED_PROXIES", "10.0.0.0/8,proxy", r"'proxy': must be an IP"),
    ("IPLEDGER_CORS_ALLOWED_ORIGINS", '["https://a.example"', r"is not a TOML array"),
    ("IPLEDGER_SERVER_PROT", "8080", r"IPLEDGER_SERVER_PROT names no configuration key "
     r"\(known: IPLEDGER_SERVER_HOST, IPLEDGER_SERVER_PORT"),
    ("IPLEDGER_STORE_PATH", "x.sqlite", r"IPLEDGER_STORE_PATH names no configuration key"),
])
def test_environment_errors_name_the_variable_and_the_key(tmp_path: Path, variable: str,
                                                          value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(tmp_path, env={variable: value})
    assert variable in str(caught.value)


def test_environment_values_are_parsed_to_the_keys_type(tmp_path: Path) -> None:
    for text, expected in (("true", True), ("1", True), ("YES", True), ("on", True),
                           ("false", False), ("0", False), ("no", False), ("Off", False)):
        config = load_config(tmp_path, env={"IPLEDGER_SERVER_ACCESS_LOG": text})
        assert config.server.access_log is expected
    config = load_config(tmp_path, env={
        "IPLEDGER_SERVER_PORT": " 8080 ",
        "IPLEDGER_LIMITS_REQUESTS_PER_SECOND": "2.5",
        "IPLEDGER_CORS_ALLOWED_ORIGINS": "https://a.example, https://b.example:8443",
        "IPLEDGER_SERVER_TRUSTED_PROXIES": '["127.0.0.1", "10.0.0.0/8"]',
        "IPLEDGER_DOCUMENTS_ALLOWED_MEDIA_TYPES": "",
    })
    assert config.server.port == 8080
    assert config.limits.requests_per_second == 2.5
    assert config.cors.allowed_origins == ("https://a.example", "https://b.example:8443")
    assert config.server.trusted_proxies == ("127.0.0.1", "10.0.0.0/8")
    assert config.documents.allowed_media_types == ()
    # Other IPLEDGER_ variables are not configuration.
    load_config(tmp_path, env={"IPLEDGER_KEY": "k.pem", "IPLEDGER_TEST_POSTGRES": "x"})


def test_the_store_comes_from_node_json_unless_configured(tmp_path: Path) -> None:
    data = tmp_path / "node"
    assert main(["init", "--data", str(data), "--origin", "office.example/log"]) == 0
    config = load_config(data, env={})
    assert (config.store.url, config.source("store.url")) == ("ledger.sqlite", "node.json")
    alias = load_config(data, env={"IPLEDGER_STORE": "postgresql://u:pw@db/x"})
    assert alias.store.url == "postgresql://u:pw@db/x"
    assert alias.source("store.url") == "env IPLEDGER_STORE"
    both = load_config(data, env={"IPLEDGER_STORE": "a.sqlite", "IPLEDGER_STORE_URL": "a.sqlite"})
    assert both.source("store.url") == "env IPLEDGER_STORE_URL"
    with pytest.raises(ConfigError, match="IPLEDGER_STORE and IPLEDGER_STORE_URL name "
                       "different stores"):
        load_config(data, env={"IPLEDGER_STORE": "a.sqlite", "IPLEDGER_STORE_URL": "b.sqlite"})
    toml(data, '[store]\nurl = "other.sqlite"\n')
    assert load_config(data, env={}).store.url == "other.sqlite"
    # Every command that opens the node's store finds it the same way.
    assert NodeConfig.load(data).store == "other.sqlite"


def test_describe_shows_sources_and_hides_passwords(tmp_path: Path) -> None:
    toml(tmp_path, '[store]\nurl = "postgresql://ipledger:s3cret@db.example/ledger"\n'
         "[ledger]\nmax_batch = 512\n")
    config = load_config(tmp_path, env={"IPLEDGER_SERVER_PORT": "8080"})
    text = config.describe()
    assert "s3cret" not in text
    assert 'url = "postgresql://ipledger:***@db.example/ledger"' in text
    assert any(line.startswith("port = 8080") and line.endswith("# env IPLEDGER_SERVER_PORT")
               for line in text.splitlines())
    assert any(line.startswith("max_batch = 512") and "# file " in line
               for line in text.splitlines())
    for section in SECTIONS:
        assert f"[{section}]" in text


def test_config_show_prints_the_effective_configuration(tmp_path: Path, capsys,
                                                        monkeypatch) -> None:
    toml(tmp_path, "[server]\nport = 9000\n")
    assert main(["config", "show", "--data", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "port = 9000" in out and "# file " in out
    monkeypatch.setenv("IPLEDGER_LEDGER_MAX_BATCH", "many")
    assert main(["config", "show", "--data", str(tmp_path)]) == 1
    assert "IPLEDGER_LEDGER_MAX_BATCH: [ledger] max_batch must be an integer" in (
        capsys.readouterr().err)


def test_a_bad_file_stops_commands_that_open_the_node(tmp_path: Path, capsys) -> None:
    data = tmp_path / "node"
    main(["init", "--data", str(data), "--origin", "office.example/log"])
    toml(data, "[ledger]\nmax_bacth = 1\n")
    capsys.readouterr()
    assert main(["log", "info", "--data", str(data)]) == 1
    assert "unknown key 'max_bacth' in [ledger]" in capsys.readouterr().err


def test_serve_uses_flags_env_file_and_passes_ledger_options(tmp_path: Path, monkeypatch) -> None:
    import uvicorn

    data = tmp_path / "node"
    main(["init", "--data", str(data), "--origin", "office.example/log"])
    toml(data, '[server]\nhost = "0.0.0.0"\nport = 9000\ntrusted_proxies = ["10.0.0.0/8"]\n'
         "[ledger]\nmax_batch = 64\ncheckpoint_interval_ms = 250\nvalidation_processes = 1\n")
    monkeypatch.setenv("IPLEDGER_SERVER_PORT", "9100")
    monkeypatch.setenv("IPLEDGER_LEDGER_REPLAY_WINDOW_PAST_S", "60")
    seen: list[Any] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self: seen.append(self.config))
    # Leave this process's logging alone (other tests look at it).
    monkeypatch.setattr("ipledger.logs.configure_logging", lambda *args: None)
    assert main(["serve", "--data", str(data), "--log-level", "warning"]) == 0
    (config,) = seen
    assert (config.host, config.port, config.log_level) == ("0.0.0.0", 9100, "warning")
    assert config.forwarded_allow_ips == ["10.0.0.0/8"] and config.proxy_headers
    app = config.app
    settings = app.state.config
    assert settings.server.port == 9100 and settings.source("server.log_level") == "command line"
    ledger = app.state.ledger
    assert ledger.sequencer.max_batch == 64
    assert ledger.checkpoints.interval_s == 0.25
    assert ledger.sequencer.window == ReplayWindow(past_ms=60_000, future_ms=300_000)
    assert ledger._pool.workers == 1


def test_ledger_defaults_are_the_ledgers_own() -> None:
    defaults = LedgerConfig().options()
    assert defaults["checkpoint_interval_s"] == DEFAULT_INTERVAL_S
    assert defaults["window"] == ReplayWindow()
    assert defaults["workers"] is None
    for cls in (Ledger, Sequencer):
        assert inspect.signature(cls).parameters["max_batch"].default == defaults["max_batch"]
    assert DEFAULT_SQLITE_FILE == SQLITE_FILE


def test_the_documentation_matches_the_schema() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    generated = markdown_keys()
    assert generated in doc, ("docs/configuration.md is out of date: run "
                              ".venv/bin/python -m ipledger.config --write docs/configuration.md")
    for key in schema():
        row = next(line for line in generated.splitlines()
                   if line.startswith(f"| `{key.name}` |") and key.env in line)
        assert key.type_name in row
    assert sum(len(dataclasses.fields(cls)) for cls in SECTIONS.values()) == len(schema())


def test_public_url_is_the_base_of_links_else_the_listening_address(tmp_path: Path) -> None:
    assert load_config(tmp_path, env={}).server.base_url() == "http://127.0.0.1:8000"
    configured = load_config(tmp_path, env={"IPLEDGER_SERVER_PUBLIC_URL": "https://reg.example"})
    assert configured.server.base_url() == "https://reg.example"
    with pytest.raises(ConfigError, match="public_url"):
        load_config(tmp_path, env={"IPLEDGER_SERVER_PUBLIC_URL": "https://reg.example/path"})
