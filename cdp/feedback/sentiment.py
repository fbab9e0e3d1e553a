"""Sentiment of a feedback text: a score from -1 (very negative) to 1 (very positive).

English goes to VADER (`vaderSentiment`, a lexicon and rules made for short social text:
negation, intensifiers, "but", capitals, exclamation marks), with the words and phrases of
customer feedback it lacks added from `data/lexicon_en.tsv` (a phrase becomes one token that
VADER scores like a word, so its negation and intensifier rules apply around it too).

Chinese is segmented by `jieba` (its dictionary ships inside the package; the feedback
lexicon's words are added so they stay whole) and scored VADER's way with
`data/lexicon_zh.tsv`: a negator up to four words before a sentiment word flips and damps it
(不满意, 没有想象中那么差), a degree word scales it (很, 非常, 太; 有点, 稍微 soften), a negator
before a degree word softens instead of flipping hard (不太好), clauses after 但是/不过/就是
count 1.5 times and those before half, and the sum is squashed into -1..1 as VADER does.

Both add the complaint and praise cues of `cdp.feedback.cues` ("still waiting", 怎么还没) to
the raw sum of the words, per contrast segment; in English each side of a "but" is scored
alone, since VADER's negation reaches across it ("Not cheap, but worth every penny").
Nothing is downloaded at run time: both lexicons and jieba's dictionary are files in packages.
"""

from __future__ import annotations

import logging
import math
import re
from functools import cache
from importlib.resources import files
from typing import Any

from cdp.feedback.cues import cue_valence

__all__ = [
    "chinese_score", "english_score", "is_question", "load_lexicon", "raw_valence", "squash",
]  # fmt: skip

_NORMALIZE_ALPHA = 15.0  # VADER's: sum / sqrt(sum^2 + alpha)


def load_lexicon(name: str) -> dict[str, float]:
    """A `word<TAB>valence` file of `cdp/feedback/data/` (lines starting with # are comments)."""
    lexicon: dict[str, float] = {}
    text = files("cdp.feedback").joinpath(f"data/{name}").read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        word, _, value = line.partition("\t")
        try:
            lexicon[word.strip().lower()] = float(value)
        except ValueError:
            raise ValueError(f"{name} line {number}: {line!r} is not 'word<TAB>valence'") from None
    return lexicon


# --- English ------------------------------------------------------------------------------


class _English:
    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self.vader: Any = SentimentIntensityAnalyzer()
        words: dict[str, float] = {}
        phrases: dict[str, str] = {}
        for entry, valence in load_lexicon("lexicon_en.tsv").items():
            if " " in entry:
                token = f"zzphrase{len(phrases)}"
                phrases[entry] = token
                words[token] = valence
            else:
                words[entry] = valence
        self.vader.lexicon.update(words)
        self.phrases = phrases
        alternatives = "|".join(
            r"\s+".join(map(re.escape, p.split())) for p in sorted(phrases, key=len, reverse=True)
        )
        self.pattern = re.compile(rf"(?<![\w'])(?:{alternatives})(?![\w'])", re.IGNORECASE)

    def score(self, text: str) -> float:
        def token(match: re.Match[str]) -> str:
            return self.phrases[" ".join(match.group(0).lower().split())]

        text = _UNEXPECTED.sub(_affirmed, self.pattern.sub(token, text))
        # VADER weighs the words around "but" itself, but its negation reaches across it
        # ("Not cheap, but worth every penny" came out negative): each side is scored alone,
        # with its cues, the side after the last contrast counting 1.5 times, before it half
        parts = [p for p in _CONTRAST_EN.split(text) if p.strip()] or [text]
        total = 0.0
        for part in parts:
            compound = self.vader.polarity_scores(part)["compound"]
            total = total * 0.5 + raw_valence(compound) + cue_valence(part, "en")
        return squash(total * 1.5 if len(parts) > 1 else total)


