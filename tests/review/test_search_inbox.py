"""Search in the review app: scope switch, expressions, highlights, short terms, exports, 试运行专题."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from pipeline.models import Post
from pipeline.store.search import SHORT_QUERY_DAYS
from tests.review.builders import NOW, add_item


@pytest.fixture
def posts(db):  # type: ignore[no-untyped-def]
    with db() as s, s.begin():
        add_item(s, title="网传二孩罚款十万", text="网传新规二孩罚款十万，纯属谣言",
                 published_at=NOW - timedelta(hours=2))
        add_item(s, title="明星<script>二胎", text="某明星晒二胎，与罚款无关", relevant=False,
                 published_at=NOW - timedelta(hours=3))
        add_item(s, title="去年的旧闻", text="去年也有人说二孩罚款十万", relevant=False,
                 published_at=NOW - timedelta(days=200))
        add_item(s, title="育儿补贴", text="x" * 400 + "补贴终于到账了", relevant=False,
                 published_at=NOW - timedelta(days=1))
        s.execute(update(Post).values(processed_at=NOW))  # analysed: in the search index


def test_scope_all_finds_posts_that_are_not_flagged_over_all_dates(posts, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for("ana")
    flagged = client.get("/api/inbox", params={"q": "罚款十万", "since": ""}).json()
    assert [i["title"] for i in flagged["items"]] == ["网传二孩罚款十万"]
    everything = client.get("/api/inbox", params={"q": "罚款十万", "since": "", "scope": "all"}).json()
    assert [i["title"] for i in everything["items"]] == ["网传二孩罚款十万", "去年的旧闻"]
    assert not everything["narrowed"]
    boolean = client.get("/api/inbox", params={"q": "罚款十万 AND NOT 谣言", "since": "", "scope": "all"}).json()
    assert [i["title"] for i in boolean["items"]] == ["去年的旧闻"] and not boolean["narrowed"]
    short = client.get("/api/inbox", params={"q": "罚款 AND NOT 谣言", "since": "", "scope": "all"}).json()
    assert [i["title"] for i in short["items"]] == ["明星<script>二胎"] and short["narrowed"], "the last 7 days"


def test_highlights_are_offsets_into_the_stored_text(posts, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for("ana")
    items = client.get("/api/inbox", params={"q": "到账 OR 罚款", "since": "", "scope": "all"}).json()["items"]
    assert items
    texts = {i["post_id"]: i for i in items}
    full = {"育儿补贴": "x" * 400 + "补贴终于到账了", "网传二孩罚款十万": "网传新规二孩罚款十万，纯属谣言"}
    for item in texts.values():
        for mark in item["highlights"]:
            stored = item["title"] if mark["field"] == "title" else full.get(item["title"])
            if stored is not None:
                assert stored[mark["start"]:mark["end"]] in ("到账", "罚款")
    far = next(i for i in items if i["title"] == "育儿补贴")
    assert {"field": "text", "start": 404, "end": 406} in far["highlights"], "beyond the excerpt"


def test_one_character_query_works_and_the_page_says_the_window(posts, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for("ana")
    api = client.get("/api/inbox", params={"q": "罚", "since": "", "scope": "all"}).json()
    assert api["narrowed"] and api["since"] == (NOW.date() - timedelta(days=SHORT_QUERY_DAYS - 1)).isoformat()
    assert {i["title"] for i in api["items"]} == {"网传二孩罚款十万", "明星<script>二胎"}, "not last year's"
    html = client.get("/inbox", params={"q": "罚", "since": "", "scope": "all"}).text
    assert "少于三个字" in html and "<mark" in html
    assert "明星&lt;script&gt;二胎" in html and "<script>二胎" not in html, "crawled text stays escaped"


def test_a_bad_expression_is_a_clear_error(posts, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for("ana")
    api = client.get("/api/inbox", params={"q": "(罚款 OR"})
    assert api.status_code == 422 and "position" in api.json()["detail"]
    page = client.get("/inbox", params={"q": "(罚款 OR"})
    assert page.status_code == 400 and "检索式有误" in page.text


def test_exports_carry_the_search(posts, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for("ana")
    params = {"q": "罚款十万", "since": "", "scope": "all"}
    csv_text = client.get("/inbox.csv", params=params).content.decode("utf-8-sig")
    assert "网传二孩罚款十万" in csv_text and "去年的旧闻" in csv_text and "育儿补贴" not in csv_text
    book = load_workbook(io.BytesIO(client.get("/inbox.xlsx", params=params).content))
    titles = [row[2] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert titles == ["网传二孩罚款十万", "去年的旧闻"]


def test_trial_run_counts_matches_per_day(posts, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for("ana")
    html = client.get("/inbox/trial", params={"q": "罚款 OR 到账"}).text
    assert "共命中 <strong>3</strong> 条" in html, "last year's post is outside the 30 days"
    assert html.count("<meter") == 30 and "<mark" in html
    bad = client.get("/inbox/trial", params={"q": "NEAR/3"})
    assert bad.status_code == 400 and "检索式有误" in bad.text
