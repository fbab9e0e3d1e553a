"""The built-in matching model: comparisons with starting m/u (training replaces them from the
data), blocking rules, identifier rules with priorities and limits, survivorship."""

from __future__ import annotations

from dataclasses import replace

from identity.comparisons import (
    Comparison,
    ComparisonLevel,
    date_transposed_level,
    differ_level,
    else_level,
    email_typo_level,
    exact_level,
    implied_level,
    initial_level,
    jaro_winkler_level,
    levenshtein_level,
    made_of_level,
    nickname_level,
    null_level,
    osa_level,
    same_formal_name_level,
    swapped_level,
    swapped_one_name_level,
)
from identity.model import BlockingRule, IdentifierRule, MatchModel

__all__ = ["default_model"]


def _mu(level: ComparisonLevel, m: float, u: float) -> ComparisonLevel:
    return level.with_mu(m, u)


def default_model() -> MatchModel:
    """The built-in model with hand-set starting m/u (training replaces them from the data)."""
    given = Comparison(
        "given_name",
        (
            null_level(),
            _mu(
                differ_level("given names in other characters", column="given_han"),
                0.005,
                0.05,
            ),
            _mu(exact_level("exact given name", tf=True), 0.85, 0.01),
            _mu(nickname_level(), 0.04, 0.001),
            _mu(same_formal_name_level(), 0.01, 0.001),
            _mu(jaro_winkler_level(0.9, "given names JW >= 0.9 (typo)"), 0.05, 0.004),
            _mu(
                ComparisonLevel(
                    "formal names alike (nickname, other spelling)",
                    "jaro_winkler",
                    column="given_canonical",
                    threshold=0.88,
                ),
                0.02,
                0.002,
            ),
            _mu(swapped_level("family_name", "given and family name swapped"), 0.02, 0.00001),
            _mu(
                swapped_level(
                    "family_name",
                    "given and family name swapped, with a typo or a nickname",
                    threshold=0.88,
                ),
                0.005,
                0.00001,
            ),
            _mu(
                exact_level("same name words in another order", column="name_tokens"), 0.01, 0.00001
            ),
            _mu(
                swapped_one_name_level(
                    "family_name", "the only name given is the other's family name"
                ),
                0.005,
                0.0001,
            ),
            _mu(initial_level(), 0.02, 0.003),
            _mu(jaro_winkler_level(0.8, "given names JW >= 0.8"), 0.01, 0.03),
            _mu(else_level("different given names"), 0.01, 0.9),
        ),
    )
    family = Comparison(
        "family_name",
        (
            null_level(),
            _mu(
                differ_level(
                    "family names in other characters (王, 汪)",
                    column="family_han",
                ),
                0.005,
                0.05,
            ),
            _mu(exact_level("exact family name", tf=True), 0.88, 0.005),
            _mu(jaro_winkler_level(0.88, "family names JW >= 0.88 (typo)"), 0.07, 0.005),
            # A swap is one piece of evidence, counted by the given name's comparison.
            replace(
                swapped_level("given_name", "family and given name swapped (counted once)"),
                neutral=True,
            ),
            replace(
                swapped_level(
                    "given_name",
                    "family and given name swapped, with a typo or a nickname (counted once)",
                    threshold=0.88,
                ),
                neutral=True,
            ),
            _mu(else_level("different family names"), 0.03, 0.99),
        ),
    )
    birth = Comparison(
        "birth_date",
        (
            null_level(),
            _mu(exact_level("exact birth date"), 0.9, 0.0003),
            _mu(osa_level(1, "birth dates one typo apart (a digit, or two swapped)"), 0.05, 0.01),
            _mu(date_transposed_level(), 0.02, 0.0003),
            _mu(levenshtein_level(2, "birth dates two digits apart"), 0.01, 0.02),
            _mu(exact_level("same birth year", transform="year"), 0.01, 0.015),
            _mu(else_level("different birth dates"), 0.02, 0.97),
        ),
    )
    email = Comparison(
        "email",
        (
            null_level(),
            made_of_level(
                "same email, made of the names (no evidence beyond the names)",
                of="name_tokens",
                transform="local_part",
            ),
            _mu(exact_level("exact email", tf=True), 0.7, 0.0001),
            implied_level(
                "emails alike, names the same (no evidence beyond the names)",
                by="name_tokens",
                transform="local_part",
                threshold=0.92,
            ),
            _mu(exact_level("same mailbox name", transform="local_part"), 0.05, 0.0005),
            _mu(email_typo_level(), 0.05, 0.001),
            _mu(else_level("different emails"), 0.2, 0.998),
        ),
    )
    phone = Comparison(
        "phone",
        (
            null_level(),
            _mu(exact_level("exact phone", tf=True), 0.75, 0.0001),
            _mu(levenshtein_level(1, "phones one digit apart"), 0.05, 0.001),
            _mu(else_level("different phones"), 0.2, 0.998),
        ),
    )
    address = Comparison(
        "address",
        (
            null_level(),
            _mu(exact_level("exact street address", tf=True), 0.75, 0.0002),
            _mu(jaro_winkler_level(0.9, "street addresses JW >= 0.9"), 0.1, 0.002),
            _mu(else_level("different street addresses"), 0.15, 0.99),
        ),
    )
    postcode = Comparison(
        "postcode",
        (
            null_level(),
            _mu(exact_level("exact postcode", tf=True), 0.8, 0.001),
            _mu(exact_level("same postcode area", transform="prefix3"), 0.05, 0.01),
            _mu(else_level("different postcodes"), 0.15, 0.99),
        ),
    )
    return MatchModel(
        comparisons=(given, family, birth, email, phone, address, postcode),
        blocking_rules=(
            BlockingRule("email", ("email",)),
            BlockingRule("phone", ("phone",)),
            BlockingRule("family_postcode", ("family_name", "postcode")),
            BlockingRule(
                "given_family_phonetic", ("given_name", "family_name"), ("soundex", "soundex")
            ),
            BlockingRule("name_words", ("name_tokens",)),
            BlockingRule("formal_name", ("given_canonical", "family_name")),
            BlockingRule("birth_date_postcode", ("birth_date", "postcode")),
            BlockingRule("birth_date_given", ("birth_date", "given_canonical")),
            BlockingRule("given_postcode", ("given_canonical", "postcode")),
            BlockingRule("birth_date", ("birth_date",)),
            BlockingRule("address", ("address",)),
            BlockingRule("family_phonetic_city", ("family_name", "city"), ("soundex", None)),
            BlockingRule("street_number_postcode", ("address", "postcode"), ("first_word", None)),
        ),
        identifier_rules=(
            IdentifierRule("customer_id", 10, one_per_person=True, max_people=1),
            IdentifierRule("loyalty_id", 20, one_per_person=True, max_people=1),
            IdentifierRule("user_id", 30, one_per_person=True, max_people=1),
            IdentifierRule("lead_id", 40, max_people=1),
            IdentifierRule("social_id", 50, max_people=1),
            IdentifierRule("social_handle", 60, max_people=1),
            IdentifierRule("anonymous_id", 70, max_people=2),
            IdentifierRule("email", 80, max_people=5, guarded=True),
            IdentifierRule("phone", 90, max_people=5, guarded=True),
        ),
        # No vetoes: a disagreement is evidence with a (learned, strongly negative) weight,
        # never a rule that ignores the rest (docs/identity.md).
        survivorship={  # per unit (identity/survivorship.py): a name or address is never mixed
            "name": "most_frequent",
            "email": "most_recent",
            "phone": "most_recent",
            "address": "most_recent",
            "birth_date": "most_frequent",
            "gender": "most_frequent",
        },
    )
