"""Helpers for the daemon's fault and end-to-end tests (also used by bench/latency.py).

A news site whose list grows while the daemon runs, a server that accepts connections and
never answers, a config file written to disk (the daemon and its crawl processes read it),
`yuqing run` as a real subprocess, and a bounded wait that polls instead of sleeping.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from sqlalchemy import Engine

from tests.crawlers.conftest import list_page
from tests.crawlers.site import Site, html_page, serve

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")

# Rumours about family planning, each on its own subject so each forms its own event (one alert each).
RUMOURS = [
    ("紧急扩散！新规生二胎要交10万超生费",
     "紧急扩散！！据内部消息，计生办下发通知，从下个月开始生二胎的家庭每户要交10万元社会抚养费，"
     "不交的孩子不给上户口，家里有二胎的赶紧转发周知！！"),
    ("网传三孩家庭育儿补贴全部取消",
     "刚刚听说的内部消息，三孩家庭的育儿补贴从本月起全部取消，已经领过的还要退回，"
     "卫健委已经下发文件了，大家赶紧转发，别被蒙在鼓里！"),
    ("网传生育登记要交五千元押金",
     "紧急通知！听说现在去办生育登记，每个家庭都要先交五千元押金，不交就不给登记，"
     "孩子以后上不了户口，这是内部消息，大家相互转告！"),
    ("网传失独家庭特别扶助金被挪用",
     "爆料！据知情人透露，本市失独家庭的特别扶助金被计生干部挪用了，今年一分钱都不会发，"
     "消息千真万确，请大家转发扩散！"),
    ("网传生育保险不再报销顺产费用",
     "震惊！有人说从下月起生育保险不再报销顺产费用，生孩子全部自费，医保局和卫健委已经内部通知，"
     "准备生孩子的赶紧转发！"),
    ("网传超生罚款恢复按年收入三倍征收",
     "内部消息：超生罚款要恢复了，按家庭年收入的三倍征收，明年一月一日开始执行，"
     "计生办已经开始摸底登记，家里有三个孩子的赶紧转发！"),
    ("网传生育津贴只发给城镇户口",
     "网上疯传：生育津贴以后只发给城镇户口的妈妈，农村户口一律不发，据说是卫健委刚定的新规，"
     "消息可靠，大家快转发！"),
    ("网传出生性别比超标要强制上环",
     "听说因为出生性别比超标，计生办要求所有生过两个孩子的妇女强制上环，不去的罚款两万，"
     "这是内部传出来的消息，赶紧扩散！"),
    ("网传少生快富补助要全部追回",
     "紧急扩散：少生快富工程的补助款要全部追回，领过的家庭每户要退还三万元，计生部门已经挨家挨户核查，"
     "这是内部消息，请转发！"),
    ("网传独生子女父母奖励扶助金明年停发",
     "紧急扩散！据内部消息，独生子女父母的奖励扶助金明年开始停发，计生办已经下发通知，"
     "已经领过的还要退回，家里有老人的赶紧转发周知！！"),
]


def wait_until(predicate: Callable[[], T], timeout: float, *, interval: float = 0.2,
               what: str = "condition") -> T:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


@dataclass
class NewsSite:
    """A list page (/news/) that links to every published article; articles can be added live."""

    site: Site
    articles: list[str] = field(default_factory=list)

    def publish(self, title: str, body: str, *, when: str = "1分钟前") -> str:
        path = f"/news/{len(self.articles) + 1}.html"
        self.site.add(path, html_page(title, f'<h1>{title}</h1><div class="byline">作者：<a class="author">网友</a> '
                                        f'发布时间：{when}</div><div class="article"><p>{body}</p></div>'))
        self.articles.append(path)
        self.site.add("/news/", list_page(list(reversed(self.articles))))
        return self.site.url(path)

    @property
    def start_url(self) -> str:
        return self.site.url("/news/")


@contextmanager
def news_site() -> Iterator[NewsSite]:
    site = Site()
    site.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    site.add("/news/", list_page([]))
    with serve(site):
        yield NewsSite(site)


@contextmanager
def hanging_server() -> Iterator[str]:
    """A server that accepts connections and never answers; yields its base URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


def list_source(name: str, start_url: str, *, every: str = "30s") -> dict[str, Any]:
    return {"name": name, "kind": "list", "start_urls": [start_url], "every": every,
            "selectors": {"links": "ul.list a::attr(href)", "title": "h1::text", "body": "div.article",
                          "author": ".byline a.author::text", "time": ".byline"}}


FAST_CRAWL: dict[str, Any] = {
    "download_delay": 0, "autothrottle": False, "concurrency_per_domain": 8, "timeout": "5s",
    "retries": 0, "retry_backoff": "0.05s", "run_time_limit": "60s", "contact": "daemon-test@example.org",
}


def write_config(folder: Path, db_url: str, *, sources: list[dict[str, Any]], smtp_port: int,
                 **sections: Any) -> Path:
    """The repository's example config with local sources, database and SMTP server; returns its path."""
    data: dict[str, Any] = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data["data_dir"] = str(folder / "var")
    data["storage"] = {"url": db_url, "busy_timeout_s": 5}
    data["crawl"] = {**data["crawl"], **FAST_CRAWL, **sections.pop("crawl", {})}
    data["sources"] = sources
    data["smtp"] = {"host": "127.0.0.1", "port": smtp_port, "security": "none", "timeout": "10s",
                    "sender": "舆情监测 <yuqing@example.gov.cn>"}
    data["notify"] = {**data["notify"], "backoff_base": "1s", "backoff_max": "5s"}
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


