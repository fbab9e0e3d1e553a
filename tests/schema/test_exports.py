from __future__ import annotations

import inspect

import schema


def test_public_surface_is_what_all_says() -> None:
    public = {name for name in dir(schema) if not name.startswith("_")}

    assert set(schema.__all__) == public - {"annotations"}


def test_contract_with_the_http_layer_keeps_its_signatures() -> None:
    build = inspect.signature(schema.build_schema)
    context = inspect.signature(schema.make_context)

    assert list(build.parameters) == ["settings"]
    assert inspect.iscoroutinefunction(schema.make_context)
    assert [(p.name, p.kind) for p in context.parameters.values()] == [
        ("settings", inspect.Parameter.KEYWORD_ONLY),
        ("sessionmaker", inspect.Parameter.KEYWORD_ONLY),
        ("authorization", inspect.Parameter.KEYWORD_ONLY),
        ("key_cache", inspect.Parameter.KEYWORD_ONLY),
        ("readers", inspect.Parameter.KEYWORD_ONLY),
        ("feedback_intake", inspect.Parameter.KEYWORD_ONLY),
    ]
