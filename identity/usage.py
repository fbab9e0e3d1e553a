"""Which attributes of the ingest contract and which identifier kinds a model uses: what a
data engineer's mapping feeds the matcher, and what it only stores (`cdp ingest --mapping`
reports the mapped fields no comparison uses)."""

from __future__ import annotations

from dataclasses import dataclass

from identity.model import MatchModel

__all__ = ["FEATURE_ATTRIBUTES", "ModelUsage", "model_usage"]

# Each feature and the `source_records.attributes` paths it is read from (`records.py`).
FEATURE_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "given_name": ("given_name", "full_name"),
    "family_name": ("family_name", "full_name"),
    "birth_date": ("birth_date",),
    "email": ("email",),
    "phone": ("phone",),
    "address": ("address.line1",),
    "postcode": ("address.postcode",),
    "city": ("address.city",),
}
# Columns blocking derives from features (`records.DERIVED_COLUMNS`).
_DERIVED = {"given_canonical": ("given_name",), "name_tokens": ("given_name", "family_name")}


@dataclass(frozen=True)
class ModelUsage:
    attributes: frozenset[str]
    """Attribute paths a comparison or blocking rule reads (`address.line1`, `full_name`)."""
    identifier_kinds: frozenset[str]
    """Identifier kinds a rule links on, or that feed a compared feature (email, phone)."""


def model_usage(model: MatchModel) -> ModelUsage:
    features = {comparison.field for comparison in model.comparisons}
    for rule in model.blocking_rules:
        for column in rule.columns:
            features.update(_DERIVED.get(column, (column,)))
    attributes = {path for f in features for path in FEATURE_ATTRIBUTES.get(f, ())}
    kinds = {rule.kind for rule in model.identifier_rules}
    kinds.update(f for f in features if f in ("email", "phone"))
    return ModelUsage(frozenset(attributes), frozenset(kinds))
