"""What a mapping feeds identity, composed where both are known (ingest may not import
identity): the mapped person fields and identifiers that no comparison, blocking rule or
identifier rule of the active model uses. They are still stored with each record (and shown
in the golden record); they just do not help to tell people apart."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

import identity
from cdp.db import unit_of_work
from ingest import MappingSpec

__all__ = ["unmatched_fields", "unmatched_note"]


def unmatched_fields(spec: MappingSpec, usage: identity.ModelUsage) -> list[str]:
    """The mapping's `person.*` and `identifiers.*` targets the model does not use, in the
    order the mapping names them (fields, then defaults and constants)."""
    targets = [*spec.fields, *spec.defaults, *spec.constants]
    used = {"person": usage.attributes, "identifiers": usage.identifier_kinds}
    unused = []
    for target in dict.fromkeys(targets):
        group, _, rest = target.partition(".")
        if group in used and rest not in used[group]:
            unused.append(target)
    return unused


def unmatched_note(spec: MappingSpec, factory: sessionmaker[Session]) -> str | None:
    """One line naming the unused fields, or None when every mapped one is used."""
    with unit_of_work(factory) as session:
        usage = identity.model_usage(identity.current_model(session, stored=0))
    unused = unmatched_fields(spec, usage)
    if not unused:
        return None
    return (
        f"mapping {spec.path}: no identity comparison uses {', '.join(unused)} "
        "(stored with each record, not matched on)"
    )
