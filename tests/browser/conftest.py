"""Real-browser tests: Playwright driving Debian's chromium against a live server.

The server runs in a thread on its own fresh database (SQLite file, or a new
PostgreSQL database when TEST_DATABASE_URL is set) with the demo data loaded.
Screenshots go to test-artifacts/screenshots/. axe-core (npm) checks each page.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.support.database import dispose, fresh_database, migrated_app

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium")
#: The app behind each live server (by its base URL), for tests that set up data through the services.
LIVE_APPS: dict[str, Any] = {}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)"),
]


@pytest.fixture(scope="session", autouse=True)
def _axe_installed() -> None:
    # Not a reason to skip: without axe-core the accessibility checks would silently not run.
    assert AXE.exists(), "axe-core is missing: run `npm install --prefix tests/browser` (make test does this)"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("live")
    with fresh_database(database_url, tmp) as url:
        app = migrated_app(url, tmp, WTF_CSRF_ENABLED=True)
        with app.app_context():
            from govern.audit.checkpoints import create_key
            from govern.demo import load_demo

            create_key()  # the demo's votes sign checkpoints when they open and close
            load_demo()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        port = server.server_port
        app.config["GOVERN_BASE_URL"] = f"http://127.0.0.1:{port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        LIVE_APPS[f"http://127.0.0.1:{port}"] = app
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            LIVE_APPS.pop(f"http://127.0.0.1:{port}", None)
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            dispose(app)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    # bypass_csp only so that the test can inject axe-core; the app itself sends a strict CSP.
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="nl-NL", bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def check_page(page: Any, name: str) -> None:
    """Save a full-page screenshot and assert axe-core finds no WCAG 2 A/AA violations."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("load")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]
    ]
    assert not problems, f"axe-core on {name}:\n" + "\n".join(problems)
