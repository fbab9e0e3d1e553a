"""`benchmarks/crm_export.py`: the independent CRM export generator `--crm` measures with."""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.crm_export import COLUMNS, generate, write_csv


def test_generator_is_deterministic_for_a_seed() -> None:
    assert generate(300, seed=5) == generate(300, seed=5)
    assert generate(300, seed=5) != generate(300, seed=6)


def test_every_person_has_one_to_four_records_and_some_are_corrupted() -> None:
    rows = generate(3000, seed=1)
    per_person = Counter(row.person for row in rows)
    assert set(per_person.values()) <= {1, 2, 3, 4}
    assert max(per_person.values()) == 4
    by_person: dict[int, set[tuple[str, str, str]]] = {}
    for row in rows:
        by_person.setdefault(row.person, set()).add((row.first_name, row.birth_date, row.email))
    assert sum(len(v) > 1 for v in by_person.values()) > len(by_person) / 10


def test_households_share_an_address_and_a_family_name_but_not_a_person() -> None:
    rows = generate(3000, seed=1)
    homes: dict[tuple[str, str], set[int]] = {}
    for row in rows:
        homes.setdefault((row.street, row.last_name), set()).add(row.person)
    shared = [people for people in homes.values() if len(people) > 1]
    people = len({row.person for row in rows})
    assert 0.03 * people < sum(len(p) for p in shared) < 0.5 * people


def test_export_holds_the_columns_and_the_truth_stays_out_of_it(tmp_path: Path) -> None:
    rows = generate(200, seed=2)
    truth = write_csv(rows, tmp_path / "crm.csv")
    with (tmp_path / "crm.csv").open(encoding="utf-8", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert tuple(written[0]) == COLUMNS
    assert len(written) == len(truth) == 200
    assert [truth[r["customer_ref"]] for r in written] == [row.person for row in rows]
