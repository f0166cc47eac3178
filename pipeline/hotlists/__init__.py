"""Hot-list polling (``kind: hotlist``): one request per poll, in the caller's process.

A hot list is one small JSON or HTML response; a Scrapy process per poll would cost its
start-up (about two seconds of CPU) for each. `poll.poll_hotlist` fetches it with the probe's
polite fetcher, parses it with `crawlers.hotlists`, and stores posts, page cache and rank
history in one transaction.
"""
