"""List sites built four different ways, for automatic link and next-page discovery.

Each site has navigation, a sidebar of "hot" links and a footer around its list, as real
sites do; articles are plain CMS pages without selectors anyone configured. `ARTICLES`
says what each article is, so a test can check every post found, its text and its time.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.crawlers.site import Site, html_page

SIDEBAR = ('<div class="side"><h3>热门文章</h3><ul>' + "".join(
    f'<li><a href="/hot/{i}.html">热门推荐文章第{i}篇标题</a></li>' for i in range(1, 6)) + "</ul></div>")
NAV = ('<div class="nav"><a href="/">网站首页</a><a href="/about/">机构概况信息</a><a href="/zwgk/">政务公开栏目</a>'
       '<a href="/hdjl/">互动交流平台</a></div>')
FOOT = '<div class="footer"><a href="/sitemap.html">网站地图导航</a> 版权所有 某市卫生健康委员会</div>'


@dataclass(frozen=True)
class Article:
    path: str
    title: str
    when: str          # as the page shows it
    iso: str           # what it means (Asia/Shanghai)
    body: str


def _body(n: int, topic: str) -> str:
    return (f"{topic}第{n}期：市卫生健康委员会通报相关工作进展，涉及生育登记、育儿补贴和托育服务等方面，"
            f"请广大群众通过官方渠道了解政策并办理相关业务，咨询电话12345，本期编号{n:03d}。")


def _articles(prefix: str, topic: str, count: int, day0: int) -> list[Article]:
    out = []
    for n in range(1, count + 1):
        day = day0 + n % 20
        out.append(Article(f"{prefix}{n}", f"{topic}工作通报第{n}期", f"2024-03-{day:02d} 09:{n % 60:02d}",
                           f"2024-03-{day:02d}T09:{n % 60:02d}:00+08:00", _body(n, topic)))
    return out


def _article_page(a: Article, charset: str | None = None) -> str:
    return html_page(f"{a.title}_某市卫健委", f"""{NAV}
<div class="location">当前位置：首页 &gt; 通知公告</div>
<div class="content-box"><h1 class="title">{a.title}</h1>
<div class="info">发布时间：{a.when}　来源：市卫健委　作者：办公室</div>
<div class="TRS_Editor"><p>{a.body}</p><p>特此通知。</p></div></div>{SIDEBAR}{FOOT}""", charset_meta=charset)


def build_table_cms(site: Site) -> list[Article]:
    """A CMS table list (``table`` rows with a date cell), ``?page=N`` paging with 下一页."""
    arts = _articles("/tzgg/content_", "通知公告", 23, 1)
    for a in arts:
        site.add(a.path + ".html", _article_page(a))
    pages = [arts[i:i + 10] for i in range(0, len(arts), 10)]
    for i, chunk in enumerate(pages, start=1):
        rows = "".join(f'<tr><td class="bt"><a href="{a.path}.html" target="_blank">{a.title}</a></td>'
                       f'<td class="sj">{a.when[:10]}</td></tr>' for a in chunk)
        pager = (f'<a href="/tzgg/list.jsp?page={i + 1}">下一页</a>' if i < len(pages) else "")
        site.add(f"/tzgg/list.jsp?page={i}" if i > 1 else "/tzgg/list.jsp",
                 html_page("通知公告", f'{NAV}<table width="100%" class="tb">{rows}</table>'
                                       f'<div>共{len(arts)}条 {pager}</div>{SIDEBAR}{FOOT}'))
    return arts


def build_ul_dates(site: Site) -> list[Article]:
    """``ul li`` with a date ``span``, pagination ``a.next`` with rel=next."""
    arts = _articles("/news/2024/a", "卫生动态", 17, 2)
    for a in arts:
        site.add(a.path + ".shtml", _article_page(a))
    pages = [arts[i:i + 8] for i in range(0, len(arts), 8)]
    for i, chunk in enumerate(pages, start=1):
        items = "".join(f'<li><a href="{a.path}.shtml" title="{a.title}">{a.title}</a><span>{a.when[:10]}</span></li>'
                        for a in chunk)
        pager = f'<a class="next" rel="next" href="/news/p{i + 1}.shtml">&gt;</a>' if i < len(pages) else ""
        site.add("/news/" if i == 1 else f"/news/p{i}.shtml",
                 html_page("卫生动态", f'{NAV}<div class="list"><ul class="news">{items}</ul></div>'
                                       f'<div class="page">{pager}</div>{SIDEBAR}{FOOT}'))
    return arts


def build_cards(site: Site) -> list[Article]:
    """Cards (``div.card`` with an image, a heading link and a summary), one page."""
    arts = _articles("/zt/story-", "健康专题", 9, 3)
    for a in arts:
        site.add(a.path, _article_page(a))
    cards = "".join(f'<div class="card"><a href="{a.path}"><img src="/img/{i}.jpg"></a>'
                    f'<h3><a href="{a.path}">{a.title}</a></h3><p>{a.body[:30]}…</p>'
                    f'<div class="meta">{a.when[:10]}</div></div>' for i, a in enumerate(arts))
    site.add("/zt/", html_page("健康专题", f'{NAV}<div class="grid">{cards}</div>{SIDEBAR}{FOOT}'))
    return arts


def build_gbk_index(site: Site) -> list[Article]:
    """A GBK government list with ``index.html`` → ``index_1.html`` pagination built by TRS's script."""
    arts = _articles("/zwgk/t2024", "政务公开", 26, 4)
    for a in arts:
        site.add(a.path + ".htm", _article_page(a, "gbk").encode("gbk"), content_type="text/html")
    pages = [arts[i:i + 10] for i in range(0, len(arts), 10)]
    for i, chunk in enumerate(pages):
        rows = "".join(f'<li><span class="date">[{a.when[:10]}]</span><a href="./t2024{a.path.rsplit("t2024", 1)[1]}'
                       f'.htm">{a.title}</a></li>' for a in chunk)
        script = f'<script>createPageHTML({len(pages)}, {i}, "index", "html");</script>'
        page = html_page("政务公开", f'{NAV}<div class="zwgk_list"><ul>{rows}</ul></div>'
                                     f'<div class="page">{script}</div>{SIDEBAR}{FOOT}', charset_meta="gbk")
        site.add("/zwgk/index.html" if i == 0 else f"/zwgk/index_{i}.html", page.encode("gbk"),
                 content_type="text/html")
    return arts


SITES = {"table": ("/tzgg/list.jsp", build_table_cms), "ul": ("/news/", build_ul_dates),
         "cards": ("/zt/", build_cards), "gbk": ("/zwgk/index.html", build_gbk_index)}
