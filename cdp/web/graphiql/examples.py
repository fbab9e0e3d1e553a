"""Example queries preloaded as GraphiQL tabs, for analysts. Edit here; nothing else knows them.

Each example is a tab: a title (shown as the operation name), the document, and variables.
They are written against the schema of issue 5 (`profile(id:)`, `profiles(first:, filter:)`,
`explain`, ...); `tests/web/test_graphiql_examples.py` validates every example whose root
fields exist in the current schema, so a renamed field shows up as a failing test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["EXAMPLES", "Example"]


@dataclass(frozen=True)
class Example:
    title: str
    query: str
    variables: dict[str, Any] = field(default_factory=dict)


OVERVIEW = """\
# How many unified profiles, from how many source records?
# Run it with the play button (or Ctrl-Enter).
#
# More examples in the tabs above: a profile 360, profiles
# seen in all four channels, why two records merged.
# The docs (book icon, left) describe every type and field.
#
# With an API key: open "Headers" below and write
#   {"Authorization": "Bearer YOUR_KEY"}
query Overview {
  stats {
    sources
    sourceRecords
    profiles
  }
}
"""

PROFILE_360 = """\
# Everything known about one person: golden record, identifiers with where and when they
# were seen, the source records behind the profile, orders, events, interactions, consents
# and merge history. Put a profile id in Variables (a merged-away id answers with the survivor).
query Profile360($id: ID!) {
  profile(id: $id) {
    id
    status
    mergedIntoId
    goldenRecord {
      givenName
      familyName
      email
      phone
      address { line1 city postcode country }
    }
    identifiers {
      kind
      value
      source { name channel }
      firstSeenAt
      lastSeenAt
    }
    sourceRecords(first: 20) {
      edges { node { id kind occurredAt source { name channel } } }
    }
    orders(first: 10) {
      edges { node { id placedAt totalMinor currency items { sku name quantity } } }
    }
    events(first: 10) {
      edges { node { type name occurredAt channel } }
    }
    interactions(first: 10) {
      edges { node { type occurredAt channel } }
    }
    consents { purpose channel granted occurredAt }
    mergeHistory { action actor reason createdAt otherProfileId }
  }
}
"""

SEEN_IN_ALL_CHANNELS = """\
# Profiles seen in all four channels (web, social, email and store), with how many
# source records each was built from. Page on with `after: "<endCursor>"`.
query SeenInAllChannels {
  profiles(first: 20, filter: { channels: [WEB, SOCIAL, EMAIL, STORE] }) {
    totalCount
    edges {
      node {
        id
        goldenRecord { givenName familyName email }
        channels
        sourceRecordCount
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

WHY_MERGED = """\
# Why are two records the same person (or not)? The weight each field contributed,
# the total against the threshold, and whatever kept them apart.
# Put two source record ids in Variables (from a profile's sourceRecords).
query WhyMerged($left: ID!, $right: ID!) {
  explain(left: $left, right: $right) {
    sameProfile
    totalWeight
    threshold
    fields { field level weight }
    keptApartBy
  }
}
"""

EXAMPLES: tuple[Example, ...] = (
    Example("Overview", OVERVIEW),
    Example("Profile360", PROFILE_360, {"id": "PROFILE_ID"}),
    Example("SeenInAllChannels", SEEN_IN_ALL_CHANNELS),
    Example("WhyMerged", WHY_MERGED, {"left": "RECORD_ID", "right": "OTHER_RECORD_ID"}),
)
