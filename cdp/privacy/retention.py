"""Retention: delete raw events, blank raw payloads and delete quarantined records after a
configured number of days, per channel (`CDP_RETENTION`, docs/privacy.md).

    report = apply_retention(session, rules, now=utcnow())   # the caller commits (or not: dry run)

Rules are `kind=days` or `channel.kind=days` (a channel's rule wins over the general one):

- `events`: event records (`source_records.kind = 'event'`) that happened more than N days
  ago are deleted with everything hanging off them (identifiers, event rows, links);
- `payloads`: the raw payload of records received more than N days ago is replaced by `{}`
  (the record, its attributes, identifiers and facts stay, so resolution still works);
- `quarantine`: quarantined records older than N days are deleted.

It never removes what a golden record still needs: an event record that states person
attributes (survivorship reads them) is kept, and so is a profile's last record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Text, and_, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from cdp import models
from cdp.privacy._config import RETENTION_KINDS
from cdp.privacy.tables import child_rows, linked_tables

__all__ = ["RetentionReport", "RetentionRule", "apply_retention", "rules_from"]

_CHUNK = 500


@dataclass(frozen=True)
class RetentionRule:
    kind: str
    days: int
    channel: str | None = None  # None: every channel without a rule of its own

    @property
    def name(self) -> str:
        return self.kind if self.channel is None else f"{self.channel}.{self.kind}"


@dataclass
class RetentionReport:
    """What a run removed (or, dry, would remove), per rule, and the profiles it touched."""

    removed: dict[str, int] = field(default_factory=dict)
    kept_for_golden_record: int = 0
    touched_profiles: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, object]:
        return {
            "removed": dict(sorted(self.removed.items())),
            "kept_for_golden_record": self.kept_for_golden_record,
            "touched_profiles": len(self.touched_profiles),
        }


def rules_from(configured: Iterable[tuple[str, int]]) -> list[RetentionRule]:
    rules: list[RetentionRule] = []
    for name, days in configured:
        channel, _, kind = name.rpartition(".")
        if kind not in RETENTION_KINDS:
            raise ValueError(f"retention rule {name!r}: unknown kind {kind!r}")
        rules.append(RetentionRule(kind, days, channel or None))
    return rules


def _channel_condition(
    channel_column: object, rule: RetentionRule, rules: Sequence[RetentionRule]
) -> object:
    """The rows a rule covers: its channel's, or (a general rule) those of every channel with
    no rule of its own for the same kind."""
    column = channel_column
    if rule.channel is not None:
        return column == rule.channel
    own = [r.channel for r in rules if r.kind == rule.kind and r.channel is not None]
    return column.not_in(own) if own else True  # type: ignore[attr-defined]


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _delete_records(session: Session, record_ids: Sequence[int]) -> None:
    """Delete records with every row that refers to them (found from the metadata)."""
    records = models.Base.metadata.tables["source_records"]
    links = [link for link in linked_tables() if link.record_columns]
    for part in _chunks(record_ids):
        for link in links:
            condition = or_(*(column.in_(part) for column in link.record_columns))
            for child, child_condition in child_rows(link.table, condition):
                session.execute(delete(child).where(child_condition))
            session.execute(delete(link.table).where(condition))
        session.execute(delete(records).where(records.c.id.in_(part)))


def _expire_events(
    session: Session, rule: RetentionRule, rules: Sequence[RetentionRule], cutoff: datetime
) -> tuple[list[int], int, set[str]]:
    r, s = models.SourceRecord, models.Source
    rows = session.execute(
        select(r.id, r.profile_id)
        .join(s, s.id == r.source_id)
        .where(
            r.kind == "event",
            func.coalesce(r.occurred_at, r.received_at) < cutoff,
            cast(r.attributes, Text).in_(("{}", "null")),
            _channel_condition(s.channel, rule, rules),  # type: ignore[arg-type]
        )
        .order_by(r.id)
    ).all()
    by_profile: dict[str, list[int]] = defaultdict(list)
    for record_id, profile_id in rows:
        if profile_id is not None:
            by_profile[profile_id].append(record_id)
    totals: dict[str, int] = {}
    profiles = sorted(by_profile)
    for start in range(0, len(profiles), _CHUNK):
        part = profiles[start : start + _CHUNK]
        counted = session.execute(
            select(r.profile_id, func.count()).where(r.profile_id.in_(part)).group_by(r.profile_id)
        )
        totals.update({str(pid): int(n) for pid, n in counted})
    keep: set[int] = set()
    for profile_id, ids in by_profile.items():
        if totals.get(profile_id, 0) <= len(ids):
            keep.add(max(ids))  # the profile's last record stays
    doomed = [record_id for record_id, _ in rows if record_id not in keep]
    touched = {pid for rid, pid in rows if pid is not None and rid not in keep}
    return doomed, len(keep), touched


def apply_retention(
    session: Session, rules: Sequence[RetentionRule], *, now: datetime
) -> RetentionReport:
    """Apply every rule in the caller's unit of work (roll it back for a dry run)."""
    report = RetentionReport()
    for rule in rules:
        cutoff = now - timedelta(days=rule.days)
        if rule.kind == "events":
            doomed, kept, touched = _expire_events(session, rule, rules, cutoff)
            _delete_records(session, doomed)
            report.removed[rule.name] = len(doomed)
            report.kept_for_golden_record += kept
            report.touched_profiles |= touched
        elif rule.kind == "payloads":
            r, s = models.SourceRecord, models.Source
            ids = (
                select(r.id)
                .join(s, s.id == r.source_id)
                .where(
                    r.received_at < cutoff,
                    cast(r.payload, Text).not_in(("{}",)),
                    _channel_condition(s.channel, rule, rules),  # type: ignore[arg-type]
                )
            )
            result = session.execute(
                update(r)
                .where(r.id.in_(ids.scalar_subquery()))
                .values(payload={})
                .execution_options(synchronize_session=False)
            )
            report.removed[rule.name] = int(getattr(result, "rowcount", 0) or 0)
        else:
            q, s = models.Quarantine, models.Source
            channel = select(s.channel).where(s.id == q.source_id).scalar_subquery()
            result = session.execute(
                delete(q)
                .where(
                    q.created_at < cutoff,
                    and_(_channel_condition(channel, rule, rules)),  # type: ignore[arg-type]
                )
                .execution_options(synchronize_session=False)
            )
            report.removed[rule.name] = int(getattr(result, "rowcount", 0) or 0)
    return report