#: "didn't expect it to be this good": the surprise affirms what follows (VADER negated it)
_UNEXPECTED = re.compile(
    r"\b(?:didn'?t|did not|never|wasn'?t|was not) (expect|think|imagine|believe)(?:ing)?\b",
    re.IGNORECASE,
)
_AFFIRMED = {"expect": "expected", "think": "thought", "imagine": "imagined", "believe": "believed"}


def _affirmed(match: re.Match[str]) -> str:
    return _AFFIRMED[match.group(1).lower()]


_CONTRAST_EN = re.compile(r"(?:[,;.]\s*|\s)(?:but|however|though)\b\s*,?", re.IGNORECASE)


def squash(total: float) -> float:
    """VADER's normalisation of a raw valence sum into -1..1."""
    if total == 0.0:
        return 0.0
    return max(-1.0, min(1.0, total / math.sqrt(total * total + _NORMALIZE_ALPHA)))


def raw_valence(score: float) -> float:
    """The raw valence sum that `squash` turns into `score` (its inverse)."""
    score = max(-0.999, min(0.999, score))
    return score * math.sqrt(_NORMALIZE_ALPHA / (1.0 - score * score))


@cache
def _english() -> _English:
    return _English()


def english_score(text: str) -> float:
    """VADER's compound score of `text` with the feedback lexicon added."""
    return _english().score(text)


# --- Chinese ------------------------------------------------------------------------------

_NEGATORS = {
    "不": -0.74, "没": -0.74, "没有": -0.74, "无": -0.74, "未": -0.74, "别": -0.74,
    "非": -0.74, "不是": -0.74, "并不": -0.74, "并没有": -0.74, "从不": -0.9, "从没": -0.9,
    "毫不": -1.0, "绝不": -1.0, "根本不": -1.1, "根本没": -1.1, "一点都不": -1.2,
    "一点也不": -1.2, "完全不": -1.1, "不会": -0.74, "不算": -0.6, "不够": -0.74,
    "没什么": -0.74, "不怎么": -0.5, "毫无": -1.0, "不太": -0.4, "不是很": -0.4, "不大": -0.4,
    "没那么": -0.4,
}  # fmt: skip
_DEGREES = {
    "很": 0.3, "非常": 0.5, "特别": 0.5, "太": 0.5, "超": 0.5, "超级": 0.6, "极": 0.6,
    "极其": 0.6, "十分": 0.5, "相当": 0.4, "真": 0.3, "真的": 0.3, "挺": 0.2, "巨": 0.6,
    "最": 0.6, "更": 0.3, "实在": 0.4, "完全": 0.4, "严重": 0.5, "好": 0.3, "蛮": 0.2,
    "有点": -0.5, "有些": -0.5, "有一点": -0.5, "稍微": -0.5, "略": -0.5, "比较": -0.2,
    "还": -0.3, "一般": -0.5,
}  # fmt: skip
_CONTRASTS = ("但是", "但", "可是", "不过", "就是", "只是", "然而", "可惜", "结果")
_CLAUSE = re.compile(r"[，,。.！!？?；;～~\n]+")
_QUESTION_STARTS = (
    "请问", "怎么", "如何", "能不能", "可不可以", "是否", "有没有", "会不会", "什么时候", "多久",
    "几点", "多少", "哪", "为什么", "为啥", "是不是",
)  # fmt: skip
_WINDOW = 4
_PARTICLES = "了的啦呀啊吧呢哦"
#: "一点磕碰都没有": a negation after the word, with 都/也 before it
_AFTER_NEGATIONS = frozenset({"没有", "没", "不"})


