from __future__ import annotations

import json

import pytest

from identity import InvalidInputError, default_model, model_from_json


def test_model_round_trips_through_json_with_its_version() -> None:
    model = default_model()
    loaded = model_from_json(model.to_json())
    assert loaded == model
    assert loaded.version == model.version
    assert json.loads(model.to_json())["version"] == model.version


def test_version_changes_when_a_probability_changes() -> None:
    model = default_model()
    assert model.replace(match_probability=0.999).version != model.version


def test_loading_reports_every_problem_at_once() -> None:
    data = default_model().to_dict(with_version=False)
    data["match_probability"] = 1.5
    data["comparisons"][0]["levels"][0]["kind"] = "exact"
    data["comparisons"][1]["levels"].pop()
    data["blocking_rules"][0]["columns"] = ["shoe_size"]
    data["comparisons"][3]["levels"][2]["other"] = "hat_size"
    data["survivorship"]["email"] = "loudest"
    with pytest.raises(InvalidInputError) as caught:
        model_from_json(data)
    problems = caught.value.problems
    assert any("match_probability is 1.5" in p for p in problems)
    assert any("first level is 'exact'" in p for p in problems)
    assert any("the last level is" in p for p in problems)
    assert any("'shoe_size'" in p for p in problems)
    assert any("'loudest'" in p for p in problems)
    assert any("comparisons[3].levels[2].other is 'hat_size'" in p for p in problems)
    assert len(problems) >= 6


def test_loading_refuses_a_hand_edited_file_whose_version_no_longer_matches() -> None:
    data = default_model().to_dict()
    data["review_probability"] = 0.4
    with pytest.raises(InvalidInputError, match="does not match the content"):
        model_from_json(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [("not json", "not valid JSON"), ("[1, 2]", "must be a JSON object")],
    ids=["garbage", "list"],
)
def test_loading_names_the_problem_when_input_is_not_a_model(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        model_from_json(text)


def test_a_rescaled_prior_keeps_the_version_and_other_changes_do_not() -> None:
    model = default_model()
    assert model.replace(prior=0.5).version == model.version
    assert model.replace(max_block_size=7).version != model.version
    fresh = default_model().replace(prior=0.5)  # version not computed before the copy
    assert fresh.version == model.version
