"""Chinese-locale people in the synthetic world: names in characters and in pinyin, mainland
mobiles as people write them, addresses in Chinese, with the ground truth kept; and the demo
world with them still ingests and resolves cleanly."""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from rapidfuzz import fuzz
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import identity
from cdp import models
from cdp.db import unit_of_work
from cdp.normalize import normalize_phone_in, phone_region
from cdp.synthetic import CHINESE, World, write_world
from cdp.synthetic._china import chinese_family
from ingest import ingest_world
from tests.synthetic.conftest import Generated

HAN = re.compile(r"^[\u4e00-\u9fff]+$")


def test_a_share_of_the_world_is_chinese_locale_and_the_share_is_an_option() -> None:
    def share(**kw: float) -> float:
        people = list(World(people=6000, seed=3, **kw).people())
        return sum(p.culture == CHINESE for p in people) / len(people)

    assert 0.10 <= share() <= 0.14
    assert 0.27 <= share(chinese_share=0.3) <= 0.33
    assert share(chinese_share=0.0) == 0.0


@pytest.mark.parametrize("bad", [-0.1, 1.0, 2])
def test_a_share_outside_0_to_1_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="chinese_share"):
        World(people=10, chinese_share=bad)


def test_chinese_people_are_written_in_characters_family_name_first(generated: Generated) -> None:
    people = [p for h in generated.households for p in h.people if p.culture == CHINESE]

    assert len(people) > 200
    for person in people:
        assert HAN.match(person.given_name), person
        assert HAN.match(person.family_name), person
        assert person.full_name() == person.family_name + person.given_name
        assert person.latin_family is not None
        assert person.latin_family.isascii()
        assert person.latin_given is not None
        assert person.latin_given.replace("-", "").replace(" ", "").isalpha()
        address = person.addresses[-1]
        assert address.country == "CN"
        assert address.city.endswith("市")
        assert address.region.endswith(("省", "市"))
        assert re.match(r"^.+区.+路\d+号$|^.+区.+大道\d+号$", address.line1), address
        assert re.match(r"^\d{6}$", address.postcode)
        assert person.mobile is None or re.match(r"^1\d{10}$", person.mobile)
        assert "store.pos" not in person.channels


def test_compound_family_names_are_drawn() -> None:
    rng = random.Random(5)
    drawn = Counter(chinese_family(rng)[0] for _ in range(50_000))

    compound = {name for name in drawn if len(name) == 2}
    assert {"欧阳", "司徒"} <= compound
    assert drawn["王"] > drawn["欧阳"] * 20


def test_the_same_person_is_seen_in_characters_and_in_pinyin_with_the_truth(
    generated: Generated,
) -> None:
    forms: dict[str, set[str]] = defaultdict(set)
    chinese = {
        p.person_id: p for h in generated.households for p in h.people if p.culture == CHINESE
    }
    for household in generated.households:
        for record in household.records:
            person = chinese.get(record.person_id)
            if person is None:
                continue
            written = [record.attributes.get(k) for k in ("full_name", "given_name", "family_name")]
            for name in filter(None, written):
                if HAN.match(name.replace(" ", "")):
                    forms[record.person_id].add("characters")
                    assert person.given_name in name or person.family_name in name
                else:
                    forms[record.person_id].add("pinyin")
                    latin = person.latin_names()  # as typed, maybe with a typo
                    assert max(fuzz.partial_ratio(part, name) for part in latin) >= 75, name

    both = [pid for pid, seen in forms.items() if seen == {"characters", "pinyin"}]
    assert len(both) > 20
    full_names = [
        r.attributes["full_name"]
        for h in generated.households
        for r in h.records
        if r.person_id in chinese and "full_name" in r.attributes
    ]
    latin_full = {n for n in full_names if n.isascii()}
    given_first = {
        n for n in latin_full if n.startswith(tuple(p.latin_names()[0] for p in chinese.values()))
    }
    assert given_first  # `Wei Zhang`
    assert latin_full - given_first  # `Zhang Wei`


def test_chinese_phones_are_written_as_people_do_and_read_as_china_mobiles(
    generated: Generated,
) -> None:
    chinese = {p.person_id for h in generated.households for p in h.people if p.culture == CHINESE}
    shapes: Counter[str] = Counter()
    read: Counter[bool] = Counter()
    for household in generated.households:
        for record in household.records:
            if record.person_id not in chinese:
                continue
            attributes = record.attributes
            names = [attributes.get(k) for k in ("full_name", "given_name", "family_name")]
            region = phone_region((attributes.get("address") or {}).get("country"), names, "US")
            for kind, raw in record.identifiers:
                if kind != "phone" or normalize_phone_in(raw, "CN", "US") is None:
                    continue  # junk (`n/a`, `0000000000`) in any reading
                shapes[re.sub(r"\d", "9", raw)] += 1
                value = normalize_phone_in(raw, region, "US")
                read[bool(value and value.startswith("+861") and len(value) == 14)] += 1

    for shape in ("999 9999 9999", "+99 999-9999-9999", "99999999999", "+9999999999999"):
        assert shapes[shape] > 0, shapes
    # A bare national number on a record with no name, address or country says nothing about
    # its country; the generator writes very few (a web sign-up that left its name blank).
    assert read[False] <= 0.01 * sum(read.values()), read


def test_the_demo_world_with_chinese_people_ingests_and_resolves_cleanly(
    tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    summary = write_world(tmp_path / "world", people=400, seed=7)
    world = World(people=400, seed=7)
    chinese = {p.person_id: p for p in world.people() if p.culture == CHINESE}
    in_characters = {
        (r.adapter, r.external_id)
        for r in world.records()
        if r.person_id in chinese
        and any(HAN.match(str(r.attributes.get(k, "-"))) for k in ("full_name", "given_name"))
    }

    summaries = ingest_world(session_factory, summary.out_dir)
    with unit_of_work(session_factory) as session:
        identity.resolve(session)

    assert sum(s.quarantined for s in summaries) == 0
    assert sum(s.stored for s in summaries) == summary.records
    assert len(chinese) > 30
    assert len(in_characters) > 30
    with unit_of_work(session_factory) as session:
        unresolved = session.scalar(
            select(func.count())
            .select_from(models.SourceRecord)
            .where(models.SourceRecord.profile_id.is_(None))
        )
        rows = session.execute(
            select(models.Source.adapter, models.SourceRecord.external_id, models.Profile)
            .join(models.Source, models.Source.id == models.SourceRecord.source_id)
            .join(models.Profile, models.Profile.id == models.SourceRecord.profile_id)
        ).all()
        phones = set(
            session.scalars(
                select(models.Identifier.value).where(models.Identifier.kind == "phone")
            )
        )
    assert unresolved == 0
    cn_mobiles = {f"+86{p.mobile}" for p in chinese.values() if p.mobile}
    assert len(cn_mobiles & phones) > 10
    assert not {phone for phone in phones if phone.startswith("+11")}  # no +1 reading of them
    # A profile holding a name written in characters shows it in characters, not in pinyin.
    shown = {profile.given_name for a, e, profile in rows if (a, e) in in_characters}
    assert shown
    assert all(name is not None and HAN.match(name) for name in shown), shown