class _Chinese:
    def __init__(self) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self.lexicon = load_lexicon("lexicon_zh.tsv")
        self.tokenizer = jieba.Tokenizer()
        for word in (*self.lexicon, *_NEGATORS, *_DEGREES):
            self.tokenizer.add_word(word)

    def score(self, text: str) -> float:
        clauses = [c for c in _CLAUSE.split(text.lower()) if c.strip()]
        total = 0.0
        seen_contrast = False
        segment: list[str] = []  # the clauses since the last contrast, for the cues
        for clause in clauses:
            # the words of a yes/no question are asked about, not said: 这件外套偏大吗
            asked = clause.rstrip(" " + _PARTICLES.replace("吗", "")).endswith("吗")
            value = 0.0 if asked else self._clause(self.tokenizer.lcut(clause))
            if clause.startswith(_CONTRASTS):
                total += cue_valence("，".join(segment), "zh") * (1.5 if seen_contrast else 1.0)
                segment = []
                total *= 0.5
                seen_contrast = True
            segment.append(clause)
            total += value * (1.5 if seen_contrast else 1.0)
        total += cue_valence("，".join(segment), "zh") * (1.5 if seen_contrast else 1.0)
        total += 0.292 * min(text.count("!") + text.count("！"), 3) * (1 if total > 0 else -1)
        return squash(total)

    def _clause(self, tokens: list[str]) -> float:
        total = 0.0
        for i, token in enumerate(tokens):
            valence, modifier = self._valence(token)
            if valence == 0.0:
                continue
            value = self._modified(valence * modifier, tokens[max(0, i - _WINDOW) : i])
            total += -0.74 * value if _negated_after(tokens[i + 1 : i + 4]) else value
        return total

    def _valence(self, token: str) -> tuple[float, float]:
        """(valence, own modifier): a token may carry its negator or degree word inside it
        (jieba keeps 不好 or 很好用 whole), or a particle after it (太好了)."""
        if token in self.lexicon:
            return self.lexicon[token], 1.0
        token = token.rstrip(_PARTICLES) or token
        if token in self.lexicon:
            return self.lexicon[token], 1.0
        for size in (3, 2, 1):
            head, rest = token[:size], token[size:]
            if rest in self.lexicon:
                if head in _NEGATORS:
                    return self.lexicon[rest], _NEGATORS[head]
                if head in _DEGREES:
                    return self.lexicon[rest], 1.0 + _DEGREES[head]
        return 0.0, 1.0

    @staticmethod
    def _modified(valence: float, before: list[str]) -> float:
        """Apply the negator and degree words of the (up to four) words before a sentiment
        word: 不太好 (negator, degree, word) is mildly negative, 太不好 strongly."""
        near = 0.0  # degree word between the negator (if any) and the sentiment word
        far = 0.0  # degree word before the negator
        negation: float | None = None
        for word in reversed(before):
            if word in _CLAUSE_BREAKERS:
                break
            if word in _NEGATORS and negation is None:
                negation = _NEGATORS[word]
            elif word in _DEGREES:
                if negation is None:
                    near = near or _DEGREES[word]
                else:
                    far = far or _DEGREES[word]
        if negation is None:
            return valence * (1.0 + near)
        softened = 0.5 if near > 0 else 1.0
        return valence * negation * softened * (1.0 + far)


def _negated_after(after: list[str]) -> bool:
    return len(after) >= 2 and after[0] in ("都", "也") and after[1] in _AFTER_NEGATIONS


_CLAUSE_BREAKERS = frozenset({*_CONTRASTS, "而且", "并且", "还是"})


@cache
def _chinese() -> _Chinese:
    return _Chinese()


def chinese_score(text: str) -> float:
    """The Chinese text's sentiment, -1..1 (see the module docstring)."""
    return _chinese().score(text)


def is_question(text: str, language: str) -> bool:
    """Whether the text asks something (it may still complain while asking)."""
    stripped = text.strip()
    if stripped.endswith(("?", "？")):
        return True
    if language == "zh":
        first = _CLAUSE.split(stripped)[-1] if stripped else ""
        return stripped.startswith(_QUESTION_STARTS) or first.endswith(("吗", "呢", "么"))
    lowered = stripped.lower()
    return lowered.startswith(("how ", "what ", "when ", "where ", "which ", "can i ", "do you "))
