"""The inbox page and its CSV export: filters, counts, sorting, pagination."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from pipeline.sheets import HEADER_ROW
from tests.review.builders import NOW, add_alert, add_event, add_item


@pytest.fixture
def seeded(db):  # type: ignore[no-untyped-def]
    with db() as s, s.begin():
        hot = add_event(s, title="网传超生罚款十万")
        add_alert(s, hot, grade="I", status="new", category="rumour", rule="rumour-rule")
        add_item(s, title="网传二孩罚款十万", text="网传新规二孩罚款十万，纯属谣言", category="rumour", rumour=0.95,
                 source="weibo", event=hot, published_at=NOW - timedelta(hours=2))
        calm = add_event(s, title="补贴")
        add_alert(s, calm, grade="IV", status="responding")
        for n in range(5):
            add_item(s, title=f"育儿补贴咨询{n}", text="请问育儿补贴怎么办理", source="city-news", event=calm,
                     published_at=NOW - timedelta(hours=3 + n), relevance=0.6 + n / 100)
        add_item(s, title="不相关的明星二胎", text="某明星晒二胎", relevant=False, source="weibo")
        add_item(s, title="上个月的旧闻", text="生育登记", source="city-news", published_at=NOW - timedelta(days=30))
        add_item(s, title="其他专题", text="人口老龄化", source="forum", topics=["ageing"])


def titles(html: str) -> set[str]:
    import re

    return set(re.findall(r'<a href="/items/\d+">([^<]+)</a>', html))


def test_inbox_lists_flagged_items_of_the_last_days_with_counts(seeded, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for("ana")
    html = client.get("/inbox").text
    shown = titles(html)
    assert "网传二孩罚款十万" in shown and "育儿补贴咨询0" in shown and "其他专题" in shown
    assert "不相关的明星二胎" not in shown, "not flagged"
    assert "上个月的旧闻" not in shown, "older than review.inbox_days"
    assert "共 7 条" in html
    api = client.get("/api/inbox").json()
    assert api["total"] == 7
    assert api["counts"]["source"] == {"city-news": 5, "weibo": 1, "forum": 1}
    assert api["counts"]["grade"] == {"IV": 5, "I": 1}
    assert api["counts"]["status"] == {"responding": 5, "new": 1, "none": 1}


def test_filters_combine_and_counts_are_faceted(seeded, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for("ana")
    data = client.get("/api/inbox", params={"source": "city-news", "grade": "I"}).json()
    assert data["total"] == 0
    data = client.get("/api/inbox", params={"source": "weibo"}).json()
    assert [i["title"] for i in data["items"]] == ["网传二孩罚款十万"]
    # the source facet still counts every source (all other filters kept)
    assert data["counts"]["source"] == {"city-news": 5, "weibo": 1, "forum": 1}
    assert data["counts"]["category"] == {"rumour": 1}
    assert client.get("/api/inbox", params={"status": "none"}).json()["total"] == 1
    assert client.get("/api/inbox", params={"category": "rumour"}).json()["total"] == 1
    assert client.get("/api/inbox", params={"topic": "ageing"}).json()["total"] == 1
    assert client.get("/api/inbox", params={"q": "怎么办理"}).json()["total"] == 5
    assert client.get("/api/inbox", params={"since": ""}).json()["total"] == 8, "empty since: everything"
    old = client.get("/api/inbox", params={"since": "2026-02-01", "until": "2026-02-28"}).json()
    assert [i["title"] for i in old["items"]] == ["上个月的旧闻"]


def test_sorting_and_pagination(seeded, client_for):  # type: ignore[no-untyped-def]
    client, _ = client_for("ana")
    by_time = [i["title"] for i in client.get("/api/inbox", params={"per_page": 3}).json()["items"]]
    assert by_time[0] == "其他专题"  # published an hour ago, the newest
    by_rumour = client.get("/api/inbox", params={"sort": "rumour"}).json()["items"]
    assert by_rumour[0]["title"] == "网传二孩罚款十万"
    by_grade = client.get("/api/inbox", params={"sort": "grade"}).json()["items"]
    assert by_grade[0]["grade"] == "I" and by_grade[-1]["grade"] is None
    pages = [client.get("/api/inbox", params={"per_page": 3, "page": p}).json() for p in (1, 2, 3)]
    seen = [i["post_id"] for page in pages for i in page["items"]]
    assert len(seen) == len(set(seen)) == 7 and pages[0]["pages"] == 3
    html = client.get("/inbox", params={"per_page": 3, "page": 2}).text
    assert "第 2 / 3 页" in html and "下一页" in html and "上一页" in html


@pytest.mark.parametrize("fragment", ["' OR '1'='1", "1; DROP TABLE posts; --", "\" OR 1=1 --", "%", "_",
                                      "') UNION SELECT * FROM users --"])
def test_sql_fragments_in_filters_change_nothing(fragment, seeded, client_for, db):  # type: ignore[no-untyped-def]
    client, _ = client_for("ana")
    for name in ("topic", "category", "grade", "status", "source", "q", "sort"):
        response = client.get("/api/inbox", params={name: fragment})
        if name == "q" and response.status_code == 422:  # q is a search expression: this one does not parse
            assert "position" in response.json()["detail"]
            continue
        assert response.status_code == 200
        expected = 7 if name == "sort" else 0
        assert response.json()["total"] == expected, (name, fragment)
    page = client.get("/inbox", params={"q": fragment, "since": fragment, "page": fragment})
    assert page.status_code == 200 or (page.status_code == 400 and "检索式有误" in page.text)
    assert client.get("/api/inbox").json()["total"] == 7, "the tables are intact"


def test_csv_export_has_bom_and_the_filtered_rows(seeded, client_for, db):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from pipeline.models import AuditEntry

    client, _ = client_for("ana")
    response = client.get("/inbox.csv", params={"source": "city-news"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 5 and {r["来源"] for r in rows} == {"city-news"}
    assert rows[0]["发布时间"].endswith("+08:00")
    # the same columns, headers and values as `yuqing export --format csv`
    assert tuple(rows[0]) == HEADER_ROW
    assert rows[0]["情感"] in ("负面", "中性", "正面") and rows[0]["相关度"].endswith("%")
    with db() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
        assert entry.user == "ana" and entry.detail["rows"] == 5 and entry.detail["filter"]["source"] == "city-news"
