"""Fuzzy search of active profiles by name, email or phone, for analysts.

The database narrows (an indexed-prefix filter: the first three letters of any word, or the
normalised phone's last digits) to at most `SEARCH_CANDIDATES` profiles; rapidfuzz ranks them.
The ranking is CPU work, so it runs in a worker thread, in chunks, and stops at the next chunk
when its caller is cancelled (the request's timeout): the event loop keeps serving other
requests meanwhile, and a stopped search does not keep a core busy. The text is bounded
(`MAX_SEARCH_TEXT`), which bounds the work per candidate.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, utils
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cdp import models
from cdp.errors import InvalidInputError
from cdp.normalize import normalize_phone

__all__ = ["MAX_SEARCH_TEXT", "SEARCH_CANDIDATES", "SearchHit", "search_profiles"]

MAX_SEARCH_TEXT = 200
SEARCH_CANDIDATES = 2000
_CHUNK = 200


@dataclass(frozen=True)
class SearchHit:
    """A profile that matched a search, how well (0-100) and on what."""

    profile: models.Profile
    score: float
    matched_on: str


async def search_profiles(
    sessions: async_sessionmaker[AsyncSession],
    text: str,
    *,
    limit: int,
    min_score: float = 60.0,
) -> list[SearchHit]:
    """Active profiles whose name, email or phone resemble `text`, best first.

    Candidates come from an indexed-prefix SQL filter (the first three letters of any word,
    or the normalised phone's digits), then rapidfuzz ranks them, so a typo after the third
    letter still matches while the database does the narrowing. Each read is a short session
    of its own: none is open while the scoring runs, so a timeout that stops it leaves no
    connection behind.
    """
    query = text.strip()
    if len(query) < 2:
        raise InvalidInputError("text", f"{text!r} is too short; search with 2 characters or more")
    if len(query) > MAX_SEARCH_TEXT:
        raise InvalidInputError(
            "text",
            f"{len(query):,} characters is too long; search with at most {MAX_SEARCH_TEXT} "
            "(a name, an email or a phone number)",
        )
    p = models.Profile
    conditions: list[ColumnElement[bool]] = []
    phone = normalize_phone(query) if any(ch.isdigit() for ch in query) else None
    if phone is not None:
        conditions.append(p.phone.like(f"%{phone[-7:]}%"))
    for word in utils.default_process(query).split()[:4]:
        prefix = f"{word[:3]}%"
        conditions.extend(
            [func.lower(p.given_name).like(prefix), func.lower(p.family_name).like(prefix)]
        )
        conditions.append(func.lower(p.email).like(prefix))
    if not conditions:
        return []  # nothing searchable in the text (only punctuation, say)
    # Only the compared columns of the candidates: building 2,000 whole profiles (attributes
    # and all) on the event loop cost more than scoring them; the hits are loaded at the end.
    async with sessions() as session:
        candidates = (
            await session.execute(
                select(p.id, p.given_name, p.family_name, p.email, p.phone)
                .where(p.status == models.ProfileStatus.ACTIVE.value, or_(*conditions))
                .limit(SEARCH_CANDIDATES)
            )
        ).all()
    fields = [
        (_name(given, family), email, phone_) for _, given, family, email, phone_ in candidates
    ]
    scores = await _score_in_thread(fields, query, phone)
    best = sorted(
        (
            (-score, row.id, field)
            for row, (field, score) in zip(candidates, scores, strict=True)
            if score >= min_score
        )
    )[:limit]
    if not best:
        return []
    async with sessions() as session:
        wanted = select(p).where(p.id.in_([id_ for _, id_, _ in best]))
        loaded = {row.id: row for row in await session.scalars(wanted)}
    return [
        SearchHit(profile=loaded[id_], score=-negated, matched_on=field)
        for negated, id_, field in best
        if id_ in loaded
    ]


def _name(given: str | None, family: str | None) -> str:
    return " ".join(part for part in (given, family) if part)


Fields = tuple[str, str | None, str | None]


async def _score_in_thread(
    fields: Sequence[Fields], query: str, phone: str | None
) -> list[tuple[str, float]]:
    stop = threading.Event()
    work = asyncio.get_running_loop().run_in_executor(None, _score_all, fields, query, phone, stop)
    try:
        return await work
    except asyncio.CancelledError:
        stop.set()  # the thread ends at its next chunk
        raise


class _StoppedError(Exception):
    pass


def _score_all(
    fields: Sequence[Fields], query: str, phone: str | None, stop: threading.Event
) -> list[tuple[str, float]]:
    scores: list[tuple[str, float]] = []
    for start in range(0, len(fields), _CHUNK):
        if stop.is_set():
            raise _StoppedError
        scores.extend(_score(item, query, phone) for item in fields[start : start + _CHUNK])
    return scores


def _score(item: Fields, query: str, phone: str | None) -> tuple[str, float]:
    name, email, profile_phone = item
    candidates = {
        "name": fuzz.WRatio(query, name, processor=utils.default_process) if name else 0.0,
        "email": fuzz.WRatio(query, email, processor=utils.default_process) if email else 0.0,
        "phone": 100.0 if phone is not None and profile_phone == phone else 0.0,
    }
    field, score = max(candidates.items(), key=lambda item: item[1])
    return field, round(score, 1)
