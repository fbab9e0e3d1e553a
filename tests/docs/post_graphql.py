"""Post one walkthrough query to `$CDP_URL/graphql` with `$CDP_KEY`, as GraphiQL would.

Usage: post_graphql.py QUERY_FILE ENV_FILE [--variables FILE] [--note NAME=data.path[0].x]...

Prints the answer; exits 1 when the answer has errors or a noted value is missing. Each noted
value is written to ENV_FILE as `export NAME=value` for the blocks that follow.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import httpx

STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def pick(answer: Any, path: str) -> Any:
    value = answer
    for name, index in STEP.findall(path):
        if name:
            if not isinstance(value, dict) or name not in value:
                raise KeyError(f"{path}: no {name!r} in the answer")
            value = value[name]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                raise KeyError(f"{path}: no item {index} in the answer")
            value = value[int(index)]
    return value


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("query", type=Path)
    parser.add_argument("env_file", type=Path)
    parser.add_argument("--variables", type=Path)
    parser.add_argument("--note", action="append", default=[])
    args = parser.parse_args()
    body: dict[str, Any] = {"query": args.query.read_text(encoding="utf-8")}
    if args.variables is not None:
        body["variables"] = json.loads(os.path.expandvars(args.variables.read_text("utf-8")))
    headers = {"Accept": "application/json"}
    if os.environ.get("CDP_KEY"):
        headers["Authorization"] = f"Bearer {os.environ['CDP_KEY']}"
    response = httpx.post(f"{os.environ['CDP_URL']}/graphql", json=body, headers=headers)
    print(json.dumps(response.json(), indent=2, ensure_ascii=False))
    answer = response.json()
    if response.status_code != 200 or answer.get("errors"):
        print(f"the query failed (HTTP {response.status_code})", file=sys.stderr)
        return 1
    exports = []
    for note in args.note:
        name, _, path = note.partition("=")
        try:
            value = pick(answer, path)
        except KeyError as exc:
            print(exc, file=sys.stderr)
            return 1
        text = value if isinstance(value, str) else json.dumps(value)
        exports.append(f"export {name}={shlex.quote(text)}\n")
    args.env_file.write_text("".join(exports), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