class DaemonProcess:
    """`yuqing run` in a child process, its log (stderr) in a file."""

    def __init__(self, config_path: Path, log_path: Path, *, extra_env: dict[str, str] | None = None) -> None:
        self.log_path = log_path
        env = {**os.environ, "PYTHONPATH": str(REPO), **(extra_env or {})}
        env.pop("YUQING_CONFIG", None)
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "--config", str(config_path), "-v", "run"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=config_path.parent)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def running(self) -> bool:
        return self.proc.poll() is None

    def terminate(self, timeout: float = 60) -> int:
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._log.close()

    def kill(self) -> int:
        if self.running():
            self.proc.send_signal(signal.SIGKILL)
        code = self.proc.wait(timeout=30)
        self._log.close()
        return code

    def __enter__(self) -> DaemonProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.running():
            self.kill()
        else:
            self._log.close()


# --- seeded posts and what became of them ------------------------------------------------

FILLER_WORDS = [
    "地铁", "天气", "公交", "菜价", "演出", "马拉松", "图书馆", "公园", "停车", "快递", "球赛", "展览",
    "夜市", "高铁", "台风", "花市", "咖啡", "博物馆", "跑步", "装修", "早餐", "火锅", "电影", "小区",
    "物业", "电梯", "健身", "游泳", "钓鱼", "爬山", "露营", "自驾", "航班", "酒店", "民宿", "外卖",
    "奶茶", "烧烤", "面馆", "包子", "银行", "理财", "股票", "基金", "房价", "租房", "中介", "装修",
    "家具", "家电", "手机", "电脑", "相机", "耳机", "游戏", "动漫", "小说", "音乐", "吉他", "钢琴",
    "篮球", "足球", "羽毛球", "乒乓球", "网球", "滑雪", "骑行", "徒步", "摄影", "书法", "绘画", "象棋",
    "围棋", "园艺", "多肉", "金鱼", "猫咪", "狗狗", "宠物", "超市", "商场", "打折", "促销", "会员",
    "积分", "优惠券", "排队", "堵车", "限行", "加油", "充电桩", "驾照", "违章", "洗车", "保养", "轮胎",
    "导航", "地图", "下雨", "降温", "雾霾", "晴天", "大风", "暴雪", "春游", "秋游", "赏花", "灯会",
    "庙会", "年货", "春联", "月饼", "粽子", "汤圆", "饺子", "腊肉", "咸鸭蛋",
]


def filler_text(i: int) -> str:
    """Ordinary city chatter, different for each ``i``: no family-planning keyword, and no two posts
    alike (so they form no events, as unrelated chatter does not)."""
    import random

    rng = random.Random(i)
    words = rng.sample(FILLER_WORDS, 12)
    return (f"今天说说{words[0]}和{words[1]}，{words[2]}{words[3]}都不错；"
            f"{words[4]}{words[5]}{words[6]}，还有{words[7]}、{words[8]}、{words[9]}，最后聊{words[10]}{words[11]}。")


def build_posts(n: int, *, rumours: int = 0, source: str = "seeded", prefix: str = "") -> list[Any]:
    """``n`` posts of city chatter; rumour ``k`` appears twice (early and late, as near-copies)."""
    from datetime import UTC, datetime

    from pipeline.store.posts import PostIn

    now = datetime.now(UTC)
    special: dict[int, tuple[str, str]] = {}
    for k in range(rumours):
        title, body = RUMOURS[k]
        special[(k + 1) * n // (2 * rumours + 2)] = (title, body)
        special[n - 1 - k * n // (2 * rumours + 2)] = (title, body + "（转）")
    return [PostIn(source=source, url=f"https://bbs.example.cn/t/{prefix}{i}",
                   title=special.get(i, (f"城市生活第{i}帖", ""))[0], text=special.get(i, ("", filler_text(i)))[1],
                   author="网友", published_at=now) for i in range(n)]


def seed_posts(db_url: str, n: int, *, rumours: int = 0, source: str = "seeded", prefix: str = "") -> int:
    """Store ``n`` unprocessed posts (see `build_posts`); returns how many were new."""
    from pipeline.db import make_engine, session_factory, transaction
    from pipeline.store.posts import add_posts

    engine = make_engine(db_url)
    try:
        with transaction(session_factory(engine)) as session:
            return add_posts(session, build_posts(n, rumours=rumours, source=source, prefix=prefix)).new
    finally:
        engine.dispose()


def scalar(engine: Engine, sql: str) -> Any:
    """One value from the database (a fresh connection, so a locked or lost database just fails)."""
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


class TcpProxy:
    """A TCP forwarder on a fixed local port that can be cut (every connection dropped, new ones
    refused) and restored: the database "unreachable for a while" without touching the server."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        """Refuse new connections and reset every open one."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def fresh_postgres(url: str) -> Engine:
    """The session's PostgreSQL test database emptied, scheduler jobs included (their table is
    APScheduler's, not in our models, so the shared fixtures leave it); returns an engine."""
    from sqlalchemy import inspect, text

    from pipeline.db import make_engine
    from pipeline.scheduler import JOBS_TABLE
    from tests.conftest import _truncate

    engine = make_engine(url)
    _truncate(engine)
    if inspect(engine).has_table(JOBS_TABLE):
        with engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {JOBS_TABLE}"))
    return engine


def process_concurrently(factory: Any, config: Any, now: Callable[[], Any], workers: tuple[str, ...] = ("w1", "w2")
                         ) -> dict[str, Any]:
    """Run `process_pending` as several workers at once (threads, one analyzer each); their reports."""
    from pipeline.process import load_analyzer, process_pending

    reports: dict[str, Any] = {}

    def work(name: str) -> None:
        reports[name] = process_pending(factory, config, analyzer=load_analyzer(config), worker=name, now=now)

    threads = [threading.Thread(target=work, args=(name,)) for name in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return reports
