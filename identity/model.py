"""The matching model as data: comparisons with m/u, blocking rules, identifier rules, vetoes,
thresholds and survivorship; it round-trips to JSON with a version, and loading validates every
part and reports all problems at once (`InvalidInputError.problems`)."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from identity._errors import InvalidInputError
from identity.comparisons import (
    LEVEL_KINDS,
    TRANSFORMS,
    Comparison,
    ComparisonLevel,
)
from identity.records import DERIVED_COLUMNS, FEATURES
from identity.survivorship import LEGACY_KEYS, STRATEGIES, UNITS

__all__ = [
    "FORMAT_VERSION",
    "SURVIVORSHIP_STRATEGIES",
    "BlockingRule",
    "IdentifierRule",
    "MatchModel",
    "Veto",
    "model_from_json",
]

FORMAT_VERSION = 1
SURVIVORSHIP_STRATEGIES = STRATEGIES
SURVIVORSHIP_KEYS = frozenset(UNITS) | LEGACY_KEYS
BLOCK_TRANSFORMS = (*TRANSFORMS, "soundex")
COLUMNS = (*FEATURES, *DERIVED_COLUMNS)


@dataclass(frozen=True)
class BlockingRule:
    """Records whose key for this rule is equal become candidate pairs (an AND of columns).

    `block_on("family_name", "postcode")` is `BlockingRule("family_postcode", ("family_name",
    "postcode"))`; a transform per column (e.g. `soundex`, `initial`) coarsens the key.
    """

    name: str
    columns: tuple[str, ...]
    transforms: tuple[str | None, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "columns": list(self.columns),
            "transforms": list(self.transforms),
        }


@dataclass(frozen=True)
class IdentifierRule:
    """A deterministic link on a shared identifier of `kind`.

    Attributes:
        priority: lower links first (and wins when two links conflict).
        one_per_person: a person has at most one value (two values never share a profile).
        max_people: a value seen on more distinct people than this stops being a merge key.
        guarded: the link must survive the vetoes (a shared family email with different
            given names is scored instead of linked).
    """

    kind: str
    priority: int
    one_per_person: bool = False
    max_people: int = 5
    guarded: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Veto:
    """Evidence that keeps two records apart whatever else agrees (e.g. different given names)."""

    comparison: str
    levels: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"comparison": self.comparison, "levels": list(self.levels)}


@dataclass(frozen=True)
class MatchModel:
    """Everything the matcher needs, versioned (`version` is a hash of the content)."""

    comparisons: tuple[Comparison, ...]
    blocking_rules: tuple[BlockingRule, ...]
    identifier_rules: tuple[IdentifierRule, ...]
    vetoes: tuple[Veto, ...] = ()
    match_probability: float = 0.9
    review_probability: float = 0.5
    prior: float = 1e-4
    max_block_size: int = 200
    names_alone_suffice: bool = True
    household_evidence_suffices: bool = False
    tf_minimum: float = 1e-4
    tf_tables: dict[str, dict[str, float]] = field(default_factory=dict, compare=False)
    survivorship: dict[str, str] = field(default_factory=dict)
    source_priority: tuple[str, ...] = ()
    trained: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def match_weight(self) -> float:
        return math.log2(self.match_probability / (1 - self.match_probability))

    @property
    def review_weight(self) -> float:
        return math.log2(self.review_probability / (1 - self.review_probability))

    @cached_property
    def version(self) -> str:
        """A hash of the parameters. The prior is left out: it is rescaled to the number of
        stored records each time the model is used, which does not make it another model."""
        data = self.to_dict(with_version=False)
        data.pop("prior")
        data["tf_tables"] = {k: len(v) for k, v in self.tf_tables.items()}
        payload = json.dumps(data, sort_keys=True)
        return "m" + hashlib.sha256(payload.encode()).hexdigest()[:15]

    def comparison(self, name: str) -> Comparison:
        for comparison in self.comparisons:
            if comparison.output_name == name:
                return comparison
        raise KeyError(name)

    def rule_for(self, kind: str) -> IdentifierRule | None:
        return next((r for r in self.identifier_rules if r.kind == kind), None)

    def replace(self, **changes: Any) -> MatchModel:
        out = replace(self, **changes)
        if set(changes) <= {"prior"} and "version" in self.__dict__:
            # The version leaves the prior out: a rescaled copy (one per incremental call)
            # keeps it rather than hashing every parameter again.
            out.__dict__["version"] = self.__dict__["version"]
        return out

    def to_dict(self, *, with_version: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "comparisons": [c.to_dict() for c in self.comparisons],
            "blocking_rules": [r.to_dict() for r in self.blocking_rules],
            "identifier_rules": [r.to_dict() for r in self.identifier_rules],
            "vetoes": [v.to_dict() for v in self.vetoes],
            "match_probability": self.match_probability,
            "review_probability": self.review_probability,
            "prior": self.prior,
            "max_block_size": self.max_block_size,
            "names_alone_suffice": self.names_alone_suffice,
            "household_evidence_suffices": self.household_evidence_suffices,
            "tf_minimum": self.tf_minimum,
            "tf_tables": self.tf_tables,
            "survivorship": self.survivorship,
            "source_priority": list(self.source_priority),
            "trained": self.trained,
        }
        if with_version:
            data["version"] = self.version
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


def model_from_json(text: str | dict[str, Any]) -> MatchModel:
    """Load and validate a model; raise one `InvalidInputError` listing every problem."""
    try:
        data = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"model is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInputError(f"model must be a JSON object, got {type(data).__name__}")
    problems: list[str] = []
    if data.get("format_version") != FORMAT_VERSION:
        problems.append(
            f"format_version is {data.get('format_version')!r}; expected {FORMAT_VERSION}"
        )
    comparisons = tuple(
        _load_comparison(c, i, problems) for i, c in enumerate(_list(data, "comparisons", problems))
    )
    rules = tuple(
        _load_block_rule(r, i, problems)
        for i, r in enumerate(_list(data, "blocking_rules", problems))
    )
    id_rules = tuple(
        _load_id_rule(r, i, problems)
        for i, r in enumerate(_list(data, "identifier_rules", problems))
    )
    vetoes = tuple(
        _load_veto(v, i, comparisons, problems)
        for i, v in enumerate(_list(data, "vetoes", problems))
    )
    probs = {}
    for key in ("match_probability", "review_probability", "prior", "tf_minimum"):
        value = data.get(key)
        if not isinstance(value, int | float) or not 0 < value < 1:
            problems.append(f"{key} is {value!r}; expected a number strictly between 0 and 1")
            value = 0.5
        probs[key] = float(value)
    if probs["review_probability"] > probs["match_probability"]:
        problems.append(
            f"review_probability {probs['review_probability']} is above match_probability "
            f"{probs['match_probability']}; the review band must lie below the match threshold"
        )
    for attr, strategy in dict(data.get("survivorship") or {}).items():
        if attr not in SURVIVORSHIP_KEYS:
            problems.append(
                f"survivorship[{attr!r}]: unknown unit; expected one of {', '.join(UNITS)}"
            )
        if strategy not in SURVIVORSHIP_STRATEGIES:
            problems.append(
                f"survivorship[{attr!r}] is {strategy!r}; expected one of {SURVIVORSHIP_STRATEGIES}"
            )
    max_block = data.get("max_block_size")
    if not isinstance(max_block, int) or max_block < 2:
        problems.append(f"max_block_size is {max_block!r}; expected an integer >= 2")
    if problems:
        raise InvalidInputError(problems)
    model = MatchModel(
        comparisons=comparisons,
        blocking_rules=rules,
        identifier_rules=id_rules,
        vetoes=vetoes,
        max_block_size=int(max_block),  # type: ignore[arg-type]
        names_alone_suffice=bool(data.get("names_alone_suffice", True)),
        household_evidence_suffices=bool(data.get("household_evidence_suffices", False)),
        tf_tables={k: dict(v) for k, v in dict(data.get("tf_tables") or {}).items()},
        survivorship=dict(data.get("survivorship") or {}),
        source_priority=tuple(data.get("source_priority") or ()),
        trained=dict(data.get("trained") or {}),
        **probs,
    )
    if "version" in data and data["version"] != model.version:
        raise InvalidInputError(
            f"version {data['version']!r} does not match the content (hash {model.version!r}); "
            "the file was edited by hand: remove 'version' to accept the edit"
        )
    return model


def _list(data: dict[str, Any], key: str, problems: list[str]) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        problems.append(f"{key} is {value!r}; expected a list")
        return []
    return value


def _load_comparison(data: Any, i: int, problems: list[str]) -> Comparison:
    where = f"comparisons[{i}]"
    if not isinstance(data, dict):
        problems.append(f"{where} is {data!r}; expected an object")
        return Comparison("?", ())
    field_name = data.get("field")
    if field_name not in COLUMNS:
        problems.append(f"{where}.field is {field_name!r}; expected one of {COLUMNS}")
    levels = []
    for j, raw in enumerate(data.get("levels") or []):
        level = _load_level(raw, f"{where}.levels[{j}]", problems)
        if level is not None:
            levels.append(level)
    if len(levels) < 2:
        problems.append(f"{where} has {len(levels)} valid levels; expected at least 2")
    elif levels[-1].kind != "else":
        problems.append(f"{where}: the last level is {levels[-1].kind!r}; it must be 'else'")
    if levels and levels[0].kind != "null":
        problems.append(f"{where}: the first level is {levels[0].kind!r}; it must be 'null'")
    return Comparison(
        str(field_name), tuple(levels), str(data.get("description", "")), str(data.get("name", ""))
    )


def _load_level(raw: Any, where: str, problems: list[str]) -> ComparisonLevel | None:
    if not isinstance(raw, dict) or "label" not in raw or "kind" not in raw:
        problems.append(f"{where} is {raw!r}; expected an object with 'label' and 'kind'")
        return None
    if raw["kind"] not in LEVEL_KINDS:
        problems.append(f"{where}.kind is {raw['kind']!r}; expected one of {LEVEL_KINDS}")
    for key in ("column", "other"):
        if raw.get(key) is not None and raw[key] not in COLUMNS:
            problems.append(f"{where}.{key} is {raw[key]!r}; expected one of {COLUMNS}")
    if raw.get("transform") is not None and raw["transform"] not in TRANSFORMS:
        problems.append(
            f"{where}.transform is {raw['transform']!r}; expected one of {tuple(TRANSFORMS)}"
        )
    for key in ("m", "u"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, int | float) or not 0 <= value <= 1):
            problems.append(f"{where}.{key} is {value!r}; expected a probability in [0, 1]")
    known = set(ComparisonLevel.__dataclass_fields__)
    unknown = set(raw) - known
    if unknown:
        problems.append(
            f"{where} has unknown keys {sorted(unknown)}; expected some of {sorted(known)}"
        )
        return None
    return ComparisonLevel(**raw)


def _load_block_rule(raw: Any, i: int, problems: list[str]) -> BlockingRule:
    where = f"blocking_rules[{i}]"
    if not isinstance(raw, dict) or not raw.get("name") or not raw.get("columns"):
        problems.append(f"{where} is {raw!r}; expected an object with 'name' and 'columns'")
        return BlockingRule("?", ())
    for column in raw["columns"]:
        if column not in COLUMNS:
            problems.append(f"{where}.columns has {column!r}; expected some of {COLUMNS}")
    transforms = tuple(raw.get("transforms") or ())
    for transform in transforms:
        if transform is not None and transform not in BLOCK_TRANSFORMS:
            problems.append(
                f"{where}.transforms has {transform!r}; expected some of {BLOCK_TRANSFORMS}"
            )
    return BlockingRule(str(raw["name"]), tuple(raw["columns"]), transforms)


def _load_id_rule(raw: Any, i: int, problems: list[str]) -> IdentifierRule:
    where = f"identifier_rules[{i}]"
    try:
        rule = IdentifierRule(**raw)
    except TypeError as exc:
        problems.append(f"{where} is {raw!r}: {exc}")
        return IdentifierRule("?", 0)
    if not isinstance(rule.max_people, int) or rule.max_people < 1:
        problems.append(f"{where}.max_people is {rule.max_people!r}; expected an integer >= 1")
    return rule


def _load_veto(raw: Any, i: int, comparisons: tuple[Comparison, ...], problems: list[str]) -> Veto:
    where = f"vetoes[{i}]"
    if not isinstance(raw, dict):
        problems.append(f"{where} is {raw!r}; expected an object")
        return Veto("?", ())
    veto = Veto(str(raw.get("comparison")), tuple(raw.get("levels") or ()))
    match = [c for c in comparisons if c.output_name == veto.comparison]
    if not match:
        problems.append(f"{where}.comparison is {veto.comparison!r}; no comparison has that name")
    else:
        labels = {level.label for level in match[0].levels}
        for label in veto.levels:
            if label not in labels:
                problems.append(
                    f"{where}.levels has {label!r}; {veto.comparison} has {sorted(labels)}"
                )
    return veto
