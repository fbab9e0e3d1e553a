from __future__ import annotations

import random

from identity.blocking import candidate_pairs
from identity.defaults import default_model
from identity.model import MatchModel
from identity.records import PersonRecord, RecordTable
from identity.scoring import level_weight
from identity.training import TrainingReport, estimate_u, train

SYLLABLES = ["ka", "ri", "mo", "len", "sa", "tor", "vi", "na", "bel", "du", "ro", "mi"]
GIVEN = [a + b for a in SYLLABLES for b in SYLLABLES[:8]]
FAMILY = [a + b + "s" for a in SYLLABLES for b in SYLLABLES]


def _population(people: int, seed: int = 1) -> list[PersonRecord]:
    rng = random.Random(seed)
    records = []
    for p in range(people):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        dob = f"19{rng.randint(40, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        postcode = f"{rng.randint(10000, 10099)}"
        for copy in range(3):
            typo = copy == 2 and rng.random() < 0.3
            records.append(
                PersonRecord(
                    len(records),
                    f"r{len(records)}",
                    given_name=given[:-1] + "x" if typo else given,
                    family_name=family,
                    birth_date=dob if rng.random() < 0.9 else None,
                    postcode=postcode,
                    email=f"{given}.{family}{p}@mail.com" if rng.random() < 0.5 else None,
                )
            )
    return records


def test_u_from_random_pairs_reflects_how_often_strangers_agree() -> None:
    table = RecordTable(_population(400))
    model = estimate_u(default_model(), table, pairs=50_000)
    given = model.comparison("given_name")
    exact_u = next(level.u for level in given.levels if level.label == "exact given name")
    assert exact_u is not None
    assert 0.005 < exact_u < 0.02  # 96 names drawn uniformly: about 1/96 agree by chance


def _trained() -> tuple[MatchModel, TrainingReport]:
    table = RecordTable(_population(400))
    base = default_model()
    candidates, _ = candidate_pairs(table, base.blocking_rules, base.max_block_size)
    return train(base, table, candidates)


def test_em_learns_that_matches_agree_without_labels() -> None:
    model, report = _trained()
    birth = {level.label: level for level in model.comparison("birth_date").levels}
    assert level_weight(birth["exact birth date"]) > 5
    assert level_weight(birth["different birth dates"]) < 0
    assert report.iterations > 1
    assert 0 < model.prior < report.candidate_match_share
    assert model.trained["records"] == 1200
    assert "family_name" in model.tf_tables


def test_an_implied_level_is_neither_estimated_nor_weighed() -> None:
    model, _ = _trained()
    email = {level.label: level for level in model.comparison("email").levels}
    implied = email["emails alike, names the same (no evidence beyond the names)"]
    assert (implied.m, implied.u) == (None, None)
    assert level_weight(implied) == 0.0
    estimated = [level for level in email.values() if not level.is_neutral]
    assert abs(sum(level.m or 0 for level in estimated) - 1) < 1e-9
    assert abs(sum(level.u or 0 for level in estimated) - 1) < 1e-9


def _with_households(people: int, *, families: bool, seed: int = 3) -> list[PersonRecord]:
    """Each person twice (the second copy sometimes with a typo); with `families`, each
    person also has a relative at the same address: same family name, other given name and
    birth date."""
    rng = random.Random(seed)
    records: list[PersonRecord] = []

    def add(given: str, family: str, dob: str, street: str) -> None:
        records.append(
            PersonRecord(
                len(records),
                f"r{len(records)}",
                given_name=given,
                family_name=family,
                birth_date=dob,
                address=street,
                postcode=street[-5:],
            )
        )

    for p in range(people):
        family, street = rng.choice(FAMILY), f"{p} main st {10000 + p}"
        given = rng.choice(GIVEN)
        dob = f"19{rng.randint(40, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        add(given, family, dob, street)
        add(given if rng.random() < 0.9 else given[:-1] + "x", family, dob, street)
        if families:
            other = rng.choice([g for g in GIVEN if g[:2] != given[:2]])
            add(
                other,
                family,
                f"20{rng.randint(10, 20)}-1{rng.randint(0, 2)}-2{rng.randint(0, 8)}",
                street,
            )
    return records


def _trained_on(records: list[PersonRecord]) -> MatchModel:
    table = RecordTable(records)
    model = default_model()
    candidates, _ = candidate_pairs(table, model.blocking_rules, model.max_block_size)
    return train(model, table, candidates)[0]


def test_training_keeps_the_household_rule_when_the_data_holds_families() -> None:
    model = _trained_on(_with_households(300, families=True))
    test = model.trained["households"]
    assert test["observed"] > test["expected"]
    assert model.household_evidence_suffices is False


def test_training_lets_evidence_decide_alone_when_the_data_holds_no_families() -> None:
    model = _trained_on(_with_households(300, families=False))
    test = model.trained["households"]
    assert test["pairs"] >= 50
    assert test["observed"] <= test["expected"]
    assert model.household_evidence_suffices is True


def _weight(model: MatchModel, comparison: str, label: str) -> float:
    levels = {level.label: level for level in model.comparison(comparison).levels}
    return level_weight(levels[label])


def test_relatives_do_not_teach_em_that_a_person_s_birth_date_or_given_name_differs() -> None:
    # Every person has a relative at the same address with the same family name: a pair EM
    # would count as a match were relatives not a class of their own, and a different birth
    # date or given name would then weigh little.
    model = _trained_on(_with_households(300, families=True))
    assert _weight(model, "birth_date", "different birth dates") < -4
    assert _weight(model, "given_name", "different given names") < -4
    # Relatives are about a third of the candidate pairs; matches are not all of them.
    assert model.trained["candidate_match_share"] < 0.8


def test_strangers_blocked_on_one_birth_date_do_not_pass_for_matches() -> None:
    # Pairs blocked on a shared birth date agree on it by construction: EM must not take
    # the strangers among them for matches whose names all differ.
    records = _population(400)
    rng = random.Random(5)
    for i in range(400):
        # A stranger born on someone's birth date, sharing nothing else.
        twin = records[rng.randrange(len(records))]
        records.append(
            PersonRecord(
                len(records),
                f"s{i}",
                given_name=rng.choice(GIVEN) + "q",
                family_name=rng.choice(FAMILY) + "q",
                birth_date=twin.birth_date,
                postcode=f"{rng.randint(20000, 20099)}",
            )
        )
    model = _trained_on(records)
    assert _weight(model, "family_name", "different family names") < -3
