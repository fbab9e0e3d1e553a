"""Mapping files: a CSV or JSON Lines source with its own columns becomes a channel, no code.

A mapping (TOML or YAML) says which column is the key, which columns are which identifiers,
person attributes and fact fields, how timestamps are written and in which zone, and which
defaults and constants apply. Example (`examples/mappings/pos.toml`):

    channel = "store"
    kind = "order"               # event, order, feedback, consent, interaction or profile
    format = "csv"               # or "jsonl"
    key = "receipt_id"

    phone_region = "FR"          # phones without a country code (default: CDP_DEFAULT_REGION)

    [timestamp]                  # or constant = "2000-01-01T00:00:00Z", or source = "ingest"
    column = "sold_at"
    formats = ["%d/%m/%Y %H:%M"]
    utc_offset = "+01:00"        # or timezone = "Europe/Paris"; ignored if the value has one

    [fields]                     # target = column, or a transform (`ingest/transforms.py`)
    "identifiers.loyalty_id" = "loyalty_card"
    "person.full_name" = "customer_name"
    "person.address.line1" = { join = ["street_number", "street"], sep = " " }
    "person.birth_date" = { column = "dob", format = "%d%m%Y" }
    "order.total" = "total"

    [defaults]                   # target = value used when the column is blank
    "order.currency" = "EUR"

    [constants]                  # target = value, whatever the row says
    "order.sales_channel" = "pos"

Every problem in a mapping is reported at once, each naming the entry and what is valid. The
channel is a built-in one (`ingest.CHANNELS`, `crm` for CRM and other exports among them) or
one declared in `cdp.toml` (`channels = [...]`). A file without a column the mapping names
fails before any row is read (`MappingAdapter.check_files`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml

from cdp.feedback.kinds import FEEDBACK_KINDS
from cdp.normalize import IDENTIFIER_KINDS
from ingest.adapter import CHANNELS, Adapter, FileFormat, RawRecord
from ingest.errors import AdapterConfigError, SkippableRecordError
from ingest.fields import currency_code, get_path, to_minor_units
from ingest.mapping_files import missing_columns
from ingest.mapping_rules import (
    check_facts,
    check_values,
    hint,
    parse_fields,
    phone_region,
    required_targets,
    settings_table,
    unknown_settings,
)
from ingest.observation import (
    RECORD_KINDS,
    Address,
    ConsentFact,
    EventFact,
    Fact,
    FeedbackFact,
    Identifier,
    InteractionFact,
    Observation,
    OrderFact,
    Person,
)
from ingest.transforms import (
    FieldSpec,
    TimestampSpec,
    ingest_time,
    parse_timestamp_spec,
)

__all__ = ["FACT_TARGETS", "MappingAdapter", "MappingSpec", "load_mapping", "parse_mapping"]

_PERSON = ("given_name", "family_name", "full_name", "email", "phone", "birth_date", "gender")
_ADDRESS = ("line1", "line2", "city", "region", "postcode", "country")
FACT_TARGETS: dict[str, tuple[str, ...]] = {
    "event": ("type", "name", "campaign_id"),
    "order": ("id", "total", "subtotal", "currency", "financial_status", "status", "sales_channel"),
    "feedback": ("kind", "text", "rating", "topic", "nps", "csat", "product_ref", "order_ref"),
    "consent": ("purpose", "status", "reason", "channel"),
    "interaction": ("type", "text", "url"),
}
TARGETS = frozenset(
    [f"identifiers.{kind}" for kind in IDENTIFIER_KINDS]
    + [f"person.{name}" for name in _PERSON]
    + [f"person.address.{name}" for name in _ADDRESS]
    + [f"{fact}.{name}" for fact, names in FACT_TARGETS.items() for name in names]
)


@dataclass(frozen=True)
class MappingSpec:
    """A validated mapping file."""

    path: str
    channel: str
    kind: str
    file_format: FileFormat
    key: str
    timestamp: TimestampSpec
    fields: Mapping[str, FieldSpec]
    defaults: Mapping[str, str]
    constants: Mapping[str, str]
    name: str
    phone_region: str | None = None
    #: targets every row must give (a row without one is quarantined, naming it)
    required: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the mapping reads, in the order it names them."""
        named = [self.key, *([self.timestamp.column] if self.timestamp.column else [])]
        named += [column for spec in self.fields.values() for column in spec.columns]
        return tuple(dict.fromkeys(named))


