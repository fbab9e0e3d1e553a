"""Identity resolution: normalisation, blocking, comparisons, scoring, clustering, survivorship.

The matching engine is pure functions over records; only the store module touches a database.
"""

from __future__ import annotations

__all__: list[str] = []
