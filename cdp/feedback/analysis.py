"""What a piece of feedback says: its language, sentiment (score and label) and topics.

`analyze` is pure: the same text and scores give the same answer. A score the customer gave
(stars or CSAT 1-5, NPS 0-10) outweighs the text: it counts three times as much as the text's
own sentiment, so "5 stars, delivery was slow" is positive. With no text, the score alone
decides; with neither, the feedback is neutral.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdp.feedback.kinds import COMMENT
from cdp.feedback.language import detect_language
from cdp.feedback.sentiment import chinese_score, english_score, is_question
from cdp.feedback.taxonomy import Taxonomy, default_taxonomy

__all__ = [
    "NEGATIVE_BELOW",
    "POSITIVE_FROM",
    "Analysis",
    "analyze",
    "label_of",
    "refine_kind",
    "score_signal",
]

#: label thresholds on the combined score (-1..1)
POSITIVE_FROM = 0.05
NEGATIVE_BELOW = -0.05
#: a question whose text is no stronger than this is neutral ("Do you ship to Norway?")
_QUESTION_NEUTRAL_WITHIN = 0.55
_SCORE_WEIGHT = 0.75
_SENTENCE_END = re.compile(r"[.!?。！？]+")
_CLAUSE_END_ZH = re.compile(r"[，,；;。！？!?]+")


@dataclass(frozen=True)
class Analysis:
    language: str
    sentiment: float
    label: str
    topics: tuple[str, ...]
    is_question: bool = False


def score_signal(rating: int | None, nps: int | None, csat: int | None) -> float | None:
    """The customer's own score on -1..1, averaged when several: stars and CSAT 1 -> -1,
    3 -> 0, 5 -> 1; NPS as its groups: promoters 9, 10 -> 0.5, 1; passives 7-8 -> 0;
    detractors 6 .. 0 -> -0.3 .. -1."""
    signals = [(value - 3) / 2 for value in (rating, csat) if value is not None]
    if nps is not None:
        signals.append(_nps_signal(nps))
    return sum(signals) / len(signals) if signals else None


def _nps_signal(nps: int) -> float:
    if nps >= 9:
        return 0.5 + (nps - 9) * 0.5
    if nps >= 7:
        return 0.0
    return -0.3 - (6 - nps) * 0.7 / 6


def label_of(score: float) -> str:
    if score >= POSITIVE_FROM:
        return "positive"
    if score <= NEGATIVE_BELOW:
        return "negative"
    return "neutral"


def text_sentiment(text: str, language: str) -> tuple[float, bool]:
    """(score -1..1, is a question) of the text alone."""
    if language == "zh":
        score = chinese_score(text)
    elif language == "en":
        score = english_score(text)
    else:
        return 0.0, False
    asking = is_question(text, language)
    # a lone question with no strong words is neutral ("Is the return shipping free?"); a
    # question after a statement ("...cancelled. Now what?") keeps the statement's sentiment
    if asking and _only_asks(text, language) and abs(score) <= _QUESTION_NEUTRAL_WITHIN:
        score = 0.0
    elif NEGATIVE_BELOW < score < POSITIVE_FROM and _is_plain_statement(text, language):
        # customers write neutral feedback as questions or requests; a statement that shows
        # neither praise nor a known complaint is most often a complaint in other words
        # (of the texts tuned on that are not questions, English: 203 negative, 104
        # positive, 1 neutral; Chinese: 203, 104, 2): it leans negative, just below neutral
        score = _PLAIN_STATEMENT
    return score, asking


def _is_plain_statement(text: str, language: str) -> bool:
    """Not a question nor a request, and long enough to say something ("ok" is not)."""
    if "?" in text or "？" in text or is_question(text, language):
        return False
    lowered = text.lower()
    if language == "zh":
        words = sum(1 for char in text if "\u4e00" <= char <= "\u9fff")
        cues: tuple[str, ...] = (*_REQUESTS_ZH, *_SUGGESTION_CUES_ZH)
        return words >= 5 and not any(cue in lowered for cue in cues)
    cues = (*_REQUESTS_EN, *_SUGGESTION_CUES_EN)
    return len(lowered.split()) >= 3 and not any(cue in lowered for cue in cues)


_PLAIN_STATEMENT = -0.1
_REQUESTS_EN = ("please", "could you", "can you", "would you", "i'd like", "i would like",
                "let me know", "wondering", "i want to know", "info", "information")  # fmt: skip
_REQUESTS_ZH = ("请", "麻烦", "想问", "想知道", "咨询", "能否", "可否", "吗", "呢")


def _only_asks(text: str, language: str) -> bool:
    """One sentence, or only questions ("Do you price match? Online too?")."""
    # Chinese strings statements together with commas: "退款退到了注销的卡上，现在怎么办？"
    ends = _CLAUSE_END_ZH if language == "zh" else _SENTENCE_END
    if len([s for s in ends.split(text.strip()) if s.strip()]) <= 1:
        return True
    pieces = (_CLAUSES_ZH if language == "zh" else _SENTENCES).findall(text)
    return all(p.strip().endswith(("?", "？")) for p in pieces if p.strip())


_SENTENCES = re.compile(r"[^.!?。！？]+[.!?。！？]*")
_CLAUSES_ZH = re.compile(r"[^，,；;。！？!?]+[，,；;。！？!?]*")


def analyze(
    text: str | None,
    *,
    rating: int | None = None,
    nps: int | None = None,
    csat: int | None = None,
    stated_topic: str | None = None,
    taxonomy: Taxonomy | None = None,
) -> Analysis:
    """Language, sentiment and topics of one piece of feedback; `stated_topic` (a source's
    own topic field) is added when it names a taxonomy topic."""
    taxonomy = taxonomy or default_taxonomy()
    body = (text or "").strip()
    language = detect_language(body)
    text_score, asking = text_sentiment(body, language) if body else (0.0, False)
    signal = score_signal(rating, nps, csat)
    if signal is None:
        score = text_score
    elif body:
        score = _SCORE_WEIGHT * signal + (1 - _SCORE_WEIGHT) * text_score
    else:
        score = signal
    topics = list(taxonomy.match(body, language)) if body else []
    stated = taxonomy.canonical(stated_topic)
    if stated is not None and stated not in topics:
        topics.append(stated)
    return Analysis(language, round(score, 4), label_of(score), tuple(topics), asking)


_SUGGESTION_CUES_EN = ("would be nice", "would be great", "please add", "i wish", "suggest",
                       "it would help", "could you add", "you should")  # fmt: skip
_SUGGESTION_CUES_ZH = ("建议", "希望", "能不能增加", "最好能", "要是能", "如果能")


def refine_kind(kind: str, text: str | None, analysis: Analysis) -> str:
    """The kind of a `comment` (free text of unknown kind) as its text shows it: a complaint
    when negative, a suggestion when it suggests, a question when it asks, praise when
    positive; any other kind is kept as the source stated it. A plain statement that is
    negative only by the lean of `text_sentiment` ("The parcel came today.") is no
    complaint: a complaint goes to someone's work list, so it needs words that complain."""
    if kind != COMMENT or not text:
        return kind
    lowered = text.lower()
    cues = _SUGGESTION_CUES_ZH if analysis.language == "zh" else _SUGGESTION_CUES_EN
    if analysis.label == "negative" and analysis.sentiment < _PLAIN_STATEMENT:
        return "complaint"
    if any(cue in lowered for cue in cues):
        return "suggestion"
    if analysis.is_question:
        return "question"
    if analysis.label == "positive":
        return "praise"
    return kind
