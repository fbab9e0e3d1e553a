"""Measuring the analysis against labelled samples: sentiment accuracy and macro-F1, topic
macro-F1, per language, on the tuning part, the held-out part and the whole.

The samples are TSV files (`id`, `sentiment`, `topics`, `text`; tests/feedback/data); rows
whose id ends in 2, 5 or 8 are the held-out part (30%), never looked at while tuning.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cdp.feedback.analysis import Analysis, analyze
from cdp.feedback.kinds import SENTIMENT_LABELS
from cdp.feedback.taxonomy import Taxonomy, default_taxonomy

__all__ = ["HELD_OUT_DIGITS", "Sample", "Scores", "evaluate", "is_held_out", "load_samples"]

HELD_OUT_DIGITS = frozenset({2, 5, 8})


@dataclass(frozen=True)
class Sample:
    id: int
    sentiment: str
    topics: frozenset[str]
    text: str


@dataclass(frozen=True)
class Scores:
    count: int
    sentiment_accuracy: float
    sentiment_macro_f1: float
    topic_macro_f1: float
    topic_f1: dict[str, float]
    mistakes: tuple[tuple[Sample, Analysis], ...]


def is_held_out(sample: Sample) -> bool:
    return sample.id % 10 in HELD_OUT_DIGITS


def load_samples(path: Path) -> list[Sample]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    samples = []
    for row in rows:
        topics = frozenset(t.strip() for t in (row["topics"] or "").split(",") if t.strip())
        if row["sentiment"] not in SENTIMENT_LABELS:
            raise ValueError(f"{path} id {row['id']}: unknown sentiment {row['sentiment']!r}")
        samples.append(Sample(int(row["id"]), row["sentiment"], topics, row["text"]))
    return samples


def _f1(true_positive: int, false_positive: int, false_negative: int) -> float:
    denominator = 2 * true_positive + false_positive + false_negative
    return 2 * true_positive / denominator if denominator else 1.0


def _macro_f1(pairs: Sequence[tuple[str, str]], labels: Iterable[str]) -> float:
    scores = [
        _f1(
            sum(1 for gold, got in pairs if gold == label and got == label),
            sum(1 for gold, got in pairs if gold != label and got == label),
            sum(1 for gold, got in pairs if gold == label and got != label),
        )
        for label in labels
    ]
    return sum(scores) / len(scores)


def evaluate(samples: Sequence[Sample], taxonomy: Taxonomy | None = None) -> Scores:
    """Score the analysis of `samples` against their labels."""
    taxonomy = taxonomy or default_taxonomy()
    results = [(sample, analyze(sample.text, taxonomy=taxonomy)) for sample in samples]
    pairs = [(sample.sentiment, found.label) for sample, found in results]
    topic_f1 = {
        topic: _f1(
            sum(1 for s, a in results if topic in s.topics and topic in a.topics),
            sum(1 for s, a in results if topic not in s.topics and topic in a.topics),
            sum(1 for s, a in results if topic in s.topics and topic not in a.topics),
        )
        for topic in taxonomy.ids
    }
    mistakes = tuple(
        (s, a) for s, a in results if s.sentiment != a.label or s.topics != set(a.topics)
    )
    return Scores(
        count=len(samples),
        sentiment_accuracy=sum(1 for gold, got in pairs if gold == got) / max(len(pairs), 1),
        sentiment_macro_f1=_macro_f1(pairs, SENTIMENT_LABELS),
        topic_macro_f1=sum(topic_f1.values()) / len(topic_f1),
        topic_f1=topic_f1,
        mistakes=mistakes,
    )
