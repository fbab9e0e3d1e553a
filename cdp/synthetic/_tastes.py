"""Product tastes: a catalogue with collections, each person's stable preferences, and the
orders that follow a campaign click. See docs/synthetic.md, "Tastes and conversions".

The model, so that recommendations and campaign figures measure something:

- **Catalogue**: the 20 classic products plus more, 80 in all, in 8 categories, each product in
  one *collection* of 5 to 7 things bought together (a trail kit, a coffee corner, a beach
  bag...). Products have a popularity weight (a Zipf-like 1 / rank^0.5 over a fixed shuffle), so
  a few are best-sellers in every taste.
- **Taste**: each person likes two collections (the second, half the time, from the first's
  category) and one category; drawn once per person from a generator of their own
  (`random.Random(f"{seed}:{person_id}:taste")`), so tastes are stable and independent of
  everything else drawn.
- **Picks**: an order's first item comes from a liked collection (75 %), the liked category
  (15 %) or the whole catalogue (10 %), by popularity; each further item of the order comes
  from the first item's collection with probability 0.7. Product views follow the same picks.
  Consumables (`repeat`) are bought again.
- **Conversions**: a customer who clicks a campaign orders within 5 days with probability
  0.3 (a web order: Shopify and the web shop's `Order Completed`).

The household's own generator draws exactly what it drew before tastes existed (the old
uniform pick is still drawn, then replaced), so names, identifiers and noise stay draw for draw
what they were; the extra conversion orders are drawn from a generator of their own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from itertools import accumulate

from cdp.synthetic._reference import PRODUCTS

__all__ = [
    "CATALOGUE",
    "COLLECTIONS",
    "Taste",
    "consent_preferences",
    "pick_items",
    "pick_product",
    "taste_for",
]

Product = tuple[int, str, str, str, int]

# collection -> (category, [(sku, name, cents, repeat)]): the classic products keep their ids
_EXTRA: dict[str, tuple[str, list[tuple[str, str, int, bool]]]] = {
    "trail": (
        "footwear",
        [
            ("HIKE-SOCK-2PK", "Hiking Socks (2 pack)", 1600, True),
            ("HIKE-POLE", "Trekking Poles", 5900, False),
            ("HIKE-PACK-20", "Day Pack 20L", 7900, False),
            ("HIKE-HEADLAMP", "Head Lamp", 3400, False),
        ],
    ),
    "coffee": (
        "home",
        [
            ("COF-BEANS-HSE", "House Blend Beans 1lb", 1800, True),
            ("COF-POUR-OVER", "Pour-Over Dripper", 2900, False),
            ("COF-GRINDER", "Hand Grinder", 5400, False),
            ("COF-FILTERS", "Paper Filters (100)", 700, True),
            ("COF-KETTLE", "Gooseneck Kettle", 6900, False),
        ],
    ),
    "beach": (
        "beauty",
        [
            ("BCH-TOWEL", "Beach Towel", 3900, False),
            ("BCH-AFTERSUN", "Aloe After-Sun", 1500, True),
            ("BCH-HAT", "Straw Sun Hat", 3600, False),
            ("BCH-SUNGLASS", "Polarised Sunglasses", 8900, False),
        ],
    ),
    "basics": (
        "apparel",
        [
            ("TEE-VNK-GRY", "V-Neck Tee - Grey", 2400, False),
            ("BOX-BRIEF-3PK", "Boxer Briefs (3 pack)", 3200, True),
            ("TANK-RIB-WHT", "Ribbed Tank - White", 1900, False),
        ],
    ),
    "rainy": (
        "apparel",
        [
            ("UMB-COMPACT", "Compact Umbrella", 2800, False),
            ("BOOT-RAIN-BLK", "Rain Boots", 7900, False),
            ("JKT-SHELL-OLV", "Packable Shell - Olive", 9900, False),
            ("BAG-DRY-10", "Dry Bag 10L", 2400, False),
        ],
    ),
    "kitchen": (
        "books",
        [
            ("KIT-APRON", "Linen Apron", 3400, False),
            ("KIT-BOARD", "Walnut Cutting Board", 5600, False),
            ("KIT-SPICE-6", "Spice Set (6)", 2800, True),
            ("BOOK-BAKE-03", "Sourdough at Home", 2900, False),
            ("KIT-KNIFE", "Chef's Knife", 8900, False),
        ],
    ),
    "cosy": (
        "home",
        [
            ("HOME-SLIPPER", "Felt Slippers", 4400, False),
            ("HOME-PILLOW", "Linen Cushion Cover", 2900, False),
            ("HOME-TEA-SET", "Loose Leaf Tea Sampler", 2200, True),
            ("CNDL-FIG", "Fig Candle", 2600, True),
        ],
    ),
    "street": (
        "footwear",
        [
            ("SHOE-SNK-BLK", "Court Sneaker - Black", 8900, False),
            ("SOCK-CREW-3PK", "Crew Socks (3 pack)", 1500, True),
            ("SHOE-CLEAN", "Sneaker Cleaning Kit", 1900, True),
            ("CAP-DAD-BLK", "Dad Cap - Black", 2400, False),
        ],
    ),
    "garden": (
        "home",
        [
            ("GRD-GLOVES", "Garden Gloves", 1800, False),
            ("GRD-SEEDS", "Herb Seed Collection", 1400, True),
            ("GRD-CAN", "Watering Can", 3600, False),
            ("PLNT-POT-S", "Planter, Small", 2400, False),
        ],
    ),
    "skincare": (
        "beauty",
        [
            ("SKIN-CLEANSE", "Gentle Cleanser", 2200, True),
            ("SKIN-SERUM", "Vitamin C Serum", 3800, True),
            ("SKIN-MOIST", "Daily Moisturiser", 2900, True),
        ],
    ),
    "gifting": (
        "gift",
        [
            ("GIFT-CARD-25", "Gift Card $25", 2500, False),
            ("GIFT-CARD-100", "Gift Card $100", 10000, False),
            ("GIFT-WRAP", "Gift Wrap Set", 1200, True),
            ("GIFT-CARD-NOTE", "Letterpress Cards (8)", 1600, True),
        ],
    ),
    "travel": (
        "accessories",
        [
            ("TRV-PILLOW", "Travel Pillow", 2900, False),
            ("TRV-CUBES", "Packing Cubes (4)", 3900, False),
            ("TRV-ADAPTER", "Universal Adapter", 2400, False),
            ("TRV-TAG", "Leather Luggage Tag", 1800, False),
        ],
    ),
}
# the classic products' collections
_CLASSIC: dict[int, str] = {
    8001: "basics", 8002: "basics", 8003: "basics", 8004: "rainy", 8005: "trail",
    8006: "street", 8007: "travel", 8008: "trail", 8009: "coffee", 8010: "cosy",
    8011: "cosy", 8012: "garden", 8013: "trail", 8014: "street", 8015: "beach",
    8016: "kitchen", 8017: "trail", 8018: "gifting", 8019: "beach", 8020: "skincare",
}  # fmt: skip
_CLASSIC_REPEAT = {8005, 8009, 8010, 8019, 8020}


def _catalogue() -> tuple[tuple[Product, ...], dict[int, str], frozenset[int]]:
    products: list[Product] = list(PRODUCTS)
    collection = dict(_CLASSIC)
    repeat = set(_CLASSIC_REPEAT)
    next_id = 8101
    for name, (category, items) in _EXTRA.items():
        for sku, title, cents, is_repeat in items:
            products.append((next_id, sku, title, category, cents))
            collection[next_id] = name
            if is_repeat:
                repeat.add(next_id)
            next_id += 1
    return tuple(products), collection, frozenset(repeat)


CATALOGUE, _COLLECTION_OF, REPEAT_PRODUCTS = _catalogue()
POPULARITY_EXPONENT = 0.5
#: where an order's first item comes from: a liked collection, the liked category, anything
FROM_COLLECTION, FROM_CATEGORY = 0.75, 0.15
COLLECTIONS: tuple[str, ...] = tuple(_EXTRA)
_BY_ID = {p[0]: p for p in CATALOGUE}


@cache
def _weights() -> dict[int, float]:
    order = list(CATALOGUE)
    random.Random(20261207).shuffle(order)
    return {p[0]: 1.0 / (rank + 1) ** POPULARITY_EXPONENT for rank, p in enumerate(order)}


@cache
def _pool(kind: str, key: str) -> tuple[tuple[Product, ...], tuple[float, ...]]:
    """The products of a collection, a category or everything, with cumulative weights."""
    if kind == "collection":
        chosen = [p for p in CATALOGUE if _COLLECTION_OF[p[0]] == key]
    elif kind == "category":
        chosen = [p for p in CATALOGUE if p[3] == key]
    else:
        chosen = list(CATALOGUE)
    weights = _weights()
    return tuple(chosen), tuple(accumulate(weights[p[0]] for p in chosen))


def _draw(rng: random.Random, kind: str, key: str) -> Product:
    products, cumulative = _pool(kind, key)
    return rng.choices(products, cum_weights=cumulative)[0]


@dataclass(frozen=True, slots=True)
class Taste:
    collections: tuple[str, str]
    category: str
    rng: random.Random


def taste_for(seed: int, person_id: str) -> Taste:
    rng = random.Random(f"{seed}:{person_id}:taste")
    first = rng.choice(COLLECTIONS)
    category = _EXTRA[first][0]
    same = [c for c in COLLECTIONS if c != first and _EXTRA[c][0] == category]
    others = [c for c in COLLECTIONS if c != first]
    second = rng.choice(same if same and rng.random() < 0.5 else others)
    liked_category = category if rng.random() < 0.5 else _EXTRA[second][0]
    return Taste((first, second), liked_category, rng)


def pick_product(taste: Taste) -> Product:
    """One product a person with this taste looks at or buys first."""
    rng = taste.rng
    roll = rng.random()
    if roll < FROM_COLLECTION:
        return _draw(rng, "collection", rng.choice(taste.collections))
    if roll < FROM_COLLECTION + FROM_CATEGORY:
        return _draw(rng, "category", taste.category)
    return _draw(rng, "all", "")


def pick_items(taste: Taste, count: int) -> list[Product]:
    """An order's products: the first by taste, the rest mostly from the first's collection."""
    first = pick_product(taste)
    items = [first]
    for _ in range(count - 1):
        if taste.rng.random() < 0.7:
            items.append(_draw(taste.rng, "collection", _COLLECTION_OF[first[0]]))
        else:
            items.append(pick_product(taste))
    return items


def collection_of(product_id: int) -> str:
    return _COLLECTION_OF[product_id]


def product(product_id: int) -> Product:
    return _BY_ID[product_id]


def consent_preferences(taste: Taste) -> dict[str, bool]:
    """What a person answers on the web shop's consent banner at sign-in (Segment consent
    management categories): analytics mostly yes, personalisation 70 %, advertising 40 %."""
    rng = taste.rng
    return {
        "Analytics": rng.random() < 0.9,
        "Personalization": rng.random() < 0.7,
        "Advertising": rng.random() < 0.4,
    }
