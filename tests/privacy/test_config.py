"""Privacy settings: the suppression key is required in prod; purposes and retention rules
are validated with the variable, the value and what would be valid."""

from __future__ import annotations

import pytest

from cdp.config import load_settings
from cdp.errors import ConfigError


def test_prod_refuses_to_start_when_the_privacy_key_is_unset() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"CDP_ENV": "prod"})

    assert any("CDP_PRIVACY_KEY is unset" in problem for problem in caught.value.problems)


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"CDP_PRIVACY_KEY": "short"}, "5 characters is too short"),
        ({"CDP_CONSENT_PURPOSES": "email marketing"}, "'email marketing' is not a purpose name"),
        ({"CDP_RETENTION": "events=forever"}, "'forever' is not a number of days"),
        ({"CDP_RETENTION": "cookies=3"}, "KIND one of events, payloads, quarantine"),
    ],
    ids=["short-key", "purpose-with-space", "days-not-a-number", "unknown-kind"],
)
def test_bad_privacy_settings_are_named_with_their_value(
    env: dict[str, str], fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)

    assert any(fragment in problem for problem in caught.value.problems), caught.value.problems


def test_privacy_settings_are_read_when_valid() -> None:
    settings = load_settings(
        {
            "CDP_ENV": "prod",
            "CDP_PRIVACY_KEY": "k" * 40,
            "CDP_CONSENT_PURPOSES": "email_marketing, Analytics",
            "CDP_RETENTION": "events=400,web.events=90,quarantine=30",
        }
    )

    assert settings.consent_purposes == ("email_marketing", "analytics")
    assert settings.retention == (("events", 400), ("quarantine", 30), ("web.events", 90))
    assert "k" * 40 not in repr(settings)
