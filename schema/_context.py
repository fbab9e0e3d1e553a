"""The per-request context: settings, the sessionmaker, who is asking, and fresh DataLoaders."""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cdp.activation.live import Hub
from cdp.config import Settings
from cdp.feedback.service import FeedbackIntake
from cdp.services import keys
from schema._loaders import Loaders

__all__ = ["ROLES", "Context", "make_context", "read_sessions"]

ROLES = keys.API_ROLES
_READERS: WeakKeyDictionary[AsyncEngine, async_sessionmaker[AsyncSession]] = WeakKeyDictionary()


def read_sessions(sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """Sessions on autocommit connections, for single-statement reads.

    A read in a transaction costs BEGIN and ROLLBACK round trips around its one query; the
    loaders and list queries need no snapshot, so they skip both. Writes and multi-query
    reads that must agree (aggregates, identity) keep the transactional sessionmaker.
    """
    engine = sessions.kw.get("bind")
    if not isinstance(engine, AsyncEngine):
        return sessions
    readers = _READERS.get(engine)
    if readers is None:
        readers = async_sessionmaker(
            engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )
        _READERS[engine] = readers
    return readers


@dataclass
class Context:
    """Built fresh for every request; loaders open their own short sessions from it.

    `role` is `admin`, `app`, `analyst`, or None for a request that sent no key (which may
    only introspect); `actor` names the key in audit records.
    """

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    role: str | None = None
    actor: str = "anonymous"
    read_sessionmaker: InitVar[async_sessionmaker[AsyncSession] | None] = None
    #: stores feedback named by identifiers as a resolved record (None: not offered)
    feedback_intake: FeedbackIntake | None = None
    #: the API key's id, for audit entries (None: open mode or no key)
    key_id: int | None = None
    readers: async_sessionmaker[AsyncSession] = field(init=False)
    loaders: Loaders = field(init=False)
    #: live changes for subscriptions (`cdp.activation.live.Hub`; None: not offered)
    hub: Hub | None = field(default=None, init=False)
    #: a WebSocket's `connection_init` payload (strawberry sets it)
    connection_params: dict[str, Any] | None = field(default=None, init=False)

    def __post_init__(self, read_sessionmaker: async_sessionmaker[AsyncSession] | None) -> None:
        self.readers = read_sessionmaker or read_sessions(self.sessionmaker)
        self.loaders = Loaders.create(self.readers)

    @property
    def is_masked(self) -> bool:
        """Whether personal data must be shown partially (the analyst role)."""
        return self.role == "analyst"


async def make_context(
    *,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    authorization: str | None,
    key_cache: keys.KeyCache | None = None,
    readers: async_sessionmaker[AsyncSession] | None = None,
    feedback_intake: FeedbackIntake | None = None,
) -> Context:
    """The context for a request with this `Authorization` header value (or None).

    No header: no role (open mode: admin). A header with a valid `Bearer KEY` of an API role
    gives that role, in open mode too. Anything else raises `cdp.services.keys.InvalidKeyError`
    with a message for the client (the HTTP layer answers 401 with it). With a `key_cache`,
    a key seen valid in its last `ttl` seconds is not looked up again. `readers` makes the
    sessions for single-statement reads (`cdp.db.create_async_read_engine`); without it they
    are derived from `sessionmaker`. `feedback_intake` is what the composition root offers
    for feedback naming its customer by identifiers (`cdp.web.feedback_intake`).
    """
    readers = readers or read_sessions(sessionmaker)
    intake = feedback_intake
    if authorization is None or not authorization.strip():
        if settings.open_mode:
            return Context(settings, sessionmaker, "admin", "open-mode", readers, intake)
        return Context(settings, sessionmaker, read_sessionmaker=readers, feedback_intake=intake)
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise keys.InvalidKeyError(
            "the Authorization header must be 'Bearer KEY' with a key from `cdp keys create`"
        )
    grant = await (key_cache or keys.KeyCache(ttl=0)).authenticate(readers, key.strip())
    if grant.role not in ROLES:
        raise keys.InvalidKeyError(
            f"a {grant.role!r} key cannot query GraphQL; use an admin, app or analyst key"
        )
    return Context(
        settings, sessionmaker, grant.role, f"key:{grant.prefix}", readers, intake, grant.key_id
    )
