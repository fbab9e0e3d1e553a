"""The topic taxonomy: topic ids with English and Chinese keywords, read from TOML.

The default ships as `data/taxonomy.toml`; `CDP_FEEDBACK_TOPICS` names a file of your own in
the same format (docs/feedback.md). Loading validates the whole file and reports every
problem at once (`TaxonomyError`). How keywords match (inflections, `*`, phrases with gaps,
Chinese substrings, the longest match winning across topics) is `cdp.feedback.keywords`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from cdp.errors import CdpError
from cdp.feedback.keywords import chinese_pattern, english_pattern, settle, spans

__all__ = [
    "DEFAULT_TAXONOMY_FILE",
    "Taxonomy",
    "TaxonomyError",
    "Topic",
    "default_taxonomy",
    "taxonomy_for",
]

DEFAULT_TAXONOMY_FILE = "data/taxonomy.toml"
_TOPIC_ID = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
_HANDLE = re.compile(r"@\w+")


class TaxonomyError(CdpError):
    """A taxonomy file that cannot be used; the message lists every problem."""


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    english: tuple[str, ...]
    chinese: tuple[str, ...]
    #: context words ("arrived", "checkout", "结算"): they name the topic only when no topic
    #: has a keyword of its own in the text (an incidental mention is not the subject)
    english_weak: tuple[str, ...] = ()
    chinese_weak: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    topics: tuple[Topic, ...]
    source: str = "built-in"
    #: phrases that name no topic although a keyword stands inside them ("no complaints",
    #: "can't complain", "no problem"): a match inside one does not count (`[ignore]`)
    ignore_english: tuple[str, ...] = ()
    ignore_chinese: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        ignore = {"en": english_pattern(self.ignore_english),
                  "zh": chinese_pattern(self.ignore_chinese)}  # fmt: skip
        object.__setattr__(self, "_ignore", ignore)
        patterns = {
            ("en", False): {t.id: english_pattern(t.english) for t in self.topics},
            ("en", True): {t.id: english_pattern(t.english_weak) for t in self.topics},
            ("zh", False): {t.id: chinese_pattern(t.chinese) for t in self.topics},
            ("zh", True): {t.id: chinese_pattern(t.chinese_weak) for t in self.topics},
        }
        object.__setattr__(self, "_patterns", patterns)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(topic.id for topic in self.topics)

    def match(self, text: str, language: str) -> tuple[str, ...]:
        """The ids of the topics `text` mentions, in taxonomy order: those with a keyword in
        the text, or, when none has, those with a weak (context) keyword; a match inside a
        longer match of another topic does not count (`keywords.settle`). @handles are not
        read ("@shop" is no shop, "@happyapp" no app)."""
        patterns = self._patterns  # type: ignore[attr-defined]
        text = _HANDLE.sub(" ", text)
        lang = "zh" if language == "zh" else "en"
        strong = spans(text, patterns[(lang, False)])
        weak = spans(text, patterns[(lang, True)])
        ignored = spans(text, {"": self._ignore[lang]})  # type: ignore[attr-defined]
        found = settle(strong, [*weak, *ignored]) or settle(weak, [*strong, *ignored])
        return tuple(t.id for t in self.topics if t.id in found)

    def canonical(self, name: str | None) -> str | None:
        """The topic id a source's own topic name stands for (id or label), or None."""
        if not name:
            return None
        folded = name.strip().lower()
        for topic in self.topics:
            if folded in (topic.id, topic.label.lower()):
                return topic.id
        return None

    @classmethod
    def from_toml(cls, text: str, *, source: str) -> Taxonomy:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise TaxonomyError(f"{source}: not valid TOML: {exc}") from None
        return cls.from_mapping(data, source=source)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str) -> Taxonomy:
        raw = data.get("topics")
        if not isinstance(raw, Mapping) or not raw:
            raise TaxonomyError(f"{source}: expected a [topics.ID] table per topic; found none")
        problems: list[str] = []
        topics = [_topic(topic_id, spec, problems) for topic_id, spec in raw.items()]
        ignore = data.get("ignore", {})
        if not isinstance(ignore, Mapping) or set(ignore) - {"en", "zh"}:
            problems.append("ignore must be a table with en and/or zh lists")
            ignore = {}
        ignored = {lang: _words("ignore", lang, ignore.get(lang, []), problems)
                   for lang in ("en", "zh")}  # fmt: skip
        if problems:
            raise TaxonomyError(f"{source}: " + "; ".join(problems))
        return cls(tuple(topics), source=source, ignore_english=ignored["en"],
                   ignore_chinese=ignored["zh"])  # fmt: skip

    @classmethod
    def from_file(cls, path: Path) -> Taxonomy:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TaxonomyError(f"cannot read the topic taxonomy {str(path)!r}: {exc}") from None
        return cls.from_toml(text, source=str(path))


def _topic(topic_id: str, spec: Any, problems: list[str]) -> Topic:
    if not _TOPIC_ID.match(topic_id):
        problems.append(f"topic id {topic_id!r} must be lower case letters, digits and _")
    if not isinstance(spec, Mapping):
        problems.append(f"topics.{topic_id} must be a table with label, en and zh")
        return Topic(topic_id, topic_id, (), ())
    unknown = sorted(set(spec) - {"label", "en", "zh", "en_weak", "zh_weak"})
    if unknown:
        problems.append(
            f"topics.{topic_id} has unknown keys {unknown}; use label, en, zh, en_weak, zh_weak"
        )
    label = spec.get("label", topic_id)
    if not isinstance(label, str) or not label.strip():
        problems.append(f"topics.{topic_id}.label must be a non-empty string")
        label = topic_id
    languages = ("en", "zh", "en_weak", "zh_weak")
    words = {lang: _words(topic_id, lang, spec.get(lang, []), problems) for lang in languages}
    if not words["en"] and not words["zh"]:
        problems.append(f"topics.{topic_id} has no keywords; give en and/or zh lists")
    return Topic(topic_id, label, words["en"], words["zh"], words["en_weak"], words["zh_weak"])


def _words(topic_id: str, lang: str, value: Any, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
        where = "ignore" if topic_id == "ignore" else f"topics.{topic_id}"
        problems.append(f"{where}.{lang} must be a list of non-empty strings")
        return ()
    return tuple(w.strip() for w in value)


@cache
def taxonomy_for(path: Path | None) -> Taxonomy:
    """The taxonomy in `path` (the setting `CDP_FEEDBACK_TOPICS`), or the built-in one."""
    return default_taxonomy() if path is None else Taxonomy.from_file(path)


@cache
def default_taxonomy() -> Taxonomy:
    """The taxonomy shipped with the package (`cdp/feedback/data/taxonomy.toml`)."""
    text = files("cdp.feedback").joinpath(DEFAULT_TAXONOMY_FILE).read_text(encoding="utf-8")
    return Taxonomy.from_toml(text, source="built-in taxonomy")
