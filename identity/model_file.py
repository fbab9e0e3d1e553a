"""The model as a data engineer sees it: `describe_model` (the comparisons, levels, weights and
thresholds as text, `cdp identity model show`) and `load_model_file` (an edited model file,
validated with every problem reported at once, stored as the active model)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from identity.model import MatchModel, model_from_json
from identity.scoring import level_weight, prior_weight
from identity.store import save_model

__all__ = ["describe_model", "load_model_file"]


def _probability(value: float | None) -> str:
    return "-" if value is None else f"{value:.6f}"


def describe_model(model: MatchModel) -> list[str]:
    """Lines of text: thresholds, then each comparison's levels in order (the first level
    whose condition holds wins) with m, u and weight, then blocking and identifier rules."""
    lines = [
        f"model {model.version}",
        f"  match threshold: probability {model.match_probability} "
        f"(weight {model.match_weight:+.2f} bits); review from {model.review_probability} "
        f"({model.review_weight:+.2f} bits)",
        f"  prior: {model.prior:.3g} ({prior_weight(model):+.2f} bits)",
        f"  household evidence suffices: {str(model.household_evidence_suffices).lower()}; "
        f"names alone suffice: {str(model.names_alone_suffice).lower()}",
    ]
    if model.trained:
        trained = ", ".join(f"{k} {v}" for k, v in sorted(model.trained.items()))
        lines.append(f"  trained: {trained}")
    lines.append("comparisons (level: m, u, weight in bits; tf: rare values weigh more):")
    for comparison in model.comparisons:
        lines.append(f"  {comparison.output_name} ({comparison.field})")
        for position, level in enumerate(comparison.levels):
            weight = "neutral" if level.is_neutral else f"{level_weight(level):+.2f}"
            extra = " tf" if level.tf else ""
            lines.append(
                f"    {position:>2} {level.label:<62} {level.kind:<16} "
                f"m {_probability(level.m)}  u {_probability(level.u)}  {weight}{extra}"
            )
    if model.vetoes:
        lines.append("vetoes:")
        lines += [f"  {v.comparison}: {', '.join(v.levels)}" for v in model.vetoes]
    lines.append(f"blocking rules (blocks above {model.max_block_size} records are skipped):")
    for rule in model.blocking_rules:
        columns = ", ".join(
            f"{t}({c})" if t else c
            for c, t in zip(
                rule.columns, rule.transforms or (None,) * len(rule.columns), strict=True
            )
        )
        lines.append(f"  {rule.name}: {columns}")
    lines.append("identifier rules (by priority):")
    for id_rule in sorted(model.identifier_rules, key=lambda r: r.priority):
        flags = [f"at most {id_rule.max_people} people"]
        if id_rule.one_per_person:
            flags.append("one per person")
        if id_rule.guarded:
            flags.append("guarded")
        lines.append(f"  {id_rule.priority:>3} {id_rule.kind}: {', '.join(flags)}")
    return lines


def load_model_file(session: Session, text: str) -> MatchModel:
    """Validate a model file (the JSON `cdp identity model show --json` prints, edited) and
    store it as the active model; raise `InvalidInputError` listing every problem at once."""
    model = model_from_json(text)
    save_model(session, model)
    return model
