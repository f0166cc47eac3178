"""A source from its address: `yuqing source try URL` / `yuqing source add NAME URL`.

`fetch` fetches a few pages politely (robots.txt, the crawler's User-Agent, a size limit);
`findings` works out what the address is (forum software, feed, list block, sitemap) and
previews a few articles; `configfile` writes the resulting block into the config file.
"""
