"""Chinese date forms to timezone-aware datetimes in the source's time zone.

Handles "2024年3月5日 10:32", "2024-03-05", "2024/3/5 10:32:05", ISO 8601 with an offset,
"3月5日 10:32" and "03-05 10:32" (this year, or last year if that would be in the future),
and relative forms that need the crawl's ``now``: "刚刚", "3分钟前", "2小时前", "5天前",
"今天 09:00", "昨天 08:15", "前天 08:15". The first date found in the text wins.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9, "十": 10, "半": 0}
_TIME = r"(?:\s*T?\s*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2}))?)?"
_ISO = re.compile(r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?"
                  r"(?:\.\d+)?(?P<tz>Z|[+-]\d{2}:?\d{2})")
_FULL = re.compile(r"(?P<y>(?:19|20)\d{2})\s*(?:年|-|/|\.)\s*(?P<m>\d{1,2})\s*(?:月|-|/|\.)\s*(?P<d>\d{1,2})"
                   r"\s*(?:日|(?!\d))" + _TIME)
_MONTH_DAY = re.compile(r"(?<![\d年/.-])(?P<m>\d{1,2})\s*(?:月|-|/)\s*(?P<d>\d{1,2})\s*日?(?![\d/-])" + _TIME)
_JUST_NOW = re.compile(r"刚刚|刚才|just now")
_AGO = re.compile(r"(?P<n>\d+|[一二两三四五六七八九十半]+)\s*(?:个)?\s*"
                  r"(?P<unit>秒|分钟|分|小时|钟头|天|日|周|星期|个月|月)\s*(?:之|以)?前")
_DAY_WORD = re.compile(r"(?P<word>今天|今日|昨天|昨日|前天)" + _TIME)
_UNITS = {"秒": "seconds", "分钟": "minutes", "分": "minutes", "小时": "hours", "钟头": "hours",
          "天": "days", "日": "days", "周": "weeks", "星期": "weeks"}
_DAY_OFFSET = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}


def _cn_number(text: str) -> float:
    if text.isdigit():
        return float(text)
    if text == "半":
        return 0.5
    if text.startswith("十"):
        return 10 + (_CN_DIGITS.get(text[1:], 0) if len(text) > 1 else 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN_DIGITS.get(tens, 0) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return float(_CN_DIGITS.get(text, 0))


def _clock(match: re.Match[str]) -> tuple[int, int, int]:
    hour = int(match.group("H") or 0)
    minute = int(match.group("M") or 0)
    second = int(match.group("S") or 0)
    return hour, minute, second


def _build(tz: tzinfo, year: int, month: int, day: int, hms: tuple[int, int, int]) -> datetime | None:
    try:
        return datetime(year, month, day, *hms, tzinfo=tz)
    except ValueError:
        return None


def parse_date(text: str | None, tz: tzinfo, now: datetime) -> datetime | None:
    """The first date in ``text`` as an aware datetime in ``tz``; None when there is none.

    ``now`` (aware) anchors the relative forms and the year of "03-05 10:32".
    """
    if not text:
        return None
    text = text.strip()
    local_now = now.astimezone(tz)
    iso = _ISO.search(text)
    if iso:
        stamp = iso.group(0).replace("Z", "+00:00")
        if stamp[-3] != ":" and stamp[-5] in "+-":
            stamp = stamp[:-2] + ":" + stamp[-2:]
        try:
            return datetime.fromisoformat(stamp.replace(" ", "T")).astimezone(tz)
        except ValueError:
            pass
    full = _FULL.search(text)
    if full:
        return _build(tz, int(full.group("y")), int(full.group("m")), int(full.group("d")), _clock(full))
    if _JUST_NOW.search(text):
        return local_now
    ago = _AGO.search(text)
    if ago:
        amount = _cn_number(ago.group("n"))
        unit = ago.group("unit")
        if unit in ("个月", "月"):
            return local_now - timedelta(days=30 * amount)
        return local_now - timedelta(**{_UNITS[unit]: amount})
    word = _DAY_WORD.search(text)
    if word:
        day = (local_now - timedelta(days=_DAY_OFFSET[word.group("word")])).date()
        return _build(tz, day.year, day.month, day.day, _clock(word))
    month_day = _MONTH_DAY.search(text)
    if month_day:
        month, day_of_month = int(month_day.group("m")), int(month_day.group("d"))
        found = _build(tz, local_now.year, month, day_of_month, _clock(month_day))
        if found is not None and found > local_now + timedelta(days=1):
            found = _build(tz, local_now.year - 1, month, day_of_month, _clock(month_day))
        return found
    return None


_LABELLED = re.compile(r"(?:发布时间|发布日期|发表时间|发表于|更新时间|时间|日期|發布時間|發佈日期|日期)\s*[:：]?\s*"
                       r"(?P<when>(?:19|20)\d{2}\s*[年/.-]\s*\d{1,2}\s*[月/.-]\s*\d{1,2}\s*日?(?:\s*\d{1,2}\s*[:：]"
                       r"\s*\d{1,2}(?:\s*[:：]\s*\d{1,2})?)?)")


def labelled_date(text: str, tz: tzinfo, now: datetime) -> datetime | None:
    """The date a page labels as its own ("发布时间：2024-03-05 10:32"), or None; what a page
    says next to its title beats its metadata, which often holds the day only."""
    match = _LABELLED.search(text)
    return parse_date(match.group("when"), tz, now) if match else None
