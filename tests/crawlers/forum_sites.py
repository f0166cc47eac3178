"""Forums as their software renders them: markup taken from the default templates of
Discuz! X3 (discuz.htm, forumdisplay_list.htm, viewthread_node.htm) and phpBB 3.3 prosilver
(index_body, viewforum_body, viewtopic_body), with invented Chinese posts. Each builder
returns the posts it serves: (thread title, floor, author, text, time as ISO)."""

from __future__ import annotations

from tests.crawlers.site import Site

Post = tuple[str, int, str, str, str]

THREADS = [
    ("二孩育儿补贴什么时候发？", ["请问二孩的育儿补贴什么时候发放，申请两个月了还没到账。",
                          "我家也是，打电话问说在审核。", "我们区上周已经发了，可以去街道问问。",
                          "补贴发放进度可以在政务服务平台查到。"]),
    ("生育登记需要哪些材料", ["第一次办生育登记，需要带哪些材料？", "夫妻双方身份证、户口簿、结婚证就行。"]),
    ("社区托育点收费合理吗", ["小区新开的托育点每月三千，大家觉得贵不贵？", "普惠托育应该有价格上限吧。",
                         "可以对比一下公办托育的收费标准。"]),
]


def _discuz_page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8" /><title>{title} - 某市论坛 - Powered by Discuz!'
            '</title><meta name="generator" content="Discuz! X3.4" /><meta name="author" content="Discuz! Team and '
            'Comsenz UI Team" /><script src="static/js/common.js?x" type="text/javascript"></script></head>'
            f'<body id="nv_forum"><div id="hd"><div class="wp"><div id="nv"><ul><li><a href="forum.php">论坛</a>'
            f'</li></ul></div></div></div><div id="wp" class="wp">{body}</div><div id="ft" class="wp cl">'
            '<p>Powered by <strong><a href="http://www.discuz.net" target="_blank">Discuz!</a></strong> '
            '<em>X3.4</em></p></div></body></html>')


