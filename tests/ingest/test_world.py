from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdp.cli import cli
from ingest import POS_MAPPING, AdapterConfigError, world_adapters
from tests.ingest.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[2]


def _world(tmp_path: Path) -> Path:
    world = tmp_path / "world"
    for source, target in [
        ("web.segment/events.jsonl", "web/segment-events.jsonl"),
        ("email.sendgrid/events.json", "email/sendgrid-events.json"),
        ("store.shopify/orders-1.json", "store/shopify-orders-1.json"),
        ("pos/pos-receipts.csv", "store/pos-receipts.csv"),
        ("social.meta_leads/leads-1.json", "social/meta-leads-1.json"),
        ("social.x_mentions/mentions-1.json", "social/x-mentions-1.json"),
    ]:
        (world / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / source, world / target)
    return world


def test_world_directory_is_ingested_one_source_per_file_family(
    db_url: str, tmp_path: Path
) -> None:
    env = {"CDP_DATABASE_URL": db_url, "CDP_SOURCES_FILE": str(tmp_path / "cdp.toml")}

    result = CliRunner().invoke(
        cli, ["ingest", "--world", str(_world(tmp_path)), "--json"], env=env
    )

    assert result.exit_code == 0, result.output
    stored = {s["source"]: s["stored"] for s in json.loads(result.stdout)}
    assert stored == {"web": 7, "email": 11, "shop": 2, "pos": 3, "leads": 2, "x": 2}


def test_shopify_pages_are_read_in_numeric_order(tmp_path: Path) -> None:
    world = _world(tmp_path)
    for n in (2, 10):
        shutil.copy(
            world / "store" / "shopify-orders-1.json", world / "store" / f"shopify-orders-{n}.json"
        )

    adapters = dict(world_adapters(world))

    assert [p.name for p in adapters["shop"].files] == [
        "shopify-orders-1.json", "shopify-orders-2.json", "shopify-orders-10.json",
    ]  # fmt: skip


def test_empty_world_says_what_files_it_expected(tmp_path: Path) -> None:
    with pytest.raises(AdapterConfigError, match=r"segment-events\.jsonl"):
        world_adapters(tmp_path)


def test_packaged_pos_mapping_is_the_documented_example() -> None:
    assert POS_MAPPING.read_text() == (ROOT / "examples" / "mappings" / "pos.toml").read_text()
