"""The inbox filter from a request's query string, shared by the page, the CSV export and the API.

Values are kept as strings and bound as parameters by the store; anything that does not
parse (a bad date, a page that is not a number) is ignored rather than refused; a page
number out of range is refused (422, `review.params`). With no
``since``/``until`` in the query, the inbox shows the last ``review.inbox_days`` days; an
empty ``since=`` means "from the beginning". ``scope=all`` lists every stored post, not only
the flagged ones; a search the index cannot answer looks at recent days only
(`InboxFilter.bounded`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from starlette.datastructures import QueryParams

from pipeline.config import Config
from pipeline.store.inbox import InboxFilter
from review.params import MAX_PAGE, bounded_int

TEXT_PARAMS = ("topic", "category", "grade", "status", "source", "q", "sort", "scope")
MAX_TEXT = 200


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return None


def inbox_filter(params: QueryParams, config: Config, now: datetime, *, per_page: int = 50) -> InboxFilter:
    text = {name: (params.get(name) or "")[:MAX_TEXT] for name in TEXT_PARAMS}
    if "since" in params or "until" in params:
        since, until = _date(params.get("since")), _date(params.get("until"))
    else:
        since, until = now.astimezone(config.tz).date() - timedelta(days=config.review.inbox_days - 1), None
    return InboxFilter(
        topic=text["topic"], category=text["category"], grade=text["grade"], status=text["status"],
        source=text["source"], q=text["q"], sort=text["sort"] or "time", since=since, until=until,
        page=bounded_int(params.get("page"), 1, name="page", high=MAX_PAGE),
        per_page=bounded_int(params.get("per_page"), per_page, name="per_page"), scope=text["scope"] or "flagged",
        threshold=config.nlp.relevance_threshold,
    ).normalised().bounded(now.astimezone(config.tz).date())


def filter_params(f: InboxFilter) -> dict[str, str]:
    """The query parameters that reproduce ``f`` (for links: pages, sorting, export)."""
    out = {name: getattr(f, name) or "" for name in TEXT_PARAMS}
    out["since"] = f.since.isoformat() if f.since else ""
    out["until"] = f.until.isoformat() if f.until else ""
    return out
