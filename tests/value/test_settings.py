"""CDP_VALUE_CONFIG: overrides load; every bad key is reported at once, with its value."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdp.config import load_settings
from cdp.errors import ConfigError
from cdp.value.settings import load_value_settings


def test_a_file_overrides_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "value.toml"
    path.write_text(
        'base_currency = "eur"\nhorizon_days = 180\n[rates]\nusd = 0.92\n'
        "[loyalty.tiers]\nmember = 0\nvip = 900\n[lifecycle]\nactive_days = 60\n",
        encoding="utf-8",
    )
    settings = load_value_settings(path)
    assert settings.base_currency == "EUR"
    assert settings.rate("USD") == 0.92
    assert settings.rate("EUR") == 1.0
    assert settings.rate("GBP") is None
    assert settings.horizon_days == 180
    assert settings.loyalty.tiers == {"member": 0, "vip": 900}
    assert settings.lifecycle.active_days == 60
    assert settings.lifecycle.lapsed_days == 365


def test_every_problem_is_reported_with_its_value(tmp_path: Path) -> None:
    path = tmp_path / "value.toml"
    path.write_text(
        'base_currency = "euro"\nhorizon = 3\n[rates]\nEUR = "1.1"\n[lifecycle]\nnew_days = 400\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_value_settings(path)
    text = " | ".join(caught.value.problems)
    assert "base_currency: expected an ISO 4217 code, got 'euro'" in text
    assert "horizon: unknown setting" in text
    assert "rates: expected a table of numbers >= 0, got {'EUR': '1.1'}" in text
    assert "expected new_days <= active_days <= lapsed_days, got 400, 90, 365" in text


def test_start_up_refuses_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "value.toml"
    path.write_text("horizon_days = -1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings({"CDP_VALUE_CONFIG": str(path)})
    assert "CDP_VALUE_CONFIG" in caught.value.problems[0]
    assert "horizon_days: expected a number >= 0, got -1" in caught.value.problems[0]
