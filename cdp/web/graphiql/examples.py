"""Example queries preloaded as GraphiQL tabs, for analysts. Edit here; nothing else knows them.

Each example is a tab: a title (shown as the operation name), the document, and variables.
They are written against the schema of issue 5 as the `schema` branch serves it (`overview`,
`profile(id:)`, `profiles(first:, filter:)`, `compare`, `explainProfile`);
`tests/web/test_graphiql_examples.py` validates every example whose root fields exist in the
served schema, so a renamed field or argument shows up as a failing test.
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
# How many unified profiles, from how many source
# records, seen in how many channels? Run it with
# the play button (or Ctrl-Enter).
#
# More examples in the tabs above: a profile 360,
# profiles seen in all four channels, why two
# records matched, how a profile was built. The docs
# (book icon, left) describe every type and field.
#
# With an API key: open "Headers" below and write
#   {"Authorization": "Bearer YOUR_KEY"}
query Overview {
  overview {
    totals {
      profiles
      sourceRecords
      resolvedRecords
      mergedProfiles
      identifiers
      sources
      channels
    }
    profilesByChannel { key profiles }
    profilesByChannelCount { key profiles }
    profilesByRecordCount { key profiles }
    mergeStats {
      merges
      splits
      manualActions
      pendingReviews
      forbiddenLinks
    }
  }
}
"""

PROFILE_360 = """\
# Everything known about one person: the golden
# record, identifiers with where and when they were
# seen, the source records behind the profile,
# orders, events, interactions, consents and merge
# history. Put a profile id in Variables (a
# merged-away id answers with the survivor:
# isRedirected). profileByIdentifier(kind: EMAIL,
# value: "...") finds one by email, phone, customer
# id...
query Profile360($id: ID!) {
  profile(id: $id) {
    id
    requestedId
    isRedirected
    status
    fullName
    email
    phone
    address { line1 city postcode country }
    channels
    recordCount
    firstSeenAt
    lastSeenAt
    identifiers {
      kind
      value
      source
      channel
      firstSeenAt
      lastSeenAt
    }
    sourceRecords(first: 20) {
      nodes { id source channel kind occurredAt }
    }
    orders(first: 10) {
      nodes {
        placedAt
        channel
        status
        total { amount currency }
        items {
          name
          quantity
          unitPrice { amount currency }
        }
      }
    }
    events(first: 10) {
      nodes { occurredAt channel type name }
    }
    interactions(first: 10) {
      nodes { occurredAt channel type text }
    }
    consents { purpose status channel occurredAt }
    mergeHistory {
      action
      actor
      reason
      createdAt
      otherProfileId
    }
  }
}
"""

