"""GraphQL over HTTP conformance: the npm `graphql-http` audits against a live server.

`scripts/graphql-http-audit.mjs` runs every audit of `serverAudits` and prints the results;
the test demands "ok" for all of them (no failure, no warning, no notice). `.ci/run` installs
the pinned package (`package.json`); without Node or the package the test skips with the
reason, and fails under CI.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.web.conftest import LiveServer, require_executable, require_tool

ROOT = Path(__file__).resolve().parents[2]
AUDIT_SCRIPT = ROOT / "scripts" / "graphql-http-audit.mjs"
PACKAGE = ROOT / "node_modules" / "graphql-http" / "package.json"


def test_graphql_http_audits_all_pass_when_run_against_live_server(
    live_server: LiveServer,
) -> None:
    node = require_executable("node", "apt-get install nodejs")
    require_tool(
        "npm package graphql-http",
        str(PACKAGE) if PACKAGE.exists() else None,
        "run `npm ci` in the repository root, as .ci/run does",
    )

    completed = subprocess.run(
        [node, str(AUDIT_SCRIPT), live_server.graphql_url],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "GRAPHQL_HTTP_AUDIT_AUTHORIZATION": f"Bearer {live_server.api_key}"},
        check=False,
    )

    assert completed.returncode in (0, 1), completed.stderr
    results = json.loads(completed.stdout)
    not_ok = [r for r in results if r["status"] != "ok"]
    assert len(results) >= 50, f"only {len(results)} audits ran"
    assert not_ok == [], json.dumps(not_ok, indent=2)
