"""GraphQL enums, mirroring the values stored in the database."""

from __future__ import annotations

import enum

import strawberry

from cdp.services.profiles import ProfileSort


@strawberry.enum(description="A channel through which the company knows its customers.")
class Channel(enum.Enum):
    WEB = strawberry.enum_value("web", description="Web site and apps (page views, events).")
    SOCIAL = strawberry.enum_value("social", description="Social networks (mentions, DMs).")
    EMAIL = strawberry.enum_value("email", description="Email campaigns and replies.")
    STORE = strawberry.enum_value("store", description="Physical and online stores.")
    CRM = strawberry.enum_value("crm", description="CRM and other exports of customer lists.")
    OTHER = strawberry.enum_value(
        "other",
        description=(
            "A channel declared in the server's configuration (cdp.toml `channels`); as a "
            "filter, it matches every such channel."
        ),
    )


def channel_of(value: str) -> Channel:
    """The GraphQL channel of a stored channel name (a declared one is `OTHER`)."""
    try:
        return Channel(value)
    except ValueError:
        return Channel.OTHER


@strawberry.enum(description="Kinds of identifier a profile can be found by.")
class IdentifierKind(enum.Enum):
    EMAIL = strawberry.enum_value("email", description="Email address (case-folded).")
    PHONE = strawberry.enum_value("phone", description="Phone number in E.164.")
    CUSTOMER_ID = strawberry.enum_value("customer_id", description="Store customer id.")
    LOYALTY_ID = strawberry.enum_value("loyalty_id", description="Loyalty card number.")
    USER_ID = strawberry.enum_value("user_id", description="Web/app signed-in user id.")
    ANONYMOUS_ID = strawberry.enum_value("anonymous_id", description="Web cookie id.")
    SOCIAL_HANDLE = strawberry.enum_value(
        "social_handle", description="Social handle as `network:handle`, e.g. `x:jane_doe`."
    )
    SOCIAL_ID = strawberry.enum_value("social_id", description="Social account id `network:id`.")
    LEAD_ID = strawberry.enum_value("lead_id", description="Lead form id.")


@strawberry.enum(description="Lifecycle state of a profile.")
class ProfileStatus(enum.Enum):
    ACTIVE = strawberry.enum_value("active", description="A living unified profile.")
    MERGED = strawberry.enum_value(
        "merged", description="Merged into another profile; its id resolves to the survivor."
    )
    ERASED = strawberry.enum_value("erased", description="Personal data erased on request.")


@strawberry.enum(description="Whether consent for a purpose is given.")
class ConsentState(enum.Enum):
    GRANTED = strawberry.enum_value("granted", description="The person agreed.")
    DENIED = strawberry.enum_value("denied", description="The person refused when asked.")
    REVOKED = strawberry.enum_value("revoked", description="The person withdrew an agreement.")


@strawberry.enum(description="Orders of the profile list; ties are broken by profile id.")
class ProfileOrder(enum.Enum):
    LAST_SEEN_DESC = strawberry.enum_value(
        ProfileSort.LAST_SEEN_DESC.value, description="Most recently seen first (default)."
    )
    LAST_SEEN_ASC = strawberry.enum_value(
        ProfileSort.LAST_SEEN_ASC.value, description="Least recently seen first."
    )
    FIRST_SEEN_ASC = strawberry.enum_value(
        ProfileSort.FIRST_SEEN_ASC.value, description="Oldest customers first."
    )
    RECORD_COUNT_DESC = strawberry.enum_value(
        ProfileSort.RECORD_COUNT_DESC.value, description="Built from the most records first."
    )
    CHANNEL_COUNT_DESC = strawberry.enum_value(
        ProfileSort.CHANNEL_COUNT_DESC.value, description="Seen in the most channels first."
    )
    FAMILY_NAME_ASC = strawberry.enum_value(
        ProfileSort.FAMILY_NAME_ASC.value, description="By family name, A to Z."
    )
    ID_ASC = strawberry.enum_value(ProfileSort.ID_ASC.value, description="By profile id.")
    TOTAL_SPEND_DESC = strawberry.enum_value(
        ProfileSort.TOTAL_SPEND_DESC.value,
        description="Highest net spend first (computed traits; without orders last).",
    )
    ORDER_COUNT_DESC = strawberry.enum_value(
        ProfileSort.ORDER_COUNT_DESC.value, description="Most orders first (computed traits)."
    )
    LAST_ORDER_DESC = strawberry.enum_value(
        ProfileSort.LAST_ORDER_DESC.value,
        description="Most recent order first (computed traits; without orders last).",
    )
    PREDICTED_VALUE_DESC = strawberry.enum_value(
        ProfileSort.PREDICTED_VALUE_DESC.value,
        description="Highest predicted value over the horizon first (computed traits).",
    )
    PROBABILITY_ALIVE_ASC = strawberry.enum_value(
        ProfileSort.PROBABILITY_ALIVE_ASC.value,
        description="Least likely to still be a customer first (computed traits).",
    )
    LOYALTY_POINTS_DESC = strawberry.enum_value(
        ProfileSort.LOYALTY_POINTS_DESC.value, description="Most loyalty points first."
    )


def value_of(member: enum.Enum) -> str:
    """The stored value of a GraphQL enum member (typed as str for the services)."""
    return str(member.value)
