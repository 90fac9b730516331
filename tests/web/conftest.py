"""A real node served over HTTP by uvicorn on a loopback port, with the sample register,
and one headless Debian Chromium (driven by Playwright) for the package's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ipledger.api.app import create_app
from ipledger.node import init_node
from tests.conftest import ROOT, T0, FakeClock
from tests.http_server import serving
from tests.registry.conftest import ORIGIN, Node
from tests.registry.test_rights_lifecycle import Office, ms
from tests.web.sample_register import SampleRegister

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


@dataclass
class LiveNode:
    url: str  # http://127.0.0.1:PORT (a secure context for WebCrypto)
    node: Node
    register: SampleRegister


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    data = tmp_path_factory.mktemp("web") / "node"
    init_node(data, ORIGIN)
    node = Node(data, FakeClock(T0))
    register = SampleRegister(node)
    node.ledger.wait_for_checkpoint(node.ledger.store.tree_size(), timeout=10)
    try:
        with serving(create_app(node.ledger)) as url:
            yield LiveNode(url, node, register)
    finally:
        node.close()


@pytest.fixture
def page(browser: Any, live: LiveNode) -> Iterator[Any]:
    """A fresh browser context on the live node's test clock (the browser's "created" must
    fall in the node's replay window); downloads allowed."""
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.clock.set_fixed_time(datetime.fromtimestamp(live.node.clock.now_ms / 1000, UTC))
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="package")
def browser(system_tool: Callable[[str], str]) -> Iterator[object]:
    """One headless Chromium per test process for the tests of this package (tests open
    their own contexts and close them): launching it costs more than most browser tests.

    Not session-wide: while Playwright's sync API is started it marks its event loop as
    running in this thread, so ``asyncio.run`` in any later test would fail."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=system_tool("chromium"),
                                     args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def screenshot() -> Callable[[object, str], Path]:
    """``screenshot(page_or_locator, name)``: a PNG (of the full page, or of one element)
    kept under test-artifacts/screenshots/."""
    def take(target: object, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        whole = {"full_page": True} if hasattr(target, "goto") else {}
        target.screenshot(path=str(path), **whole)  # type: ignore[attr-defined]
        assert path.stat().st_size > 1000
        return path

    return take


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    """An EUIPO-like office on a fresh node whose ledger clock reads 2026-09-21."""
    init_node(tmp_path / "node", ORIGIN)
    node = Node(tmp_path / "node", FakeClock(T0))
    node.clock.now_ms = ms("2026-09-21")
    yield Office(node)
    node.close()
