"""A report's sections from its facts: the first text of each section, and the document.

Pure: ``facts`` is the JSON snapshot `pipeline.reports` gathered (figures, chart series,
rows); ``sections`` the texts people edited (``[{"key", "heading", "text"}]``). The text is
a draft the monitor completes: every fact the software cannot know is written as
【待核实：…】. Tables and charts come from the facts, never from edited text, so the
figures in a report always equal the alert's and the digest's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alerts.digest.charts import line_png
from alerts.drafts import pending
from alerts.reports.document import Approval, Chart, ReportDocument, Section, Table

# What the office does about each category (DESIGN §1, seed 四(五)).
SUGGESTIONS = {
    "rumour": ["主动发布权威信息，澄清事实，批驳谣言", "对恶意编造传播者，商请网信、公安部门依法处理"],
    "demand": ["及时回应群众诉求，说明办理进度", "跟踪舆情走势，办结后公开处理结果"],
    "unsolvable": ["客观说明暂时无法解决的原因和政策依据", "做好解释疏导，避免矛盾激化"],
    "criticism": ["表明态度，第一时间调查核实", "及时公布调查处理结果，接受舆论监督"],
    "misunderstanding": ["第一时间发布权威信息和政策解读", "通过官方渠道集中答疑，消除误解"],
    "abuse": ["向平台运营方举报，依法依规处理", "如已广泛传播，公开澄清事实"],
    "emergency": ["立即启动应急响应，按等级报告", "先初报、随时续报，直至事件处置结束"],
    "hot_issue": ["组织权威解读，发布事实和数据", "邀请专家解疑释惑，引导舆论"],
    "other": ["持续关注，研判是否需要回应"],
}
ALERT_SECTIONS = (("basic", "基本情况"), ("analysis", "研判"), ("measures", "已采取措施及处置建议"),
                  ("next", "下一步工作"))
PERIODIC_SECTIONS = (("overview", "总体情况"), ("events", "重点事件及处置"), ("rumours", "谣言及澄清情况"),
                     ("effects", "回应效果评估"), ("sources", "信息源运行情况"), ("next", "下一步工作"))


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _trend_word(values: Sequence[float]) -> str:
    """上升 / 回落 / 平稳 from the last two buckets of a series."""
    if len(values) < 2:
        return "尚难判断（数据不足）"
    last, before = values[-1], values[-2]
    if last > before * 1.2 and last - before >= 2:
        return "仍在上升"
    if last < before * 0.8:
        return "有所回落"
    return "基本平稳"


def _alert_texts(f: dict[str, Any]) -> dict[str, str]:
    a, e, r = f["alert"], f["event"], f["response"]
    sources = "、".join(name for name, _ in e["sources"][:5]) or pending("信息源")
    lines = []
    prev = f.get("previous")
    if prev:
        grade = (f"预警等级由{prev['grade']}级调整为{a['grade']}级" if prev["grade"] != a["grade"]
                 else f"预警等级仍为{a['grade']}级")
        new_sources = "、".join(prev["new_sources"]) if prev["new_sources"] else "无"
        lines.append(f"自上次报告（{prev['at']}，{prev['stage']}）以来，新增相关信息{prev['new_posts']}条，"
                     f"新增信息源：{new_sources}；{grade}。")
    lines.append(f"{e['first_seen']}起，{sources}等{e['source_count']}个信息源出现关于“{e['title']}”的信息。"
                 f"截至{f['as_of']}，共监测到相关信息{e['post_count']}条，热度{e['heat']:.0f}。")
    if e["claim"]:
        lines.append(f"主要内容：{e['claim']}")
    if e.get("hot_ranks"):
        lines.append("热榜情况：" + "；".join(e["hot_ranks"]) + "。")
    reasons = "；".join(a["reasons"]) or "见预警规则"
    analysis = [f"该事件属{a['category_zh']}类舆情，预警等级为{a['grade']}级（{a['grade_zh']}），依据：{reasons}。",
                f"谣言可能性{_pct(e['rumour_score'])}，负面信息占比{_pct(e['negative_share'])}，"
                f"舆情走势{_trend_word(f['series']['posts'])}。",
                pending("研判意见")]
    if r["published_at"]:
        response = f"已于{r['published_at']}发布回应。"
        if r.get("effect"):
            ef = r["effect"]
            response += (f"回应前24小时相关信息{ef['before_posts']}条（负面{_pct(ef['before_negative'])}），"
                         f"回应后{ef['after_posts']}条（负面{_pct(ef['after_negative'])}）。")
    else:
        response = f"回应稿{r['status_zh']}。"
    measures = [f"已采取措施：{response}{pending('已采取的其他措施（核查、报告、约谈等）')}",
                "处置建议：" + "；".join(SUGGESTIONS.get(a["category"], SUGGESTIONS["other"])) + "。"]
    nxt = [f"继续监测该事件舆情，每{f['followup_every']}续报一次，直至事件处置结束。"
           + (f"下次续报时间：{a['next_followup']}。" if a.get("next_followup") else ""),
           f"责任人：{a['monitor'] or pending('监测责任人')}，联系电话：{a['contact'] or pending('联系电话')}。"]
    return {"basic": "\n".join(lines), "analysis": "\n".join(analysis), "measures": "\n".join(measures),
            "next": "\n".join(nxt)}


def _change(now: int, before: int) -> str:
    if before == 0:
        return "上期无数据" if now else "与上期持平"
    return f"较上期{'增长' if now >= before else '下降'}{abs(now - before) / before * 100:.0f}%"


def _periodic_texts(f: dict[str, Any]) -> dict[str, str]:
    t, p, label = f["totals"], f["previous_totals"], f["period"]["label"]
    share = _pct(t["negative"] / t["relevant"] if t["relevant"] else 0)
    overview = [f"{label}，共监测到信息{t['posts']}条，其中相关信息{t['relevant']}条"
                f"（{_change(t['relevant'], p['relevant'])}），负面信息{t['negative']}条，负面占比{share}，"
                f"疑似谣言{t['rumours']}条。",
                f"本期新增预警{f['alerts']['new']}条，办结{f['alerts']['closed']}条，逾期未确认{f['alerts']['overdue']}条。"]
    answered = sum(1 for r in f["rumours"] if r["answered"])
    failed = [s["name"] for s in f["sources"] if s["failed"]]
    return {
        "overview": "\n".join(overview),
        "events": f"本期重点事件{len(f['top_events'])}个，处置情况见下表。" + pending("重点事件研判意见"),
        "rumours": f"本期发现谣言类事件{len(f['rumours'])}个，已回应澄清{answered}个，"
                   f"未回应{len(f['rumours']) - answered}个。",
        "effects": (f"本期发布回应{len(f['effects'])}次，回应前后24小时信息量和负面占比见下表。" if f["effects"]
                    else "本期无已发布的回应。"),
        "sources": (f"采集异常的信息源：{'、'.join(failed)}，数据可能不完整。" if failed
                    else "各信息源采集正常。"),
        "next": pending("下一步工作安排"),
    }


def default_sections(kind: str, facts: dict[str, Any]) -> list[dict[str, str]]:
    """The first text of each section of a report of ``kind`` (alert, weekly, monthly)."""
    names: tuple[tuple[str, str], ...] = ALERT_SECTIONS if kind == "alert" else PERIODIC_SECTIONS
    texts = _alert_texts(facts) if kind == "alert" else _periodic_texts(facts)
    return [{"key": key, "heading": heading, "text": texts[key]} for key, heading in names]


def _alert_extras(f: dict[str, Any]) -> dict[str, tuple[list[Table], list[Chart]]]:
    s, e = f["series"], f["event"]
    unit = "小时" if s["unit"] == "hour" else "日"
    chart = Chart(line_png(s["labels"], {"信息量": s["posts"], "负面信息": s["negative"]},
                           title=f"信息量走势（按{unit}）", size=(6.4, 2.6)), f"图1 “{e['title'][:30]}”信息量走势")
    sources = Table(["信息源", "信息条数"], [[name, str(n)] for name, n in e["sources"][:10]])
    return {"basic": ([sources], [chart])}


def _periodic_extras(f: dict[str, Any]) -> dict[str, tuple[list[Table], list[Chart]]]:
    days = f["days"]
    labels = [d["label"] for d in days]
    volume = Chart(line_png(labels, {"相关信息": [d["relevant"] for d in days],
                                     "负面信息": [d["negative"] for d in days]}, title="相关信息量走势"),
                   "图1 相关信息量走势")
    share = Chart(line_png(labels, {"负面占比": [d["negative"] / d["relevant"] if d["relevant"] else 0.0
                                                for d in days]}, title="负面信息占比走势", ylabel="占比",
                           percent=True), "图2 负面信息占比走势")
    events = Table(["事件", "类别", "相关信息", "负面占比", "预警", "处置情况"],
                   [[ev["title"], ev["category"], str(ev["posts"]), _pct(ev["negative_share"]), ev["grade"] or "—",
                     ev["handling"]] for ev in f["top_events"]])
    rumours = Table(["谣言", "信息条数", "首次发现", "澄清情况"],
                    [[r["title"], str(r["posts"]), r["first_seen"],
                      f"{r.get('answer') or '已澄清'}（{r['answered_at']}）" if r["answered"] else "未回应"]
                     for r in f["rumours"]])
    effects = Table(["事件", "回应时间", "回应前信息量", "回应前负面占比", "回应后信息量", "回应后负面占比"],
                    [[x["title"], x["published"], str(x["before_posts"]), _pct(x["before_negative"]),
                      str(x["after_posts"]), _pct(x["after_negative"])] for x in f["effects"]])
    sources = Table(["信息源", "信息条数", "状态"],
                    [[s["name"], str(s["posts"]), "异常" + (f"（{s['note']}）" if s["note"] else "") if s["failed"]
                      else ("无新信息" if s["silent"] else "正常")] for s in f["sources"]])
    return {"overview": ([], [volume, share]), "events": ([events], []),
            "rumours": ([rumours] if f["rumours"] else [], []), "effects": ([effects] if f["effects"] else [], []),
            "sources": ([sources], [])}


def build_document(*, kind: str, series: str, issue_no: int, year: int, unit: str, date_text: str, title: str,
                   facts: dict[str, Any], sections: list[dict[str, str]], followup_no: int | None,
                   approval: Approval | None, version: int) -> ReportDocument:
    """The document to lay out: edited texts, with the tables and charts drawn from ``facts``."""
    extras = _alert_extras(facts) if kind == "alert" else _periodic_extras(facts)
    built = []
    for s in sections:
        tables, charts = extras.get(s["key"], ([], []))
        built.append(Section(key=s["key"], heading=s["heading"], text=s["text"], tables=tables, charts=charts))
    return ReportDocument(series=series, issue_no=issue_no, year=year, unit=unit, date_text=date_text, title=title,
                          sections=built, followup_no=followup_no if kind == "alert" else None, approval=approval,
                          version=version)
