"""The store API: every read and write of the database goes through these modules.

One module per area (posts, sources and crawl runs, users, audit, ...). Functions take a
SQLAlchemy `Session` and leave committing to the caller (`pipeline.db.transaction`), so a
caller can group several calls in one transaction.
"""