SEEN_IN_ALL_CHANNELS = """\
# Profiles seen in all four channels (web, social,
# email and store), most channels and records first.
# Page on with after: "<endCursor>".
query SeenInAllChannels {
  profiles(
    first: 20
    filter: { minChannels: 4 }
    orderBy: RECORD_COUNT_DESC
  ) {
    totalCount
    nodes {
      id
      fullName
      email
      channels
      recordCount
      lastSeenAt
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

WHY_MERGED = """\
# Why are two source records the same person (or
# not)? The weight each field contributed, the total
# and the decision, and whatever kept them apart.
# Put two source record ids in Variables (from a
# profile's sourceRecords, or from the links of
# "HowProfileWasBuilt").
query WhyMerged($left: ID!, $right: ID!) {
  compare(left: $left, right: $right, records: true) {
    ... on Comparison {
      sameProfile
      decision
      probability
      totalWeight
      contributions { label level weight sentence }
      keptApartBy
    }
    ... on Problem { message }
  }
}
"""

HOW_PROFILE_WAS_BUILT = """\
# How a profile was built: its records, and every
# link between them with the rule or score that made
# it.
query HowProfileWasBuilt($id: ID!) {
  explainProfile(id: $id) {
    ... on ProfileExplanation {
      profileId
      status
      records { recordId source externalId kind occurredAt }
      links {
        leftRecordId
        rightRecordId
        method
        rule
        decision
        score
        reason
      }
    }
    ... on Problem { message }
  }
}
"""

FEEDBACK = """\
# What customers say (English and Chinese, analysed
# on the way in): sentiment, NPS, CSAT, complaints
# resolved and the median hours to resolve them,
# counts by topic and by sentiment per week, and the
# newest Chinese complaints. Put a segment id in
# Variables for one segment's current members.
query Feedback($segment: ID) {
  feedbackAnalytics(segmentId: $segment) {
    summary {
      total positive neutral negative
      nps promoters detractors
      averageCsat csatSatisfiedShare
      complaints resolvedShare medianHoursToResolve
    }
    byTopic: counts(by: TOPIC) { key count }
    byKind: counts(by: KIND) { key count }
    sentimentPerWeek: counts(by: SENTIMENT, interval: WEEK) {
      period key count
    }
    trend(interval: WEEK) { period total nps negative }
  }
  feedbackList(
    first: 5
    filter: { languages: ["zh"], kinds: [COMPLAINT] }
  ) {
    totalCount
    nodes {
      id occurredAt channel text sentiment topics
      status assignee profileId
    }
  }
}
"""

RFM_SEGMENTS = """\
# The built-in RFM segments (recency, frequency and
# monetary scores 1-5 by quintiles: docs/value.md):
# how many customers each holds now, how it changed
# in its last refreshes, and its best customers by
# predicted value. Customers per RFM segment in one
# query: segmentBreakdown(by: "rfmSegment").
query RfmSegments {
  segments {
    id name description builtIn size refreshedAt
    sizeHistory(first: 3) { measuredAt size entered exited }
    members(first: 3) {
      nodes {
        enteredAt
        profile {
          id fullName email
          traits { rfmCode valueTier predictedValue { amount currency } }
        }
      }
    }
  }
  byRfm: segmentBreakdown(by: "rfmSegment") { value count }
}
"""

VALUE_TIERS = """\
# Customer value (docs/value.md): customers per value
# tier and lifecycle stage, then the high-value
# customers most likely to buy in the next 12 months,
# with their RFM segment, predicted value, chance of
# still being a customer, and loyalty. Change the
# tier in Variables (HIGH, MEDIUM, LOW); run
# `cdp traits compute` if traits are empty.
query ValueTiers($tiers: [ValueTier!] = [HIGH]) {
  byTier: segmentBreakdown(by: "valueTier") { value count }
  byStage: segmentBreakdown(by: "lifecycleStage") { value count }
  profiles(
    first: 10
    filter: { traits: { valueTiers: $tiers } }
    orderBy: PREDICTED_VALUE_DESC
  ) {
    totalCount
    nodes {
      id fullName
      traits {
        valueTier rfmSegment rfmCode lifecycleStage
        orderCount totalSpend { amount currency }
        averageOrder { amount }
        daysSinceLastOrder favouriteCategory
        predictedOrders predictedValue { amount currency }
        probabilityAlive clvMethod horizonDays
        preferredChannel bestSendHour
        loyaltyPoints loyaltyTier
      }
    }
  }
}
"""

CUSTOM_SEGMENT = """\
# A custom segment, previewed without saving: people
# in the US who ordered at least twice in the last
# 180 days and viewed a product at least 3 times in
# the last 30, and may be emailed. Save it with the
# createSegment mutation (same definition), and
# read it back with segment(name: ...). Every
# condition kind is described in the docs (book
# icon) under ConditionInput, and in docs/segments.md.
query CustomSegment {
  segmentPreview(sample: 5, definition: {conditions: [
    {attribute: {name: "address.country", op: EQ, value: "US"}}
    {order: {metric: COUNT, op: GTE, value: 2, window: {lastDays: 180}}}
    {event: {name: "Product Viewed", count: {op: GTE, value: 3}, window: {lastDays: 30}}}
    {consent: {purpose: "email_marketing"}}
  ]}) {
    ... on SegmentPreview { count sample { id fullName email } }
    ... on InvalidDefinition { problems { path message } }
  }
}
"""

CAMPAIGNS = """\
# Email campaigns (docs/campaigns.md), newest first:
# sends, open and click rates, orders and revenue
# attributed to the last click within 7 days, and
# whether recipients ordered again within 30 days
# more often than customers not sent the campaign.
# Try rule: FIRST_CLICK, another window, or a
# segment id in filter. socialCampaigns: X hashtags
# (posts, likes, replies, reposts per impression)
# and Meta lead ad campaigns (leads), per UTC day
# in days (filter: segmentId, campaignIds, since,
# until).
query Campaigns {
  campaigns(attribution: { rule: LAST_CLICK, windowDays: 7, retentionDays: 30 }) {
    id firstSentAt
    email {
      sent delivered uniqueOpens uniqueClicks unsubscribes
      openRate clickThroughRate clickToOpenRate unsubscribeRate
    }
    conversions {
      clickers orders conversionRate
      revenue { amount currency }
    }
    retention { recipients rate comparison comparisonRate lift }
  }
  socialCampaigns {
    network campaign posts leads people impressions
    interactions interactionsPerPost interactionRate
    days { day posts leads interactions interactionRate }
  }
}
"""

RECOMMENDATIONS = """\
# What to recommend to a customer
# (docs/recommendations.md), each with why: what goes
# with their purchases and views; best-sellers when
# they have no history or have not consented to
# personalisation. Put a profile id in Variables (a
# repeat buyer's, e.g. from the ValueTiers tab).
query Recommendations($id: ID!) {
  profile(id: $id) {
    id fullName
    consentStatus { purpose status }
    orders(first: 5) {
      nodes { placedAt items { name category } }
    }
    recommendedProducts(first: 10) {
      productId name category basis reason
    }
  }
}
"""

FLOWS = """\
# Automated marketing flows (docs/activation.md):
# who entered, who converted, the lift over the
# holdout, and the latest runs of the welcome flow
# (the demo pushes today's sign-ups when it starts:
# welcomed, then waiting a day for their
# recommendations). The deliveries are listed by the
# demo's webhook receiver (the port after the
# server's).
query Flows {
  flows {
    name enabled definition waiting done exited holdout
    conversion {
      goal treatedConverted holdoutConverted
      treatedRate holdoutRate lift
    }
  }
  flowRuns(flow: "welcome", first: 10) {
    profileId status step enteredAt waitUntil exitReason log
  }
}
"""

LIVE_PROFILE = """\
# Live: this tab keeps running and shows the profile
# each time a change touches it (an event pushed to
# /v1/track, a merge, a segment entry or exit). It
# runs over a WebSocket with the key of the Headers
# tab. Put a profile id in Variables, run it, then
# push an event for that person.
subscription LiveProfile($id: ID!) {
  profileChanges(id: $id) {
    kind
    segment
    at
    profile {
      id
      email
      lastSeenAt
      segments { segment { name } enteredAt }
    }
  }
}
"""

EXAMPLES: tuple[Example, ...] = (
    Example("Overview", OVERVIEW),
    Example("Profile360", PROFILE_360, {"id": "PROFILE_ID"}),
    Example("SeenInAllChannels", SEEN_IN_ALL_CHANNELS),
    Example("WhyMerged", WHY_MERGED, {"left": "RECORD_ID", "right": "OTHER_RECORD_ID"}),
    Example("HowProfileWasBuilt", HOW_PROFILE_WAS_BUILT, {"id": "PROFILE_ID"}),
    Example("Feedback", FEEDBACK, {"segment": None}),
    Example("ValueTiers", VALUE_TIERS, {"tiers": ["HIGH"]}),
    Example("RfmSegments", RFM_SEGMENTS),
    Example("CustomSegment", CUSTOM_SEGMENT),
    Example("Campaigns", CAMPAIGNS),
    Example("Recommendations", RECOMMENDATIONS, {"id": "PROFILE_ID"}),
    Example("Flows", FLOWS),
    Example("LiveProfile", LIVE_PROFILE, {"id": "PROFILE_ID"}),
)
