from __future__ import annotations

import identity


def test_public_api_is_exactly_what_all_lists() -> None:
    exported = {name for name in dir(identity) if not name.startswith("_")}
    modules = {
        "blocking",
        "bulk",
        "clustering",
        "comparisons",
        "consistency",
        "defaults",
        "em",
        "han",
        "locking",
        "engine",
        "explain",
        "model",
        "model_file",
        "overrides",
        "records",
        "scoring",
        "service",
        "store",
        "survivorship",
        "training",
        "usage",
        "writer",
    }
    assert exported - modules - {"annotations"} == set(identity.__all__)


def test_every_exception_derives_from_identity_error() -> None:
    for name in (
        "IdentityConflictError",
        "InvalidInputError",
        "ProfileNotFoundError",
        "RecordNotFoundError",
    ):
        assert issubclass(getattr(identity, name), identity.IdentityError)