def build_discuz(site: Site) -> list[Post]:
    posts: list[Post] = []
    site.add("/forum.php", _discuz_page("论坛", '<div id="ct" class="wp cl"><div class="mn"><div class="fl bm">'
             '<div class="bm bmw flg cl"><div class="bm_h cl"><h2><a href="forum.php?gid=1">家园</a></h2></div>'
             '<div id="category_1" class="bm_c"><table cellspacing="0" cellpadding="0" class="fl_tb"><tr>'
             '<td class="fl_g" width="49.9%"><div class="fl_icn_g"></div><dl><dt><a href="forum-2-1.html">'
             '育儿交流</a></dt><dd><em>主题: 3</em></dd></dl></td></tr></table></div></div></div></div></div>'))
    site.add("/forum.php?gid=1", _discuz_page("家园", "<p>分区</p>"))
    rows = []
    for t, (title, bodies) in enumerate(THREADS, start=1):
        tid = 100 + t
        kind = "stickthread" if t == 1 else "normalthread"
        rows.append(f'<tbody id="{kind}_{tid}"><tr><td class="icn"><a href="thread-{tid}-1-1.html" '
                    f'title="有新回复 - 新窗口打开" target="_blank"><img src="static/image/common/folder_new.gif" />'
                    f'</a></td><th class="new"><a href="javascript:;" id="content_{tid}" class="showcontent y" '
                    f'title="更多操作" onclick="CONTENT_TID=\'{tid}\'"></a><em>[<a href="forum.php?mod=forumdisplay'
                    f'&fid=2&filter=typeid&typeid=1">咨询</a>]</em> <a href="thread-{tid}-1-1.html" '
                    f'onclick="atarget(this)" class="s xst">{title}</a></th><td class="by"><cite><a href='
                    f'"space-uid-{t}.html" c="1">楼主{t}</a></cite><em><span>2024-3-{t + 4}</span></em></td>'
                    f'<td class="num"><a href="thread-{tid}-1-1.html" class="xi2">{len(bodies) - 1}</a><em>99</em>'
                    f'</td><td class="by"><cite><a href="space-username-x.html" c="1">回复者</a></cite><em><a '
                    f'href="forum.php?mod=redirect&tid={tid}&goto=lastpost#lastpost"><span title="2024-3-{t + 5} '
                    f'08:15">2024-3-{t + 5} 08:15</span></a></em></td></tr></tbody>')
        pages = [bodies[:3], bodies[3:]] if len(bodies) > 3 else [bodies]
        floor = 0
        for page_no, chunk in enumerate(pages, start=1):
            nodes = []
            for body in chunk:
                floor += 1
                pid = tid * 100 + floor
                author = f"网友{t}{floor}"
                when = f"2024-3-{t + 4} {9 + floor}:0{floor}"
                posts.append((title, floor, author, body, f"2024-03-{t + 4:02d}T{9 + floor:02d}:0{floor}:00+08:00"))
                shown = f'发表于 <span title="{when}">{floor} 天前</span>' if floor == 2 else f"发表于 {when}"
                number = {1: "楼主", 2: "沙发", 3: "板凳", 4: "地板"}.get(floor, f"<em>{floor}</em><sup>#</sup>")
                nodes.append(
                    f'<div id="post_{pid}"><table id="pid{pid}" class="plhin" summary="pid{pid}" cellspacing="0" '
                    f'cellpadding="0"><tr><td class="pls" rowspan="2"><div id="favatar{pid}" class="pls favatar">'
                    f'<div class="pi"><div class="authi"><a href="space-uid-{pid}.html" target="_blank" class="xw1">'
                    f'{author}</a></div></div><div><div class="avatar"><a href="space-uid-{pid}.html" class="avtm" '
                    f'target="_blank"><img src="uc_server/avatar.php?uid={pid}&size=middle" /></a></div></div>'
                    f'<ul class="xl xl2 o cl"><li class="pm2"><a href="home.php?mod=spacecp&ac=pm" title="发消息" '
                    f'class="xi2">发消息</a></li></ul></div></td><td class="plc"><div class="pi"><strong><a href='
                    f'"forum.php?mod=redirect&goto=findpost&ptid={tid}&pid={pid}" id="postnum{pid}">{number}</a>'
                    f'</strong><div class="pti"><div class="pdbt"></div><div class="authi"><img class="authicn vm" '
                    f'id="authicon{pid}" src="static/image/common/online_member.gif" /><em id="authorposton{pid}">'
                    f'{shown}</em><span class="pipe">|</span><a href="forum.php?mod=viewthread&tid={tid}&page=1&'
                    f'authorid={pid}" rel="nofollow">只看该作者</a></div></div></div><div class="pct"><div class='
                    f'"pcb"><div class="t_fsz"><table cellspacing="0" cellpadding="0"><tr><td class="t_f" id='
                    f'"postmessage_{pid}">\r\n{body}</td></tr></table></div></div></div></td></tr><tr><td class="plc '
                    f'plm"></td></tr><tr><td class="pls"></td><td class="plc"><div class="po hin"><div class="pob '
                    f'cl"><em><a class="fastre" href="forum.php?mod=post&action=reply">回复</a></em></div></div>'
                    f'</td></tr></table></div>')
            pager = (f'<div class="pgs mtm mbm cl"><div class="pg"><strong>1</strong><a href="thread-{tid}-2-1.html">'
                     f'2</a><a href="thread-{tid}-2-1.html" class="nxt">下一页</a></div></div>'
                     if page_no == 1 and len(pages) > 1 else "")
            site.add(f"/thread-{tid}-{page_no}-1.html", _discuz_page(title, (
                f'<div id="ct" class="wp cl"><div id="postlist" class="pl bm"><table cellspacing="0" cellpadding="0">'
                f'<tr><td class="pls ptn pbn"><div class="hm ptn"><span class="xg1">查看:</span> <span class="xi1">'
                f'99</span></div></td><td class="plc ptm pbn vwthd"><h1 class="ts"><span id="thread_subject">{title}'
                f'</span></h1></td></tr></table>{"".join(nodes)}<div id="postlistreply" class="pl"><div id="post_new"'
                f' class="viewthread_table" style="display: none"></div></div></div>{pager}</div>')))
    site.add("/forum-2-1.html", _discuz_page("育儿交流", '<div id="threadlist" class="tl bm bmw"><div class="bm_c">'
             '<form method="post" autocomplete="off" name="moderate" id="moderate"><table summary="forum_2" '
             'cellspacing="0" cellpadding="0" id="threadlisttableid"><tbody id="separatorline" class="emptb"><tr>'
             '<td class="icn"></td><th>版块主题</th></tr></tbody>' + "".join(rows) + '</table></form></div></div>'))
    return posts


def _phpbb_page(title: str, section: str, body: str) -> str:
    return (f'<!DOCTYPE html><html dir="ltr" lang="zh-cmn-hans"><head><meta charset="utf-8" /><title>{title} - '
            f'某市家长论坛</title><link href="./styles/prosilver/theme/stylesheet.css?assets_version=3" '
            f'rel="stylesheet"></head><body id="phpbb" class="nojs notouch section-{section} ltr "><div id="wrap" '
            f'class="wrap"><div id="page-header"><div class="headerbar" role="banner"><h1>某市家长论坛</h1></div>'
            f'</div><div id="page-body" class="page-body" role="main">{body}</div><div id="page-footer" '
            f'class="page-footer" role="contentinfo"><div class="copyright">Powered by <a href="https://www.phpbb.com/'
            f'">phpBB</a>&reg; Forum Software &copy; phpBB Limited</div></div></div></body></html>')


