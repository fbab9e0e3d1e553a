"""An independent generator of CRM exports with ground truth, for `benchmarks/identity.py --crm N`.

Its corruptions follow the record-linkage literature's (Febrl's, Christen 2005) and issue 14's
list; it imports nothing of the matcher and mirrors none of its rules (its nickname table is
its own, not the `nicknames` data set identity reads). People are drawn with `faker` (en_US:
its weighted name lists give a realistic long tail), each with 1-4 records in the export; every
copy after the first gets one to three corruptions:

- typos in a name (insert, delete, substitute, swap two adjacent letters), a nickname or an
  initial for the given name, given and family name swapped;
- birth-date errors of every kind: day and month swapped, a digit mistyped, two adjacent
  digits swapped, the year off by one, a wholly different date, left blank;
- moved house (a new street, city and postcode), a new email address or phone number, an
  email with a typo in the mailbox, a field left blank.

Households are the hard negatives: `households` of the people (10%) live with one to three
relatives at the same address, with the same family name and the same landline, and their own
given names and birth dates (two of them sometimes sharing a family email).

Columns: customer_ref (unique per row, not per person), first_name, last_name, birth_date
(`YYYY-MM-DD`), email, phone, street, city, state, zip. The truth (customer_ref -> person) is
returned, never written into the export.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, replace
from pathlib import Path

from faker import Faker

__all__ = ["COLUMNS", "CrmRow", "generate", "write_csv"]

COLUMNS = (
    "customer_ref",
    "first_name",
    "last_name",
    "birth_date",
    "email",
    "phone",
    "street",
    "city",
    "state",
    "zip",
)
# A few common English nicknames, the generator's own (a CRM clerk's shortening of a name).
NICKNAMES = {
    "robert": "bob",
    "william": "bill",
    "richard": "rick",
    "james": "jim",
    "john": "jack",
    "michael": "mike",
    "elizabeth": "liz",
    "katherine": "kate",
    "jennifer": "jen",
    "christopher": "chris",
    "matthew": "matt",
    "joseph": "joe",
    "thomas": "tom",
    "daniel": "dan",
    "anthony": "tony",
    "margaret": "peggy",
    "patricia": "pat",
    "susan": "sue",
    "jessica": "jess",
    "nicholas": "nick",
    "benjamin": "ben",
    "samuel": "sam",
    "alexander": "alex",
    "rebecca": "becky",
    "deborah": "debbie",
}
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class CrmRow:
    person: int
    first_name: str
    last_name: str
    birth_date: str
    email: str
    phone: str
    street: str
    city: str
    state: str
    zip: str


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.choice(("insert", "delete", "substitute", "swap"))
    if kind == "insert":
        return text[:i] + rng.choice(LETTERS) + text[i:]
    if kind == "delete":
        return text[:i] + text[i + 1 :]
    if kind == "substitute":
        return text[:i] + rng.choice(LETTERS) + text[i + 1 :]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


def _date_error(rng: random.Random, value: str, fake: Faker) -> str:
    year, month, day = value.split("-")
    kind = rng.choice(("day_month", "digit", "adjacent", "year", "other", "blank"))
    if kind == "day_month" and int(day) <= 12:
        return f"{year}-{day}-{month}"
    if kind == "digit":
        digits = list(year + month + day)
        i = rng.choice((2, 3, 5, 7))
        digits[i] = str((int(digits[i]) + rng.randint(1, 9)) % 10)
        text = "".join(digits)
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    if kind == "adjacent":
        text = year + month + day
        i = rng.choice((2, 6))
        text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    if kind == "year":
        return f"{int(year) + rng.choice((-1, 1))}-{month}-{day}"
    if kind == "other":
        return fake.date_of_birth(minimum_age=18, maximum_age=90).isoformat()
    return ""


def _email(rng: random.Random, first: str, last: str, fake: Faker) -> str:
    first, last = first or "x", last or "x"
    style = rng.random()
    if style < 0.4:
        box = f"{first}.{last}"
    elif style < 0.7:
        box = f"{first[0]}{last}{rng.randint(1, 99)}"
    else:
        box = f"{first}{rng.randint(1, 999)}"
    return f"{box}@{fake.free_email_domain()}"


def _corrupt(rng: random.Random, row: CrmRow, fake: Faker) -> CrmRow:
    for _ in range(rng.choice((1, 1, 2, 3))):
        kind = rng.choice(
            (
                "first_typo",
                "last_typo",
                "nickname",
                "initial",
                "swap",
                "birth",
                "birth",
                "moved",
                "new_email",
                "new_phone",
                "email_typo",
                "blank",
            )
        )
        if kind == "first_typo":
            row = replace(row, first_name=_typo(rng, row.first_name))
        elif kind == "last_typo":
            row = replace(row, last_name=_typo(rng, row.last_name))
        elif kind == "nickname" and row.first_name.lower() in NICKNAMES:
            row = replace(row, first_name=NICKNAMES[row.first_name.lower()].title())
        elif kind == "initial" and row.first_name:
            row = replace(row, first_name=row.first_name[0])
        elif kind == "swap":
            row = replace(row, first_name=row.last_name, last_name=row.first_name)
        elif kind == "birth" and row.birth_date:
            row = replace(row, birth_date=_date_error(rng, row.birth_date, fake))
        elif kind == "moved":
            row = replace(
                row,
                street=fake.street_address(),
                city=fake.city(),
                state=fake.state_abbr(),
                zip=fake.postcode(),
            )
        elif kind == "new_email":
            row = replace(
                row, email=_email(rng, row.first_name.lower(), row.last_name.lower(), fake)
            )
        elif kind == "new_phone":
            row = replace(row, phone=fake.numerify("###-###-####"))
        elif kind == "email_typo" and "@" in row.email:
            box, _, domain = row.email.partition("@")
            row = replace(row, email=f"{_typo(rng, box)}@{domain}")
        elif kind == "blank":
            field = rng.choice(("birth_date", "email", "phone", "street", "first_name"))
            row = replace(row, **{field: ""})
    return row


def generate(records: int, *, seed: int = 11, households: float = 0.10) -> list[CrmRow]:
    """About `records` rows: people with 1-4 rows each, `households` of them with relatives."""
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rows: list[CrmRow] = []
    person = 0
    while len(rows) < records:
        first, last = fake.first_name(), fake.last_name()
        base = CrmRow(
            person,
            first,
            last,
            fake.date_of_birth(minimum_age=18, maximum_age=90).isoformat(),
            _email(rng, first.lower(), last.lower(), fake),
            fake.numerify("###-###-####"),
            fake.street_address(),
            fake.city(),
            fake.state_abbr(),
            fake.postcode(),
        )
        family = [base]
        if rng.random() < households:
            for _ in range(rng.randint(1, 3)):
                person += 1
                relative = fake.first_name()
                family.append(
                    replace(
                        base,
                        person=person,
                        first_name=relative,
                        birth_date=fake.date_of_birth(minimum_age=1, maximum_age=90).isoformat(),
                        email=(
                            base.email
                            if rng.random() < 0.2
                            else _email(rng, relative.lower(), last.lower(), fake)
                        ),
                    )
                )
        for member in family:
            rows.append(member)
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
                rows.append(_corrupt(rng, member, fake))
        person += 1
    rng.shuffle(rows)
    return rows[:records]


def write_csv(rows: list[CrmRow], path: Path) -> dict[str, int]:
    """Write the export; return the truth: customer_ref -> person."""
    truth: dict[str, int] = {}
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for i, row in enumerate(rows):
            ref = f"C{i + 1:08d}"
            truth[ref] = row.person
            writer.writerow(
                [
                    ref,
                    row.first_name,
                    row.last_name,
                    row.birth_date,
                    row.email,
                    row.phone,
                    row.street,
                    row.city,
                    row.state,
                    row.zip,
                ]
            )
    return truth
