"""Each walkthrough in docs/walkthroughs/ is followed as a new user would, on both databases.

The test builds a small demo world (`cdp demo --no-serve --people 200`), starts the real
server (`cdp serve`) on a free port and runs the page's blocks in order in one bash script
(tests/docs/walkthrough.py says how each kind of block runs). A block that fails, a query that
answers with errors, or a noted value that is missing fails the test with the script's output.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import BACKENDS, PostgresDatabases
from tests.docs.walkthrough import blocks, script, setup_environment
from tests.web.conftest import require_executable

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs" / "walkthroughs").glob("*.md"))
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class DemoServer:
    url: str
    env: dict[str, str]
    world: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module", params=BACKENDS)
def demo_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoServer]:
    home = tmp_path_factory.mktemp("demo")
    database: PostgresDatabases | None = None
    name = ""
    if request.param == "sqlite":
        url = f"sqlite:///{home / 'cdp.db'}"
    else:
        database = request.getfixturevalue("_postgres_databases")
        name = database.create()
        url = database.url_for(name)
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "CDP_DATABASE_URL": url,
        "CDP_LOG_LEVEL": "warning",
    }
    for page in PAGES:
        env.update(setup_environment(page.read_text(encoding="utf-8")))
    env.pop("CDP_OPEN_MODE", None)
    subprocess.run(
        ["cdp", "demo", "--no-serve", "--people", "200", "--world", str(home / "world")],
        cwd=home,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    port = _free_port()
    log = home / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            ["cdp", "serve", "--port", str(port)],
            cwd=home,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"cdp serve did not start: {log.read_text(errors='replace')}")
            time.sleep(0.2)
        yield DemoServer(url=base, env={**env, "CDP_URL": base}, world=home / "world")
    finally:
        server.terminate()
        server.wait(timeout=30)
        if database is not None:
            database.drop(name)


def test_every_walkthrough_has_runnable_blocks() -> None:
    assert PAGES, "docs/walkthroughs/ has no page"
    for page in PAGES:
        runnable = blocks(page.read_text(encoding="utf-8"))
        assert len(runnable) >= 3, f"{page.name}: only {len(runnable)} runnable blocks"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_walkthrough_runs_as_written(page: Path, demo_server: DemoServer, tmp_path: Path) -> None:
    require_executable("node", "the JavaScript blocks run with Node.js")
    bash = require_executable("bash", "the walkthrough runs as a bash script")
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(ROOT / "examples", work / "examples")  # as in a clone
    text = script(
        page.read_text(encoding="utf-8"), work, Path(__file__).with_name("post_graphql.py")
    )
    env = {**demo_server.env, "CDP_DEMO_WORLD": str(demo_server.world), "CDP_REPO": str(ROOT)}
    result = subprocess.run(
        [bash, "-c", text],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:  # pytest.fail: the whole story, never truncated
        pytest.fail(
            f"{page.name} failed (exit {result.returncode})\n--- stderr\n{result.stderr[-3000:]}"
            f"\n--- stdout (end)\n{result.stdout[-3000:]}"
        )


def test_setup_blocks_are_skipped_and_queries_keep_their_variables(tmp_path: Path) -> None:
    page = (
        "```sh setup\n./scripts/demo\nexport SECRET=s3cr3t\nexport CDP_URL=http://x\n```\n"
        "```graphql\nquery($e: String!) { x(e: $e) }\n# note ID = data.x[0].id\n```\n"
        '```json\n{"e": "$EMAIL"}\n```\n'
        "```text\nnot run\n```\n"
    )
    found = blocks(page)
    assert [b.language for b in found] == ["graphql"]
    assert found[0].variables == '{"e": "$EMAIL"}\n'
    text = script(page, tmp_path, tmp_path / "post.py")
    assert "--note 'ID=data.x[0].id'" in text
    assert "./scripts/demo" not in text
    assert setup_environment(page) == {"SECRET": "s3cr3t"}
    assert shutil.which("bash")
