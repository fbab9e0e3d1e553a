"""What people write about the brand on X, in English or Chinese (the demo's feedback).

`mention_text` keeps the mood the world drew for a mention (complaint, praise or question)
and words it in the person's language: people of East Asian households write Chinese seven
times in ten, others about one time in eight. The wording is chosen with a random generator
of its own, seeded by the tweet, so the rest of the world (drawn from the world's generator)
is the same as without it. The texts touch several topics (delivery, price, quality,
service, returns, the app, payment, sizes) so the demo's feedback views have something to
show.
"""

from __future__ import annotations

import random

from cdp.synthetic._model import Person

__all__ = ["MOODS", "mention_text"]

_ENGLISH: dict[str, tuple[str, ...]] = {
    "complaint": (
        "order {order} still hasn't arrived, tracking stuck for a week",
        "charged twice for order {order}. please sort this out",
        "the jacket from order {order} came with a broken zip, really disappointed",
        "waited 40 min on your support line and got cut off. awful",
        "returned my boots a month ago and still no refund",
        "your app logs me out every time I try to pay",
        "the {city} store staff were rude when I asked about my return",
        "shoes run way too small, and the return label costs money?!",
        "prices went up again and the quality went down",
        "box arrived crushed and the mug inside was smashed",
    ),
    "praise": (
        "fast delivery and the packaging was perfect, thanks!",
        "love my new trail runners, so comfortable",
        "shoutout to the team in {city}, super helpful today",
        "great quality for the price, ordering another one",
        "refund came through in two days, easy returns. impressed",
        "the new app update makes checkout so quick",
        "the sizing guide was spot on, fits perfectly",
    ),
    "question": (
        "do you ship to Canada?",
        "when is the next sale?",
        "is the rain jacket true to size?",
        "can I return an online order at the {city} store?",
        "do you take Apple Pay in the app?",
        "how long does delivery to {city} usually take?",
    ),
}
_CHINESE: dict[str, tuple[str, ...]] = {
    "complaint": (
        "订单{order}一个星期了还没发货，物流一直不更新",
        "同一个订单被扣了两次钱，请尽快退款",
        "收到的外套拉链是坏的，太失望了",
        "客服电话打了半小时都没人接，服务太差",
        "退货寄回去半个月了，退款还没到账",
        "APP付款的时候老是闪退",
        "鞋子偏小一码，换货还要自己出运费？",
        "价格涨了，质量反而变差了",
        "快递箱子压扁了，杯子碎了",
    ),
    "praise": (
        "物流很快，包装也很用心，谢谢！",
        "跑鞋很舒服，非常喜欢",
        "{city}门店的店员很热情，帮了大忙",
        "质量很好，性价比高，还会回购",
        "退款两天就到账了，售后很给力",
        "新版APP结账很方便，好评",
        "尺码表很准，穿着刚刚好",
    ),
    "question": (
        "请问可以寄到加拿大吗？",
        "下次促销是什么时候？",
        "这件雨衣尺码标准吗？",
        "网上买的可以去{city}门店退吗？",
        "APP支持支付宝付款吗？",
        "寄到{city}一般几天能到？",
    ),
}
MOODS = ("complaint", "praise", "question")


def _writes_chinese(person: Person, rng: random.Random) -> bool:
    return rng.random() < (0.7 if person.culture == "east_asian" else 0.12)


def mention_text(mood: str, person: Person, *, key: str, order: str, city: str) -> str:
    """A mention with this mood (`complaint`, `praise` or `question`) in the person's
    language; `key` (the tweet's id) seeds the choice of words."""
    if mood not in MOODS:
        raise ValueError(f"mood {mood!r} is not one of {', '.join(MOODS)}")
    rng = random.Random(f"mention:{key}")
    pool = _CHINESE if _writes_chinese(person, rng) else _ENGLISH
    return rng.choice(pool[mood]).format(order=order, city=city)
