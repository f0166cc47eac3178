"""Forum software recognised by its markup, with the selectors of its default templates.

``kind: forum`` without ``selectors.post`` uses the preset of the software found on the start
page; selectors given in config override single fields of it. Discuz! first (most Chinese
local forums run it), then phpBB, Discourse (its crawler view, served to clients without
JavaScript), Flarum (its no-JavaScript view) and phpwind.
"""

from __future__ import annotations

import re
from typing import Any

PRESETS: dict[str, dict[str, str]] = {
    # Discuz! X3 default template: forumdisplay_list.htm (tbody#normalthread_N, a.xst, div.pg a.nxt),
    # viewthread_node.htm (table#pidN, div.authi a.xw1/.xi2, em#authorpostonN, td.t_f, a#postnumN em)
    "discuz": {
        "boards": "td.fl_g dt a, div.fl h2 a",
        "links": "tbody[id^='stickthread_'] a.xst, tbody[id^='normalthread_'] a.xst",
        "next_page": "div.pg a.nxt",
        "thread_title": "#thread_subject",
        "post": "div#postlist > div[id^='post_']",
        "post_body": "td.t_f",
        "post_author": "div.authi a.xw1, div.authi a.xi2",
        "post_time": "em[id^='authorposton']",
        "post_floor": "a[id^='postnum'] em",
        "thread_next_page": "div.pg a.nxt",
    },
    # phpBB 3 prosilver: index_body (a.forumtitle), viewforum_body (a.topictitle, li.next a),
    # viewtopic_body (div.post, div.content, .author .username, p.author time)
    "phpbb": {
        "boards": "a.forumtitle",
        "links": "a.topictitle",
        "next_page": "li.next a, li.arrow.next a",
        "thread_title": "h2.topic-title a, h2.topic-title",
        "post": "div.post",
        "post_body": "div.content",
        "post_author": "p.author .username, p.author .username-coloured, .postprofile .username",
        "post_time": "p.author time, p.author",
        "thread_next_page": "li.next a, li.arrow.next a",
    },
    # Discourse crawler view: list (a.raw-topic-link, a[rel=next]), topic (div.topic-body.crawler-post)
    "discourse": {
        "boards": "a.category-title-link, div.category-list a[href*='/c/']",
        "links": "a.raw-topic-link",
        "next_page": "a[rel='next']",
        "thread_title": "#topic-title h1, h1",
        "post": "div.topic-body.crawler-post, div.crawler-post",
        "post_body": "div.post[itemprop='text'], div.post",
        "post_author": "span.creator span[itemprop='name'], span.creator a",
        "post_time": "time.post-time, span.crawler-post-infos time",
        "post_floor": "span[itemprop='position']",
        "thread_next_page": "a[rel='next']",
    },
    # Flarum no-JavaScript view (views/frontend/content/index.blade.php, discussion.blade.php)
    "flarum": {
        "links": "#flarum-content .container ul li a, noscript .container ul li a",
        "next_page": "xpath://div[@class='container']/a[contains(@href, 'page=')][last()]/@href",
        "thread_title": "#flarum-content .container h1, #flarum-content .container h2",
        "post": "xpath://div[@id='flarum-content']//div[@class='container']/div/div[div[@class='Post-body']]",
        "post_body": ".Post-body",
        "post_author": "h3",
    },
    # phpwind 8.7 / 9: thread list (a.subject_t, td.subject a), read page (div.read_t, .readName, .tpc_content)
    "phpwind": {
        "boards": "th.f14 a, h2.fname a",
        "links": "a.subject_t, td.subject a.subject_t, a.st",
        "next_page": "div.pages a.pages_next, a.pages_next",
        "thread_title": "#subject_tpc, h1#subject_tpc, .read_h1",
        "post": "div.read_t, div.floot",
        "post_body": "div.tpc_content, div.editor_content",
        "post_author": ".readName a, .floot_leftdiv .name",
        "post_time": "span[id^='td_tpc'], .tipTop span[title], .floot_bottom span",
        "thread_next_page": "div.pages a.pages_next",
    },
}

_GENERATOR = re.compile(r"(discuz|phpbb|discourse|flarum|phpwind)", re.I)
_MARKERS = (
    ("discuz", re.compile(r"Powered by <strong><a[^>]*>Discuz!|id=\"normalthread_|id=\"postlist\"|discuz_uid|"
                          r"forum\.php\?mod=(viewthread|forumdisplay)|static/js/common\.js\?|class=\"fl_g\"", re.I)),
    ("phpbb", re.compile(r"id=\"phpbb\"|Powered by <a[^>]*phpbb|class=\"topictitle\"|viewtopic\.php\?", re.I)),
    ("discourse", re.compile(r"class=\"raw-topic-link\"|crawler-post|discourse-assets|data-discourse", re.I)),
    ("flarum", re.compile(r"id=\"flarum-|flarum\.core|class=\"Post-body\"", re.I)),
    ("phpwind", re.compile(r"Powered by <a[^>]*phpwind|phpwind\.net|class=\"tpc_content\"|read\.php\?tid=", re.I)),
)


def detect_forum(root: Any, page_html: str) -> str | None:
    """The forum software a page was built with (a `PRESETS` key), or None."""
    for meta in root.iter("meta"):
        if (meta.get("name") or "").lower() == "generator":
            match = _GENERATOR.search(meta.get("content") or "")
            if match:
                return match.group(1).lower()
    for name, marker in _MARKERS:
        if marker.search(page_html):
            return name
    return None


def preset_selectors(software: str, overrides: dict[str, str | None]) -> dict[str, str]:
    """The preset of ``software`` with the fields config sets replacing the preset's."""
    merged = dict(PRESETS[software])
    merged.update({k: v for k, v in overrides.items() if v})
    return merged
