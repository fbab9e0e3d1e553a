"""Turn a walkthrough page (docs/walkthroughs/*.md) into one bash script a new user would run.

Fenced blocks, in the page's order:

- `sh` / `bash`: run as written;
- `python`: run with the project's Python (`python - <<'PY'`);
- `js`: run with Node.js as an ES module (`node --input-type=module -`);
- `graphql`: what a reader pastes into GraphiQL. The script posts it to `$CDP_URL/graphql`
  with `$CDP_KEY`, and fails on any error in the answer. A `json` block right after it holds
  the variables (`$NAME` in it is replaced from the environment). A comment line
  `# note NAME = data.path[0].field` exports that value of the answer as `$NAME` for the blocks
  that follow.

Every other block (`text`, `json` not after a query, output samples) is for reading only, and
so is a block marked `setup` (```` ```sh setup ````: starting the demo server, which the test
does itself on a free port, with the literal `export NAME=value` lines of those blocks).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^```(\w*)([^\n]*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
NOTE = re.compile(r"^#\s*note\s+([A-Z_][A-Z0-9_]*)\s*=\s*(\S+)\s*$", re.MULTILINE)
RUNNABLE = {"sh", "bash", "python", "js", "graphql"}


@dataclass(frozen=True)
class Block:
    language: str
    body: str
    variables: str | None = None


SETUP_EXPORT = re.compile(r"^export ([A-Z_][A-Z0-9_]*)=([^\s$`'\"]+)", re.MULTILINE)


def setup_environment(markdown: str) -> dict[str, str]:
    """The literal `export NAME=value` lines of the page's setup blocks: the test starts the
    server with them, as a reader's shell would have."""
    found: dict[str, str] = {}
    for m in FENCE.finditer(markdown):
        if "setup" in m.group(2):
            found.update(SETUP_EXPORT.findall(m.group(3)))
    found.pop("CDP_URL", None)
    return found


def blocks(markdown: str) -> list[Block]:
    """The runnable blocks of a page, each graphql block with its variables block."""
    found = [
        (m.group(1), m.group(3)) for m in FENCE.finditer(markdown) if "setup" not in m.group(2)
    ]
    result: list[Block] = []
    for index, (language, body) in enumerate(found):
        if language not in RUNNABLE:
            continue
        variables = None
        if language == "graphql" and index + 1 < len(found) and found[index + 1][0] == "json":
            variables = found[index + 1][1]
        result.append(Block(language, body, variables))
    return result


def script(markdown: str, work: Path, post_tool: Path) -> str:
    """A bash script that runs every block of the page in order, stopping at the first failure."""
    lines = ["set -euo pipefail"]
    for number, block in enumerate(blocks(markdown), start=1):
        lines.append(f"echo '--- block {number} ({block.language})' >&2")
        if block.language in ("sh", "bash"):
            lines.append(block.body)
        elif block.language == "python":
            lines.append(f"python - <<'PY'\n{block.body}PY")
        elif block.language == "js":
            lines.append(f"node --input-type=module - <<'JS'\n{block.body}JS")
        else:
            query = work / f"block-{number}.graphql"
            query.write_text(block.body, encoding="utf-8")
            arguments = [str(post_tool), str(query), str(work / f"block-{number}.env")]
            if block.variables is not None:
                variables = work / f"block-{number}.json"
                variables.write_text(block.variables, encoding="utf-8")
                arguments += ["--variables", str(variables)]
            for name, path in NOTE.findall(block.body):
                arguments += ["--note", f"{name}={path}"]
            lines.append("python " + " ".join(shlex.quote(a) for a in arguments))
            lines.append(f"source {shlex.quote(str(work / f'block-{number}.env'))}")
    return "\n".join(lines) + "\n"
