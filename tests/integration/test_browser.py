"""Neo4j Browser in headless Chromium: connect, apply the shipped style, run a shipped query.

Debian's ``/usr/bin/chromium`` is driven by Playwright (no browser is downloaded). The screenshot
is kept in ``test-artifacts/`` as ``browser_video_recommendations.png``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from recommend_graph import seed

from mishon_graph.db.cypher_files import cypher_root, load_query
from mishon_graph.db.runner import Runner
from mishon_graph.recommend.write import write_recommendations

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FRAME = '[data-testid="frame"]'


@pytest.mark.slow
@pytest.mark.browser
def test_browser_renders_shipped_query(db: Runner, neo4j_server, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    if not neo4j_server.http_url:
        pytest.skip("the test server's HTTP (Browser) address is unknown; set NEO4J_HTTP_URL")
    seed(db)
    scores = np.array([[0.9, 0.5, 0.1, 0.0], [0.1, 0.8, 0.7, 0.6], [0.2, 0.1, 0.9, 0.3]])
    write_recommendations(
        db, ["x1", "x2", "y1"], ["cat", "cute", "dog", "park"], scores, k=3, model="mishon", run_id="r1"
    )
    # The Browser editor runs a command per line: send the style and the query as one line each.
    style = " ".join((cypher_root() / "browser" / "style.grass").read_text(encoding="utf-8").split())
    query = " ".join(load_query("browser/video_recommendations").split())
    bolt = neo4j_server.uri.split("://", 1)[1]
    profile = tempfile.mkdtemp(prefix="mishon-chromium-")
    shot = artifacts_dir / "browser_video_recommendations.png"
    try:
        with sync_api.sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=FLAGS,
                viewport={"width": 1400, "height": 900},
            )
            try:
                page = context.new_page()
                page.goto(f"{neo4j_server.http_url}/browser/?dbms=bolt://{neo4j_server.user}@{bolt}")
                page.wait_for_selector('[data-testid="boltaddress"]', timeout=60_000)
                page.select_option('[data-testid="authenticationMethod"]', label="Username / Password")
                page.fill('[data-testid="username"]', neo4j_server.user)
                page.fill('[data-testid="password"]', neo4j_server.password)
                page.click('[data-testid="connect"]')
                page.wait_for_selector('[data-testid="disconnectedBanner"]', state="detached", timeout=30_000)
                page.wait_for_selector(f'{FRAME}:has-text(":play start")', timeout=30_000)
                frames = page.locator(FRAME)

                def run(command: str) -> None:
                    before = frames.count()
                    page.click('[data-testid="activeEditor"]')
                    page.keyboard.insert_text(command)
                    page.click('[data-testid="editor-Run"]')
                    sync_api.expect(frames).to_have_count(before + 1, timeout=30_000)

                run(":style " + style)
                assert "Could not parse" not in frames.first.inner_text()
                run(':param video_id => "x2"')
                run(query)
                result = frames.first
                nodes = result.locator("svg g.node")
                sync_api.expect(nodes).to_have_count(5, timeout=30_000)
                page.wait_for_timeout(2000)  # let the force layout settle before the screenshot
                captions = sorted(t.strip() for t in nodes.all_text_contents())
                # captions come from the shipped style (User/Video by id, Hashtag by name)
                assert captions == ["cute", "dog", "park", "u2", "x2"]
                rels = result.locator("svg g.relationship").all_text_contents()
                assert sorted(t.strip() for t in rels if t.strip().startswith("#")) == ["#1", "#2", "#3"]
                page.screenshot(path=str(shot))
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert shot.stat().st_size > 10_000
