"""Which language a feedback text is written in, from the scripts of its letters.

Our customers write English and Chinese; a text counts as Chinese when CJK ideographs make up
at least half of its letters, a Latin letter weighing a third of an ideograph (which is
closer to a word): "APP一打开就闪退" and "买了iPhone 15的壳，质量很好" are Chinese, "Love the 小笼包
here" is English.
Kana makes it Japanese and Hangul Korean (stored, not analysed); a text with no letters is
`und` (undetermined, as in BCP 47). Latin-script text is taken as English: no other language
is analysed, so telling French from English would change nothing downstream.
"""

from __future__ import annotations

__all__ = ["detect_language"]


def _is_cjk(code: int) -> bool:
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF


def detect_language(text: str | None) -> str:
    """`en`, `zh`, `ja`, `ko` or `und`."""
    cjk = latin = kana = hangul = 0
    for char in text or "":
        code = ord(char)
        if _is_cjk(code):
            cjk += 1
        elif 0x3040 <= code <= 0x30FF:
            kana += 1
        elif 0xAC00 <= code <= 0xD7AF:
            hangul += 1
        elif char.isalpha() and code < 0x250:
            latin += 1
    if kana and kana >= (cjk + kana) * 0.2:
        return "ja"
    if hangul and hangul >= latin / 3:
        return "ko"
    if cjk and cjk >= (cjk + latin / 3) * 0.5:
        return "zh"
    if latin:
        return "en"
    return "zh" if cjk else "und"
