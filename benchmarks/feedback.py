"""Feedback analysis accuracy on the hand-labelled samples (tests/feedback/data).

    python benchmarks/feedback.py                # the table
    python benchmarks/feedback.py --mistakes tuning   # also list the tuning part's mistakes
    python benchmarks/feedback.py --confusion         # also the sentiment confusion matrices

For English and Chinese: sentiment accuracy and macro-F1 (positive / neutral / negative) and
topic macro-F1 (over the taxonomy's topics), on the held-out part (30%, ids ending in 2, 5
or 8, never looked at while tuning), the tuning part and the whole; on the second, fresh
held-out sample (`feedback_*_fresh.tsv`, written and labelled before any scorer ran on it) and
on both held-out samples together ("unseen"); for English, the topic checks `check` and
`check2` (`topics_en_check*.tsv`, issue 17); sentiment alone on the sentiment tuning sample
(`sent-tune`) and on the third sample written to check it (`sent-check`); then the speed of
`analyze` (texts/s) against the bare VADER / jieba calls it wraps, measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cdp.feedback.analysis import analyze
from cdp.feedback.evaluation import Sample, evaluate, is_held_out, load_samples

DATA = Path(__file__).resolve().parent.parent / "tests" / "feedback" / "data"
LANGUAGES = {"en": "English", "zh": "Chinese"}


def parts(samples: list[Sample], fresh: list[Sample]) -> dict[str, list[Sample]]:
    held_out = [s for s in samples if is_held_out(s)]
    return {
        "held-out": held_out,
        "tuning": [s for s in samples if not is_held_out(s)],
        "full": samples,
        "fresh": fresh,
        "unseen": held_out + fresh,
    }


def confusion(samples: list[Sample]) -> str:
    """Counts of (labelled -> found) sentiment, e.g. `neg->neu 9`; mistakes only."""
    counts: dict[tuple[str, str], int] = {}
    for sample in samples:
        found = analyze(sample.text).label
        if found != sample.sentiment:
            key = (sample.sentiment[:3], found[:3])
            counts[key] = counts.get(key, 0) + 1
    return "mistakes: " + (
        ", ".join(f"{g}->{f} {n}" for (g, f), n in sorted(counts.items())) or "none"
    )


def speed(samples: list[Sample], language: str) -> tuple[float, float]:
    texts = [s.text for s in samples] * 5
    for text in texts[:20]:
        analyze(text)  # load the lexicons and jieba's dictionary first
    started = time.perf_counter()
    for text in texts:
        analyze(text)
    ours = len(texts) / (time.perf_counter() - started)
    if language == "zh":
        import jieba

        jieba.lcut(texts[0])  # load its dictionary first, as analyze's was above
        started = time.perf_counter()
        for text in texts:
            jieba.lcut(text)
    else:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        vader = SentimentIntensityAnalyzer()
        started = time.perf_counter()
        for text in texts:
            vader.polarity_scores(text)
    return ours, len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mistakes", choices=["tuning", "held-out", "full", "fresh", "unseen"])
    parser.add_argument(
        "--confusion", action="store_true", help="print each part's sentiment confusion matrix"
    )
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f} (2 cores shared)")
    print(
        f"{'language':<9} {'part':<9} {'texts':>5} {'sent. acc':>9} {'sent. F1':>9} {'topic F1':>9}"
    )
    for code, name in LANGUAGES.items():
        samples = load_samples(DATA / f"feedback_{code}.tsv")
        fresh = load_samples(DATA / f"feedback_{code}_fresh.tsv")
        for part, chosen in parts(samples, fresh).items():
            scores = evaluate(chosen)
            print(
                f"{name:<9} {part:<9} {scores.count:>5} {scores.sentiment_accuracy:>9.3f} "
                f"{scores.sentiment_macro_f1:>9.3f} {scores.topic_macro_f1:>9.3f}"
            )
            if args.confusion:
                print(f"{'':<9} {confusion(chosen)}")
            if args.mistakes == part:
                for sample, found in scores.mistakes:
                    print(
                        f"    {sample.id:>3} {sample.sentiment:>8}->{found.label:<8} "
                        f"{sorted(sample.topics)}->{list(found.topics)} {found.sentiment:+.2f} "
                        f"{sample.text}"
                    )
        for part, file in (("check", "check"), ("check2", "check2")):
            # the topic checks of issue 17 (English only; tests/feedback/data/README.md)
            path = DATA / f"topics_{code}_{file}.tsv"
            if path.exists():
                scores = evaluate(load_samples(path))
                print(
                    f"{name:<9} {part:<9} {scores.count:>5} {scores.sentiment_accuracy:>9.3f} "
                    f"{scores.sentiment_macro_f1:>9.3f} {scores.topic_macro_f1:>9.3f}"
                )
        for part, file in (("sent-tune", "dev"), ("sent-check", "check")):
            # sentiment labels only: the tuning sample and the third sample, its check
            # (tests/feedback/data/README.md)
            chosen = load_samples(DATA / f"sentiment_{code}_{file}.tsv")
            scores = evaluate(chosen)
            print(
                f"{name:<9} {part:<10}{scores.count:>5} {scores.sentiment_accuracy:>9.3f} "
                f"{scores.sentiment_macro_f1:>9.3f} {'-':>9}"
            )
            if args.confusion:
                print(f"{'':<9} {confusion(chosen)}")
        full = evaluate(samples)
        per_topic = ", ".join(f"{t} {f:.2f}" for t, f in full.topic_f1.items())
        print(f"{'':<9} topic F1 (full): {per_topic}")
    for code, name in LANGUAGES.items():
        ours, bare = speed(load_samples(DATA / f"feedback_{code}.tsv"), code)
        baseline = "jieba.lcut" if code == "zh" else "VADER polarity_scores"
        print(
            f"speed {name}: analyze {ours:,.0f} texts/s; bare {baseline} {bare:,.0f} texts/s "
            f"(ratio {ours / bare:.2f})"
        )


if __name__ == "__main__":
    main()
