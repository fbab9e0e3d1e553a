from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest import ADAPTERS, Adapter, AdapterConfigError, available_adapters
from ingest.adapters import SegmentAdapter
from ingest.registry import build_registry, check_declaration


class Broken(Adapter):
    name = ""
    channel = "fax"
    primary_key = "id"
    is_sorted = True


def test_built_in_adapters_are_registered_under_their_names() -> None:
    assert set(ADAPTERS) == {
        "web.segment", "email.sendgrid", "store.shopify", "social.meta_leads", "social.x_mentions",
    }  # fmt: skip


def test_duplicate_name_raises_naming_both_classes() -> None:
    class Copycat(SegmentAdapter):
        pass

    with pytest.raises(AdapterConfigError, match="registered twice") as caught:
        build_registry([SegmentAdapter, Copycat])

    assert "Copycat" in str(caught.value)


def test_invalid_declaration_lists_every_problem() -> None:
    with pytest.raises(AdapterConfigError) as caught:
        check_declaration(Broken)

    message = str(caught.value)
    for expected in ("`name`", "`channel`", "cursor_field", "to_observation"):
        assert expected in message


@pytest.fixture
def plugin_on_path(tmp_path: Path) -> Iterator[Path]:
    """A real installed distribution declaring an adapter in the `cdp.adapters` group."""
    (tmp_path / "acme_reviews.py").write_text(
        "from ingest.adapter import Adapter\n"
        "class Reviews(Adapter):\n"
        "    name = 'store.acme_reviews'\n    channel = 'store'\n    primary_key = 'id'\n"
        "    def to_observation(self, record):\n        raise NotImplementedError\n"
    )
    dist = tmp_path / "acme_reviews-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-reviews\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[cdp.adapters]\nstore.acme_reviews = acme_reviews:Reviews\n"
    )
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    sys.modules.pop("acme_reviews", None)


def test_entry_point_adapters_join_the_built_ins(plugin_on_path: Path) -> None:
    adapters = available_adapters()

    assert adapters["store.acme_reviews"].__module__ == "acme_reviews"
    assert "web.segment" in adapters


def test_to_observation_must_be_written() -> None:
    class NoTransform(Adapter):
        name = "web.nothing"
        channel = "web"
        primary_key = "id"

    with pytest.raises(AdapterConfigError, match="to_observation"):
        check_declaration(NoTransform)
