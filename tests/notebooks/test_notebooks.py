"""The analysts' notebooks, executed as notebooks against a database the real demo loop seeded.

Each jupytext percent script in ``notebooks/`` is read into a notebook, its parameters cell is
followed by an injected one (``CONFIG = <the demo's config>``, …), as papermill does, and it is
run by nbclient on an ipykernel of the interpreter running the tests. A last probe cell, added
here and not part of the notebook, prints the notebook's key results as JSON for the assertions.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from sqlalchemy import select

from alerts.grades import Grade
from pipeline.config import Config
from pipeline.db import engine_from_config, session_factory, transaction
from pipeline.demo.run import run_demo
from pipeline.models import Alert, Event, Post, ResponseDraft
from pipeline.store.review_actions import add_labels, edit_draft, move_alert

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
KERNEL = "yuqing-notebook-test"

# A small labelled sample for the rumour model (invented texts): 4 rumours, 4 not.
RUMOUR_SAMPLE = [
    ("紧急扩散！新规生二胎要交10万超生费，下月起执行，不交不给上户口", 1),
    ("内部消息：明年起独生子女家庭奖励全部取消，赶紧转给身边的人", 1),
    ("听说三孩家庭要强制结扎，已经有人收到通知了，千万别不当回事", 1),
    ("网传育儿补贴要先交500元手续费才能领，大家转发提醒", 1),
    ("市卫健委发布育儿补贴申领指南，每名三周岁以下婴幼儿每年补贴3600元", 0),
    ("今年前三季度全市出生人口同比下降4.2%，人口老龄化程度加深", 0),
    ("网传二孩罚款10万？记者求证：系谣言，国家已取消社会抚养费", 0),
    ("失独家庭特别扶助金标准提高到每人每月800元，下月起发放", 0),
]


@dataclass
class Seeded:
    config_path: Path
    config: Config
    posts: int
    relevant: int
    alert_event: int  # the event of the most severe alert, which the analysts worked on
    labelled: dict[int, str]  # post id → its latest rumour label


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """The demo's crawl-to-digest loop, then some analysts' work: an alert acknowledged, its draft
    edited and submitted, rumour labels on posts (one post relabelled: the latest label wins)."""
    summary, config = run_demo(tmp_path_factory.mktemp("demo"))
    assert summary.posts and not summary.crawl_errors, summary
    engine = engine_from_config(config)
    try:
        with transaction(session_factory(engine)) as session:
            alerts = list(session.scalars(select(Alert)))
            top = min(alerts, key=lambda a: Grade(a.grade).rank)
            move_alert(session, top.id, "acknowledged", actor="monitor")
            draft = session.scalars(select(ResponseDraft).where(ResponseDraft.alert_id == top.id)).one()
            edit_draft(session, draft.id, draft.body + "\n（已核实）", actor="analyst")
            posts = list(session.scalars(select(Post).order_by(Post.id)))
            labelled: dict[int, str] = {}
            for post in posts[:5]:
                labelled[post.id] = "1" if "紧急扩散" in post.title else "0"
                add_labels(session, post.id, {"rumour": labelled[post.id]}, user="analyst")
            add_labels(session, posts[0].id, {"rumour": "1"}, user="approver")
            labelled[posts[0].id] = "1"
            alert_event = top.event_id
    finally:
        engine.dispose()
    return Seeded(summary.paths.config, config, summary.posts, summary.relevant, alert_event, labelled)


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory: pytest.TempPathFactory) -> KernelSpecManager:
    """A kernel spec for this very interpreter, so no other installed ``python3`` spec can be picked."""
    folder = tmp_path_factory.mktemp("kernels")
    (folder / KERNEL).mkdir()
    (folder / KERNEL / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "yuqing tests", "language": "python"}))
    return KernelSpecManager(kernel_dirs=[str(folder)])


def execute(name: str, params: dict[str, Any], probe: str, specs: KernelSpecManager,
            cwd: Path) -> tuple[nbformat.NotebookNode, Any]:
    """Run ``notebooks/<name>.py`` with ``params`` injected; returns it and the probe's JSON value."""
    nb = jupytext.read(NOTEBOOKS / f"{name}.py")
    tagged = [i for i, cell in enumerate(nb.cells) if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name}: expected one cell tagged 'parameters'"
    assert "CONFIG = " in nb.cells[tagged[0]].source
    injected = "\n".join(f"{key} = {value!r}" for key, value in params.items())
    nb.cells.insert(tagged[0] + 1, nbformat.v4.new_code_cell(injected, metadata={"tags": ["injected-parameters"]}))
    nb.cells.append(nbformat.v4.new_code_cell(f"import json\nprint(json.dumps({probe}, default=str))"))
    km = KernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)
    NotebookClient(nb, km=km, timeout=120, resources={"metadata": {"path": str(cwd)}}).execute()
    return nb, json.loads(nb.cells[-1].outputs[-1]["text"])


def outputs(nb: nbformat.NotebookNode) -> list[Any]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]


def check_chart(nb: nbformat.NotebookNode) -> None:
    """A PNG chart was shown, and matplotlib found a glyph for every Chinese character on it."""
    assert any("image/png" in out.get("data", {}) for out in outputs(nb))
    stderr = "".join(out["text"] for out in outputs(nb) if out.get("name") == "stderr")
    assert "missing from font" not in stderr, stderr


