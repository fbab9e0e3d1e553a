"""Frequency-weighted given and family names from several cultures.

`data/given_names.csv` (culture, gender, name, weight) and `data/family_names.csv` (culture,
name, weight) were derived once from the person providers of Faker 40 (MIT licence): the US
lists keep their census frequencies; the other cultures' lists (Spanish/Mexican, South Asian,
East Asian romanised, West African, European), which carry no frequencies, got Zipf weights
(exponent 0.6 for given names, 0.5 for family names) over a fixed shuffle, so common names
repeat at scale as they do in life. Weights are relative within a (culture, gender) list.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import accumulate

__all__ = ["CULTURES", "NameTable", "name_table"]

# Share of households per culture in the synthetic population.
CULTURES: tuple[tuple[str, float], ...] = (
    ("us", 0.58),
    ("hispanic", 0.18),
    ("european", 0.08),
    ("south_asian", 0.06),
    ("east_asian", 0.06),
    ("african", 0.04),
)


@dataclass(frozen=True, slots=True)
class WeightedNames:
    names: tuple[str, ...]
    cum_weights: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class NameTable:
    given: dict[tuple[str, str], WeightedNames]
    """(culture, gender `f`/`m`) -> names."""
    family: dict[str, WeightedNames]

    @property
    def size(self) -> tuple[int, int]:
        """Distinct given and family names."""
        given = {name for names in self.given.values() for name in names.names}
        family = {name for names in self.family.values() for name in names.names}
        return len(given), len(family)


def _read(filename: str) -> list[dict[str, str]]:
    text = resources.files("cdp.synthetic").joinpath("data").joinpath(filename).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _weighted(rows: list[tuple[str, float]]) -> WeightedNames:
    return WeightedNames(
        names=tuple(name for name, _ in rows),
        cum_weights=tuple(accumulate(weight for _, weight in rows)),
    )


@cache
def name_table() -> NameTable:
    given: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for row in _read("given_names.csv"):
        given.setdefault((row["culture"], row["gender"]), []).append(
            (row["name"], float(row["weight"]))
        )
    family: dict[str, list[tuple[str, float]]] = {}
    for row in _read("family_names.csv"):
        family.setdefault(row["culture"], []).append((row["name"], float(row["weight"])))
    return NameTable(
        given={key: _weighted(rows) for key, rows in given.items()},
        family={key: _weighted(rows) for key, rows in family.items()},
    )
