"""One small world per test session, written to disk and kept as records and people."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from cdp.synthetic import Household, NoiseCount, World, WorldSummary, write_world

PEOPLE = 3000
SEED = 11


@dataclass(frozen=True)
class Generated:
    summary: WorldSummary
    households: tuple[Household, ...]
    noise: dict[str, NoiseCount]

    @property
    def out_dir(self) -> Path:
        return self.summary.out_dir


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    summary = write_world(tmp_path_factory.mktemp("synthetic") / "world", people=PEOPLE, seed=SEED)
    world = World(people=PEOPLE, seed=SEED)
    households = tuple(world.households())
    return Generated(summary, households, dict(world.noise_report()))