def test_topic_trends(seeded: Seeded, kernel_specs: KernelSpecManager, tmp_path: Path) -> None:
    nb, got = execute("topic_trends", {"CONFIG": str(seeded.config_path), "DAYS": 7},
                      "{'daily': daily.reset_index().to_dict('records'), 'trend': trend.to_dict('records'),"
                      " 'chart_days': len(counts), 'today': today}", kernel_specs, tmp_path)
    check_chart(nb)
    assert got["chart_days"] == 7

    engine = engine_from_config(seeded.config)
    with session_factory(engine)() as session:
        published = [p.published_at or p.fetched_at for p in session.scalars(select(Post))]
    engine.dispose()
    expected = Counter(str(t.astimezone(seeded.config.tz).date()) for t in published)
    assert {row["day"]: row["posts"] for row in got["daily"]} == expected
    assert sum(row["relevant"] for row in got["daily"]) == seeded.relevant
    today = date.fromisoformat(got["today"])
    assert date.fromisoformat(max(expected)) >= today - timedelta(days=1)  # the newest posts are minutes old
    for row in got["daily"] + got["trend"]:
        assert 0 <= row["relevant_share"] <= 1 and 0 <= row["negative_share"] <= 1
        assert row["negative"] <= row["relevant"] <= row["posts"]
    topics = {row["topic"] for row in got["trend"]}
    # the demo has a 10万 超生费 rumour and 育儿补贴 complaints; its gossip matches no topic
    assert {"社会抚养费", "生育政策", "无主题"} <= topics, topics
    assert sum(row["posts"] for row in got["trend"] if row["topic"] == "无主题") >= 1


def test_event_timeline_of_the_most_severe_alert(seeded: Seeded, kernel_specs: KernelSpecManager,
                                                 tmp_path: Path) -> None:
    nb, got = execute("event_timeline", {"CONFIG": str(seeded.config_path)},
                      "{'event': EVENT_ID, 'posts': posts['post_id'].tolist(), 'sources': posts['source'].tolist(),"
                      " 'total': int(timeline['total so far'].iloc[-1]), 'grade': alert['grade'],"
                      " 'history': history['what'].tolist(), 'drafts': drafts['version'].tolist(),"
                      " 'revisions': revisions['action'].tolist()}", kernel_specs, tmp_path)
    check_chart(nb)
    assert got["event"] == seeded.alert_event
    engine = engine_from_config(seeded.config)
    with session_factory(engine)() as session:
        event_posts = list(session.scalars(select(Post).where(Post.event_id == seeded.alert_event)))
        alert = session.scalars(select(Alert).where(Alert.event_id == seeded.alert_event)).one()
    engine.dispose()
    assert sorted(got["posts"]) == sorted(p.id for p in event_posts)
    assert sorted(got["sources"]) == sorted(p.source.name for p in event_posts)
    assert got["total"] == len(event_posts)
    assert got["grade"] == f"{alert.grade}级 {Grade(alert.grade).name_zh}"
    # the first notice (the grade first raised; a hot list may have raised it since), then the acknowledgement
    assert got["history"][0].endswith("级 预警通知") and f"{alert.grade}级 预警通知" in got["history"]
    assert "alert_status" in got["history"]
    assert got["drafts"] == [2]
    assert got["revisions"] == ["create", "edit"]


def test_event_timeline_of_an_event_without_alert(seeded: Seeded, kernel_specs: KernelSpecManager,
                                                  tmp_path: Path) -> None:
    engine = engine_from_config(seeded.config)
    with session_factory(engine)() as session:
        quiet = session.scalars(select(Event.id).where(Event.id.not_in(select(Alert.event_id)))
                                .order_by(Event.id)).first()
        assert quiet is not None
        n_posts = len(session.scalars(select(Post.id).where(Post.event_id == quiet)).all())
    engine.dispose()
    _, got = execute("event_timeline", {"CONFIG": str(seeded.config_path), "EVENT_ID": quiet, "FREQ": "15min"},
                     "{'posts': len(posts), 'alert': alert.empty, 'history': len(history), 'drafts': len(drafts)}",
                     kernel_specs, tmp_path)
    assert got == {"posts": n_posts, "alert": True, "history": 0, "drafts": 0}


def test_model_evaluation(seeded: Seeded, kernel_specs: KernelSpecManager, tmp_path: Path) -> None:
    data = tmp_path / "rumour-sample.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": lb}, ensure_ascii=False) + "\n"
                            for t, lb in RUMOUR_SAMPLE), encoding="utf-8")
    nb, got = execute("model_evaluation", {"CONFIG": str(seeded.config_path), "MODEL": "rumour", "DATA": str(data)},
                      "{'metrics': metrics.to_dict('index'), 'matrices': {k: m.values.tolist() for k, m in"
                      " matrices.items()}, 'classes': list(model.classes), 'mistakes': len(mistakes)}",
                      kernel_specs, tmp_path)
    check_chart(nb)
    assert got["classes"] == ["0", "1"]
    sizes = {data.name: len(RUMOUR_SAMPLE), "analysts' labels": len(seeded.labelled)}
    assert got["matrices"].keys() == sizes.keys()
    wrong = 0
    for name, matrix in got["matrices"].items():
        n = sum(map(sum, matrix))
        correct = matrix[0][0] + matrix[1][1]
        assert n == sizes[name] == got["metrics"][name]["n"], name
        assert correct / n == pytest.approx(got["metrics"][name]["accuracy"]), name
        wrong += n - correct
    assert got["mistakes"] == wrong
    # the analysts' labels: 1 for the relabelled post and the 10万 rumour, 0 for the rest
    truth = got["matrices"]["analysts' labels"]
    assert [sum(truth[0]), sum(truth[1])] == [list(seeded.labelled.values()).count("0"),
                                              list(seeded.labelled.values()).count("1")]