def build_phpbb(site: Site) -> list[Post]:
    posts: list[Post] = []
    site.add("/index.php", _phpbb_page("首页", "index", '<div class="forabg"><div class="inner"><ul class="topiclist '
             'forums"><li class="row"><dl class="row-item forum_read"><dt title="No unread posts"><div class='
             '"list-inner"><a href="./viewforum.php?f=2" class="forumtitle">生育政策讨论</a><br />政策咨询与交流'
             '</div></dt></dl></li></ul></div></div>'))
    rows = []
    for t, (title, bodies) in enumerate(THREADS, start=1):
        rows.append(f'<li class="row bg{t % 2 + 1}"><dl class="row-item topic_read"><dt title="No unread posts">'
                    f'<div class="list-inner"><a href="./viewtopic.php?t={t}" class="topictitle">{title}</a><br />'
                    f'<div class="topic-poster responsive-hide left-box">by <a href="./memberlist.php?mode=viewprofile'
                    f'&amp;u={t}" class="username">user{t}</a> &raquo; <time datetime="2024-03-05T02:32:00+00:00">'
                    f'Tue Mar 05, 2024 10:32 am</time></div></div></dt><dd class="posts">{len(bodies) - 1} '
                    f'<dfn>Replies</dfn></dd><dd class="lastpost"><span><dfn>Last post </dfn>by <a href="./memberlist.'
                    f'php?mode=viewprofile&amp;u=9" class="username">last</a><br /><time datetime="2024-03-06T00:15:'
                    f'00+00:00">Wed Mar 06, 2024 8:15 am</time></span></dd></dl></li>')
        nodes = []
        for floor, body in enumerate(bodies, start=1):
            pid = t * 100 + floor
            author = f"家长{t}{floor}"
            utc_hour = 1 + floor
            first = ' class="first"' if floor == 1 else ""
            posts.append((title, floor, author, body, f"2024-03-{t + 4:02d}T{utc_hour + 8:02d}:0{floor}:00+08:00"))
            nodes.append(
                f'<div id="p{pid}" class="post has-profile bg{floor % 2 + 1}"><div class="inner"><dl class='
                f'"postprofile" id="profile{pid}"><dt class="has-profile-rank no-avatar"><div class="avatar-container">'
                f'</div><a href="./memberlist.php?mode=viewprofile&amp;u={pid}" class="username">{author}</a></dt>'
                f'<dd class="profile-rank">Member</dd><dd class="profile-posts"><strong>Posts:</strong> <a href='
                f'"./search.php?author_id={pid}&amp;sr=posts">12</a></dd></dl><div class="postbody"><div id='
                f'"post_content{pid}"><h3{first}><a href="#p{pid}">Re: {title}</a>'
                f'</h3><ul class="post-buttons"><li><a href="./posting.php?mode=quote&amp;p={pid}" title="Reply with '
                f'quote" class="button button-icon-only"><i class="icon fa-quote-left fa-fw" aria-hidden="true"></i>'
                f'<span>Quote</span></a></li></ul><p class="author"><a class="unread" href="./viewtopic.php?p={pid}#p'
                f'{pid}" title="Post"><i class="icon fa-file fa-fw icon-lightgray icon-md" aria-hidden="true"></i>'
                f'<span class="sr-only">Post</span></a><span class="responsive-hide">by <strong><a href="./memberlist'
                f'.php?mode=viewprofile&amp;u={pid}" class="username">{author}</a></strong> &raquo; </span><time '
                f'datetime="2024-03-{t + 4:02d}T{utc_hour:02d}:0{floor}:00+00:00">Mar {t + 4}, 2024</time></p>'
                f'<div class="content">{body}</div></div></div><div class="back2top"><a href="#top" class="top" '
                f'title="Top"><i class="icon fa-chevron-circle-up fa-fw icon-gray" aria-hidden="true"></i></a></div>'
                f'</div></div>')
        site.add(f"/viewtopic.php?t={t}", _phpbb_page(title, "viewtopic", (
            f'<h2 class="topic-title"><a href="./viewtopic.php?t={t}">{title}</a></h2>{"".join(nodes)}')))
    # two board pages: phpBB's pager (li.arrow.next, rel=next)
    pager = ('<div class="pagination">3 topics &bull; <ul><li class="active"><span>1</span></li><li><a class="button" '
             'href="./viewforum.php?f=2&amp;start=2" role="button">2</a></li><li class="arrow next"><a class="button '
             'button-icon-only" href="./viewforum.php?f=2&amp;start=2" rel="next" role="button"><i class="icon '
             'fa-chevron-right fa-fw" aria-hidden="true"></i><span class="sr-only">Next</span></a></li></ul></div>')
    board = '<div class="forumbg"><div class="inner"><ul class="topiclist topics">{}</ul></div></div>{}'
    site.add("/viewforum.php?f=2", _phpbb_page("生育政策讨论", "viewforum", board.format("".join(rows[:2]), pager)))
    site.add("/viewforum.php?f=2&start=2", _phpbb_page("生育政策讨论", "viewforum", board.format(rows[2], "")))
    return posts
