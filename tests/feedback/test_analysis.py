"""The text analysis: language, sentiment with negation and intensifiers, scores outweighing
text, topics in both languages, kind refinement, the taxonomy file, and the accuracy on the
hand-labelled samples (printed with `pytest -s`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdp.feedback.analysis import analyze, refine_kind, score_signal
from cdp.feedback.evaluation import evaluate, is_held_out, load_samples
from cdp.feedback.language import detect_language
from cdp.feedback.sentiment import chinese_score, english_score
from cdp.feedback.taxonomy import Taxonomy, TaxonomyError, default_taxonomy

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The parcel never arrived", "en"),
        ("快递太慢了", "zh"),
        ("APP一打开就闪退", "zh"),
        ("买了iPhone 15的壳，质量很好", "zh"),
        ("Love the 小笼包 here", "en"),
        ("配送が遅い", "ja"),
        ("배송이 늦어요", "ko"),
        ("!!! 123", "und"),
        ("", "und"),
    ],
    ids=["en", "zh", "zh-with-latin", "zh-brand", "en-with-hanzi", "ja", "ko", "symbols", "empty"],
)
def test_language_is_detected_from_the_scripts_of_the_letters(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(
    ("plain", "changed", "relation"),
    [
        ("The quality is good", "The quality is not good", "flips"),
        ("The service was bad", "The service was not bad", "flips"),
        ("It is good", "It is very good", "stronger"),
        ("It is bad", "It is extremely bad", "stronger"),
        ("质量好", "质量不好", "flips"),
        ("满意", "不满意", "flips"),
        ("质量好", "质量非常好", "stronger"),
        ("物流慢", "物流太慢", "stronger"),
        ("好用", "不太好用", "weaker-flipped"),
        ("好用", "一点都不好用", "flips"),
        ("磕碰", "一点磕碰都没有", "flips"),
    ],
    ids=lambda value: value if value in {"flips", "stronger", "weaker-flipped"} else None,
)
def test_negation_and_intensifiers_change_the_score(
    plain: str, changed: str, relation: str
) -> None:
    score = chinese_score if detect_language(plain) == "zh" else english_score
    before, after = score(plain), score(changed)

    assert before != 0
    if relation == "flips":
        assert before * after < 0, (before, after)
    elif relation == "stronger":
        assert before * after > 0, (before, after)
        assert abs(after) > abs(before), (before, after)
    else:  # not very good: the other sign, and milder than the plain word
        assert before * after < 0, (before, after)
        assert abs(after) < abs(before), (before, after)


def test_clause_after_but_outweighs_the_one_before_in_chinese() -> None:
    assert chinese_score("东西不错，但是物流太慢了，等了两个星期") < 0
    assert chinese_score("物流有点慢，但是东西非常好，很满意") > 0


@pytest.mark.parametrize(
    ("text", "scores", "label"),
    [
        ("Delivery was slow and the box was crushed", {"rating": 5}, "positive"),
        ("Absolutely love it, great quality", {"rating": 1}, "negative"),
        ("包装破损，物流太慢", {"csat": 5}, "positive"),
        ("Fine I guess", {"nps": 10}, "positive"),
        ("Great!", {"nps": 3}, "negative"),
        (None, {"nps": 8}, "neutral"),
        (None, {"rating": 2}, "negative"),
    ],
    ids=["5-stars", "1-star", "csat", "nps-promoter", "nps-detractor", "passive", "no-text"],
)
def test_a_score_the_customer_gave_outweighs_the_text(
    text: str | None, scores: dict[str, int], label: str
) -> None:
    assert analyze(text, **scores).label == label


def test_score_signal_maps_each_scale_to_minus_one_to_one() -> None:
    assert score_signal(1, None, None) == -1.0
    assert score_signal(5, None, None) == 1.0
    assert score_signal(None, 0, None) == pytest.approx(-1.0)
    assert score_signal(None, 8, None) == 0.0
    assert score_signal(None, 6, None) == pytest.approx(-0.3)
    assert score_signal(None, 10, None) == 1.0
    assert score_signal(None, None, 3) == 0.0
    assert score_signal(None, None, None) is None


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("The courier left my parcel in the rain", ("delivery",)),
        ("Refund still not processed and the app keeps crashing", ("returns", "website")),
        ("Way too expensive for such flimsy plastic", ("price", "quality")),
        ("快递太慢，客服也不回消息", ("delivery", "service")),
        ("退款一直没到账，付款的时候还扣了两次", ("returns", "payment")),
        ("尺码偏小，建议买大一码", ("size",)),
        ("Thank you!", ()),
        ("@shop love the new mugs!", ()),
        ("@happyapp 物流很快", ("delivery",)),
    ],
    ids=[
        "en-delivery",
        "en-two",
        "en-price-quality",
        "zh-two",
        "zh-returns-payment",
        "zh-size",
        "none",
        "en-handle",
        "zh-handle",
    ],
)
def test_topics_come_from_the_taxonomy_in_both_languages(
    text: str, topics: tuple[str, ...]
) -> None:
    assert analyze(text).topics == topics


def test_a_stated_topic_naming_a_taxonomy_topic_is_kept() -> None:
    assert analyze("ok", stated_topic="Delivery").topics == ("delivery",)
    assert analyze("ok", stated_topic="billing-misc").topics == ()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("My order never arrived", "complaint"),
        ("It would be nice to have a dark mode in the app", "suggestion"),
        ("Do you ship to Norway?", "question"),
        ("Love it, thank you!", "praise"),
        ("Order 4411", "comment"),
        ("建议增加更多颜色", "suggestion"),
        ("请问周末发货吗？", "question"),
        ("The parcel came today.", "comment"),
        ("包裹今天到了，放在门口", "comment"),
    ],
    ids=[
        "complaint",
        "suggestion",
        "question",
        "praise",
        "nothing-to-say",
        "zh-suggestion",
        "zh-question",
        "plain-statement",
        "zh-plain-statement",
    ],
)
def test_a_comment_is_refined_to_the_kind_its_text_shows(text: str, kind: str) -> None:
    assert refine_kind("comment", text, analyze(text)) == kind


def test_a_stated_kind_other_than_comment_is_kept() -> None:
    assert refine_kind("review", "Terrible", analyze("Terrible")) == "review"


def test_taxonomy_file_replaces_the_default(tmp_path: Path) -> None:
    path = tmp_path / "topics.toml"
    path.write_text(
        '[topics.coffee]\nlabel = "Coffee"\nen = ["espresso", "latte*"]\nzh = ["咖啡"]\n',
        encoding="utf-8",
    )
    taxonomy = Taxonomy.from_file(path)

    assert analyze("The lattes were cold", taxonomy=taxonomy).topics == ("coffee",)
    assert analyze("咖啡凉了", taxonomy=taxonomy).topics == ("coffee",)
    assert analyze("The parcel was late", taxonomy=taxonomy).topics == ()


def test_a_bad_taxonomy_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "topics.toml"
    path.write_text(
        '[topics.Bad-Id]\nen = ["x"]\n[topics.empty]\nlabel = "E"\n'
        '[topics.odd]\nen = "x"\ncolour = 1\n',
        encoding="utf-8",
    )

    with pytest.raises(TaxonomyError) as caught:
        Taxonomy.from_file(path)

    message = str(caught.value)
    assert "topic id 'Bad-Id' must be lower case" in message
    assert "topics.empty has no keywords" in message
    assert "topics.odd.en must be a list of non-empty strings" in message
    assert "topics.odd has unknown keys ['colour']" in message


def test_default_taxonomy_has_the_topics_the_docs_list() -> None:
    assert default_taxonomy().ids == (
        "delivery", "price", "quality", "service", "returns", "website", "payment", "size",
    )  # fmt: skip


@pytest.mark.parametrize("language", ["en", "zh"])
def test_labelled_samples_meet_the_targets(language: str) -> None:
    samples = load_samples(DATA / f"feedback_{language}.tsv")
    held_out = [s for s in samples if is_held_out(s)]
    full, held = evaluate(samples), evaluate(held_out)
    print(  # the figures docs/feedback.md quotes (pytest -s)
        f"\n{language}: {full.count} texts: sentiment accuracy {full.sentiment_accuracy:.3f} "
        f"(held-out {held.sentiment_accuracy:.3f}), macro-F1 {full.sentiment_macro_f1:.3f} "
        f"(held-out {held.sentiment_macro_f1:.3f}); topic macro-F1 {full.topic_macro_f1:.3f} "
        f"(held-out {held.topic_macro_f1:.3f})"
    )

    assert len(samples) >= 200
    assert full.sentiment_accuracy >= 0.85
    assert held.sentiment_accuracy >= 0.85
    assert full.topic_macro_f1 >= 0.80
    # the English held-out part's topic mistakes were read in the topic round of issue 17
    # (docs/feedback.md), so for topics it is no longer held out; the checks are below
    assert held.topic_macro_f1 >= 0.80


@pytest.mark.parametrize("name", ["topics_en_check", "topics_en_check2"])
def test_the_english_topic_checks_meet_the_topic_target(name: str) -> None:
    # written and labelled before any scorer ran on them (tests/feedback/data/README.md);
    # the second one's mistakes were not read while the taxonomy changed
    samples = load_samples(DATA / f"{name}.tsv")
    scores = evaluate(samples)
    print(f"\n{name}: {scores.count} texts: topic macro-F1 {scores.topic_macro_f1:.3f}")

    assert len(samples) >= 120
    assert scores.topic_macro_f1 >= 0.80


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_fresh_held_out_sample_meets_the_topic_target(language: str) -> None:
    # written and labelled before any scorer ran on it (docs/feedback.md); the second
    # sentiment round learnt from its mistakes, so its sentiment figure is a floor, no check
    fresh = load_samples(DATA / f"feedback_{language}_fresh.tsv")
    scores = evaluate(fresh)
    print(
        f"\n{language} fresh: {scores.count} texts: sentiment accuracy "
        f"{scores.sentiment_accuracy:.3f}, topic macro-F1 {scores.topic_macro_f1:.3f}"
    )

    assert len(fresh) >= 100
    assert scores.topic_macro_f1 >= 0.80
    assert scores.sentiment_accuracy >= 0.90


@pytest.mark.parametrize(
    ("keywords", "text", "matches"),
    [
        ('["refund"]', "They refunded me at once", True),
        ('["break"]', "It broke on day two", True),
        ('["size"]', "Sizing is odd", True),
        ('["=charges"]', "It charges slowly", True),
        ('["=charges"]', "It keeps charging", False),
        ('["stopped"]', "It stops", False),
        ('["send ... back"]', "I sent the jacket back", True),
        ('["send ... back"]', "I sent it to my sister who brought it back", False),
        ('["deliver*"]', "Deliveries were late", True),
        ('["run small"]', "These run a bit small", True),
        ('["run small"]', "It runs very, very small", False),
        ('["size #"]', "I ordered a size 10", True),
        ('["after # years"]', "Still fine after two years", True),
        ('["size #"]', "What size is it", False),
    ],
)
def test_english_keywords_match_their_inflections_and_phrases_with_gaps(
    keywords: str, text: str, matches: bool
) -> None:
    taxonomy = Taxonomy.from_toml(f"[topics.t]\nen = {keywords}\n", source="test")

    assert taxonomy.match(text, "en") == (("t",) if matches else ())


def test_a_match_inside_a_longer_match_of_another_topic_does_not_count() -> None:
    taxonomy = Taxonomy.from_toml(
        '[topics.price]\nen = ["discount"]\nzh = ["优惠"]\n'
        '[topics.payment]\nen = ["discount code"]\nzh = ["优惠码"]\n'
        '[topics.size]\nen = ["small"]\nzh = ["码"]\n'
        '[topics.website]\nen = ["app"]\nzh = ["密码"]\n',
        source="test",
    )

    assert taxonomy.match("The discount code did not work", "en") == ("payment",)
    assert taxonomy.match("Great discount, small box", "en") == ("price", "size")
    assert taxonomy.match("优惠码用不了，密码也错了", "zh") == ("payment", "website")
    assert taxonomy.match("码偏小，有优惠", "zh") == ("price", "size")


def test_topics_setting_names_a_usable_file_or_stops_start_up(tmp_path: Path) -> None:
    from cdp.config import load_settings
    from cdp.errors import ConfigError

    good = tmp_path / "good.toml"
    good.write_text('[topics.coffee]\nen = ["espresso"]\n', encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text("[topics.coffee]\n", encoding="utf-8")

    settings = load_settings({"CDP_FEEDBACK_TOPICS": str(good)})
    with pytest.raises(ConfigError) as caught:
        load_settings({"CDP_FEEDBACK_TOPICS": str(bad)})

    assert settings.feedback_topics_file == good
    assert "CDP_FEEDBACK_TOPICS=" in str(caught.value)
    assert "topics.coffee has no keywords" in str(caught.value)


def test_weak_keywords_name_a_topic_only_when_no_topic_has_a_keyword_of_its_own() -> None:
    from cdp.feedback.taxonomy import Taxonomy

    taxonomy = Taxonomy.from_toml(
        '[topics.price]\nen = ["price*"]\nzh = ["价格"]\n'
        '[topics.website]\nen = ["app"]\nen_weak = ["checkout"]\nzh_weak = ["结算"]\n',
        source="test",
    )

    assert taxonomy.match("The price went up at checkout", "en") == ("price",)
    assert taxonomy.match("Checkout keeps spinning", "en") == ("website",)
    assert taxonomy.match("结算的时候价格变了", "zh") == ("price",)
    assert taxonomy.match("结算页面打不开", "zh") == ("website",)


def test_an_ignored_phrase_hides_the_keywords_inside_it() -> None:
    taxonomy = Taxonomy.from_toml(
        '[topics.service]\nen = ["complaint"]\n[topics.delivery]\nen = ["parcel"]\n'
        '[ignore]\nen = ["no complaint*"]\n',
        source="test",
    )

    assert taxonomy.match("Five stars, no complaints", "en") == ()
    assert taxonomy.match("No complaints, the parcel came fast", "en") == ("delivery",)
    assert taxonomy.match("I made a complaint", "en") == ("service",)