def load_mapping(path: Path, channels: Sequence[str] = ()) -> MappingSpec:
    """Read and validate a TOML or YAML mapping file (`channels`: those declared in
    `cdp.toml` besides the built-in ones)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AdapterConfigError(f"cannot read mapping file {str(path)!r}: {exc}") from exc
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise AdapterConfigError(f"mapping file {str(path)!r} does not parse: {exc}") from exc
    if not isinstance(data, dict):
        raise AdapterConfigError(f"mapping file {str(path)!r} must hold a table of settings")
    return parse_mapping(data, str(path), channels)


def parse_mapping(
    data: Mapping[str, Any], where: str = "<mapping>", channels: Sequence[str] = ()
) -> MappingSpec:
    problems: list[str] = []

    def choice(key: str, options: tuple[str, ...], default: str | None = None) -> str:
        value = data.get(key, default)
        if value not in options:
            problems.append(f"{key} = {value!r}: expected one of {', '.join(options)}")
            return options[0]
        return str(value)

    channel = choice("channel", (*CHANNELS, *channels))
    kind = choice("kind", RECORD_KINDS)
    file_format = choice("format", ("csv", "jsonl"), "csv")
    key = data.get("key")
    if not isinstance(key, str) or not key:
        problems.append(f"key = {key!r}: name the column holding each row's unique id")
    timestamp = parse_timestamp_spec(data.get("timestamp"), problems)
    fields = parse_fields(data, problems)
    tables = {name: settings_table(data, name, problems) for name in ("defaults", "constants")}
    named: dict[str, Mapping[str, Any]] = {"fields": fields, **tables}
    for name, given in named.items():
        for target in given:
            if target not in TARGETS:
                problems.append(
                    f"[{name}] {target!r}: unknown target; expected one of {hint(target, TARGETS)}"
                )
    check_facts(kind, named, problems)
    check_values(tables, problems)
    required = required_targets(data, named, problems)
    unknown_settings(data, problems)
    region = phone_region(data, problems)
    if problems:
        raise AdapterConfigError(f"mapping {where} is invalid: " + "; ".join(problems))
    return MappingSpec(
        path=where,
        channel=channel,
        kind=kind,
        file_format=file_format,  # type: ignore[arg-type]
        key=str(key),
        timestamp=timestamp,
        fields=fields,
        defaults=tables["defaults"],
        constants=tables["constants"],
        name=str(data.get("name") or f"mapping:{Path(where).stem}"),
        phone_region=region,
        required=required,
    )


class MappingAdapter(Adapter):
    """The adapter a mapping file defines (`name` is the mapping's name)."""

    name: ClassVar[str] = "mapping"
    channel: ClassVar[str] = "store"
    primary_key: ClassVar[str] = "key"
    phone_region: str | None
    """The mapping's `phone_region` (the source's in `cdp.toml` overrides it)."""

    def __init__(self, mapping: MappingSpec, **kwargs: Any) -> None:
        super().__init__({"mapping": mapping.path}, **kwargs)
        self.mapping = mapping
        # Instance attributes shadow the class declaration, so the runner sees this mapping's.
        self.name = mapping.name  # type: ignore[misc]
        self.channel = mapping.channel  # type: ignore[misc]
        self.primary_key = mapping.key  # type: ignore[misc]
        self.file_format = mapping.file_format  # type: ignore[misc]
        self.phone_region = mapping.phone_region
        self.started = ingest_time()

    def check_files(self) -> None:
        """Fail before reading a row when a file lacks a column the mapping names (a CSV
        header without it; JSON Lines of which no record in the first thousand has it)."""
        problems = [
            f"{path.name} has no column {', '.join(map(repr, missing))} (named by the mapping"
            f" {self.mapping.path}); its columns are {', '.join(map(repr, present))}"
            for path in self.files
            for missing, present in [missing_columns(path, self.file_format, self.mapping.columns)]
            if missing
        ]
        if problems:
            raise AdapterConfigError("; ".join(problems))

    def fetch(self, since: str | None) -> Iterator[RawRecord]:
        self.check_files()
        yield from super().fetch(since)

    def to_observation(self, record: Mapping[str, Any]) -> Observation:
        values = self._values(record)
        m = self.mapping
        external_id = _cell(record, m.key)
        if external_id is None:
            raise SkippableRecordError("the key column is blank", field=m.key)
        occurred_at = m.timestamp.read(record, _cell, self.started)
        identifiers = tuple(
            Identifier(target.split(".", 1)[1], value)
            for target, value in values.items()
            if target.startswith("identifiers.")
        )
        return Observation(
            external_id=external_id,
            kind=m.kind,  # type: ignore[arg-type]
            occurred_at=occurred_at,
            identifiers=identifiers,
            person=_person(values),
            facts=self._facts(values, external_id, occurred_at),
        )

    def _values(self, record: Mapping[str, Any]) -> dict[str, str]:
        m = self.mapping
        values: dict[str, str] = {}
        for target, spec in m.fields.items():
            # A CSV file without a column fails before it is read (`check_files`); JSON Lines
            # records are sparse, and a missing key is just a blank cell.
            cell = spec.read(record, _cell, target)
            if cell is not None:
                values[target] = cell
        for target in m.required:
            if target not in values:
                column = ", ".join(m.fields[target].columns)
                raise SkippableRecordError(
                    f"required by the mapping, and blank (column {column})", field=target
                )
        for target, value in m.defaults.items():
            values.setdefault(target, value)
        values.update(m.constants)
        return values

    def _facts(self, values: Mapping[str, str], external_id: str, at: Any) -> tuple[Fact, ...]:
        kind = self.mapping.kind
        get = values.get
        if kind == "order":
            currency = currency_code(get("order.currency"), "order.currency")
            subtotal = get("order.subtotal")
            return (
                OrderFact(
                    external_id=get("order.id") or external_id,
                    currency=currency,
                    total_minor=to_minor_units(get("order.total"), "order.total", currency),
                    subtotal_minor=None
                    if subtotal is None
                    else to_minor_units(subtotal, "order.subtotal", currency),
                    financial_status=get("order.financial_status"),
                    status=get("order.status"),
                    sales_channel=get("order.sales_channel"),
                    placed_at=at,
                ),
            )
        if kind == "event":
            return (
                EventFact(
                    type=values["event.type"],
                    name=get("event.name"),
                    campaign_id=get("event.campaign_id"),
                ),
            )
        if kind == "interaction":
            return (
                InteractionFact(
                    type=values["interaction.type"],
                    text=get("interaction.text"),
                    url=get("interaction.url"),
                ),
            )
        if kind == "feedback":
            feedback_kind = values["feedback.kind"]
            if feedback_kind not in FEEDBACK_KINDS:
                raise SkippableRecordError(
                    f"expected one of {', '.join(FEEDBACK_KINDS)}",
                    field="feedback.kind",
                    value=feedback_kind,
                )
            return (
                FeedbackFact(
                    kind=feedback_kind,
                    text=get("feedback.text"),
                    rating=_score(get("feedback.rating"), "feedback.rating", 1, 5),
                    topic=get("feedback.topic"),
                    nps=_score(get("feedback.nps"), "feedback.nps", 0, 10),
                    csat=_score(get("feedback.csat"), "feedback.csat", 1, 5),
                    product_ref=get("feedback.product_ref"),
                    order_ref=get("feedback.order_ref"),
                ),
            )
        if kind == "consent":
            status = values["consent.status"].strip().lower()
            if status not in _CONSENT_STATUSES:
                raise SkippableRecordError(
                    "expected 'granted', 'denied' or 'revoked'",
                    field="consent.status",
                    value=status,
                )
            purpose, reason = values["consent.purpose"], get("consent.reason")
            channel = get("consent.channel")
            return (ConsentFact(purpose, _CONSENT_STATUSES[status], reason, channel),)
        return ()


_CONSENT_STATUSES: dict[str, Literal["granted", "denied", "revoked"]] = {
    "granted": "granted",
    "denied": "denied",
    "revoked": "revoked",
}


def _cell(record: Mapping[str, Any], column: str) -> str | None:
    """The cell's text; a dotted column (`customer.email`) reaches into JSON objects."""
    value = record.get(column) if column in record else get_path(record, column)
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _score(value: str | None, field: str, low: int, high: int) -> int | None:
    """A whole-number score in low..high; survey tools often export "9.0" for 9."""
    if value is None:
        return None
    number = value.removesuffix(".0")
    if not number.isdigit() or not low <= int(number) <= high:
        raise SkippableRecordError(
            f"expected a whole number from {low} to {high}", field=field, value=value
        )
    return int(number)


def _person(values: Mapping[str, str]) -> Person:
    address = Address(**{n: values.get(f"person.address.{n}") for n in _ADDRESS})
    return Person(
        **{n: values.get(f"person.{n}") for n in _PERSON},
        address=address if address.to_json() else None,
    )
