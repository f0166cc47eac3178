"""Events: posts about the same story or claim, clustered online over a time window.

:class:`EventClusterer` is stateful and lives in the processing worker's memory. Each post gets an
:class:`EventAssignment`: its near-duplicate group (reposts, near-copies: MinHash Jaccard ≥ 0.7) and
its event (the same group's, or that of the most similar earlier post in the window whose
content-word Jaccard is ≥ ``threshold``, default 0.35). Keys are ``"E<first post id>"`` and ``"D<first post id>"``, so
replaying the same posts in time order after a restart (:meth:`EventClusterer.rebuild`) gives the
same keys. Memory is bounded by ``window`` and ``max_items`` (see :mod:`nlp.dedup`).

Posts of one forum thread (same ``thread``, e.g. the thread's URL) belong to one story even when a
short reply shares few words with the opening post, so a post whose thread already has an event
within the window joins that event (its near-duplicate group is still decided by similarity).
The first post of a thread is clustered as usual and its event becomes the thread's.

:func:`summarize_event` is a pure function from an event's posts to its title, first/last seen, post
count, distinct sources, negative share and heat.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import numpy as np

from nlp.dedup import WindowedLSH, signatures
from nlp.stories import StoryIndex, story_terms

MIN_WORDS_FOR_EVENT = 4  # posts with fewer content words only join events as near-duplicates
HEAT_HALF_LIFE_H = 24.0


# (post id, content words, time) or (post id, content words, time, thread or None)
ReplayPost = tuple[Hashable, Sequence[str], datetime] | tuple[Hashable, Sequence[str], datetime, str | None]


class EventAssignment(NamedTuple):
    event_key: str
    dup_key: str
    is_new_event: bool


class EventClusterer:
    """Online clustering of posts into near-duplicate groups and events (sliding window).

    One LSH index at the event threshold serves both decisions: among a post's candidates, one
    with Jaccard ≥ ``dup_threshold`` makes it a near-duplicate (same group, same event); otherwise
    the most similar long-enough candidate with Jaccard ≥ ``threshold`` gives its event.
    """

    def __init__(
        self,
        threshold: float = 0.35,
        dup_threshold: float = 0.7,
        window: timedelta = timedelta(days=7),
        max_items: int = 200_000,
        stories: StoryIndex | None = None,
    ) -> None:
        self.dup_threshold = dup_threshold
        self.lsh = WindowedLSH(threshold, window, max_items)
        # Story linking over TF-IDF of content words (nlp.stories); None: copies and close
        # paraphrases only, as before stories existed.
        self.stories = stories
        # A caller's bookmark in a shared, ordered log of assigned posts (pipeline.event_sync keeps
        # several workers' clusterers in step with it); None: this clusterer is not synced to one.
        self.applied_seq: int | None = None
        self.event_of: dict[Hashable, str] = {}
        self.group_of: dict[Hashable, Hashable] = {}
        self.long: set[Hashable] = set()
        # thread -> (its event, time and ordinal of its latest post); see _thread_event
        self.thread_event: dict[str, tuple[str, datetime, int]] = {}
        self.latest: datetime | None = None  # the newest post time seen
        self.added = 0  # posts added so far (their ordinals)

    def _thread_event(self, thread: str | None, when: datetime) -> str | None:
        """The event of a thread still active: its latest post is within the window of this post
        and of the newest post seen, and among the last ``max_items`` posts. Once a thread fails
        the last two tests it fails them for good, so forgetting it (:meth:`_forget`, whenever a
        batch ends) never changes an assignment, however the posts are split into batches."""
        if thread is None or (known := self.thread_event.get(thread)) is None or self.latest is None:
            return None
        event, last, ordinal = known
        window = self.lsh.window
        if when - last <= window and self._active(last, ordinal):
            return event
        return None

    def _active(self, last: datetime, ordinal: int) -> bool:
        assert self.latest is not None
        return last >= self.latest - self.lsh.window and ordinal >= self.added - self.lsh.max_items

    def empty_copy(self) -> EventClusterer:
        """A new, empty clusterer with the same thresholds, window and size limit."""
        stories = None
        if self.stories is not None:
            s = self.stories
            stories = StoryIndex(s.threshold, s.window, s.max_stories, s._table)
        return EventClusterer(self.lsh.threshold, self.dup_threshold, self.lsh.window, self.lsh.max_items, stories)

    def add(self, post_id: Hashable, sig: np.ndarray, n_words: int, when: datetime,
            thread: str | None = None, terms: np.ndarray | None = None) -> EventAssignment:
        """Assign one post, given its MinHash signature (:func:`nlp.dedup.signatures`), for forum
        posts its thread (posts of a known thread join the thread's event) and, for story linking,
        its :func:`nlp.stories.story_terms`."""
        return self.add_batch([post_id], np.atleast_2d(sig), [n_words], [when], [thread],
                              None if terms is None else [terms])[0]

    def add_batch(self, post_ids: Sequence[Hashable], sigs: np.ndarray, n_words: Sequence[int],
                  times: Sequence[datetime], threads: Sequence[str | None] | None = None,
                  terms: Sequence[np.ndarray | None] | None = None) -> list[EventAssignment]:
        """Assign posts in the given order; each sees the ones before it. The result does not
        depend on how a sequence of posts is split into batches. ``terms`` (per post, or None)
        are the posts' story terms; without them a post is not linked to a story."""
        indexed = [i for i, n in enumerate(n_words) if n]
        similar: dict[int, list[tuple[Hashable, float]]] = {}
        if indexed:
            found = self.lsh.add_many([post_ids[i] for i in indexed], sigs[indexed], [times[i] for i in indexed])
            similar = dict(zip(indexed, found, strict=True))
        ths = threads if threads is not None else [None] * len(post_ids)
        tms = terms if terms is not None else [None] * len(post_ids)
        done = [self._assign(pid, similar.get(i, []), n_words[i], times[i], ths[i], tms[i])
                for i, pid in enumerate(post_ids)]
        limit = self.lsh.max_items + self.lsh.max_items // 4
        if len(self.event_of) > limit or len(self.thread_event) > limit:
            self._forget()
        return done

    def _assign(self, post_id: Hashable, cands: list[tuple[Hashable, float]], n_words: int, when: datetime,
                thread: str | None, terms: np.ndarray | None = None) -> EventAssignment:
        if self.latest is None or when > self.latest:
            self.latest = when
        self.added += 1
        group: Hashable = post_id
        event = self._thread_event(thread, when)
        stories = self.stories if terms is not None else None
        if stories is not None and cands:  # two places' announcements in the same words: two stories
            cands = [(k, j) for k, j in cands
                     if not stories.places_conflict(self.event_of.get(k, ""), terms)]  # type: ignore[arg-type]
        if cands and cands[0][1] >= self.dup_threshold:
            group = self.group_of.get(cands[0][0], cands[0][0])
            event = event or self.event_of.get(cands[0][0])
        elif event is None and n_words >= MIN_WORDS_FOR_EVENT:
            event = next((self.event_of[k] for k, _j in cands if k in self.long and k in self.event_of), None)
        if event is None and stories is not None:
            event = stories.match(terms, when)  # type: ignore[arg-type]
        is_new = event is None
        if event is None:
            event = f"E{post_id}"
        self.event_of[post_id] = event
        if group != post_id:
            self.group_of[post_id] = group
        else:  # most posts start their own group: not stored (and a post seen again may start one)
            self.group_of.pop(post_id, None)
        if thread is not None:
            last = self.thread_event.get(thread, (event, when, 0))[1]
            self.thread_event[thread] = (event, max(last, when), self.added)
        if stories is not None:
            stories.add(event, terms, when)  # type: ignore[arg-type]
        if n_words >= MIN_WORDS_FOR_EVENT:
            self.long.add(post_id)
        else:
            self.long.discard(post_id)
        return EventAssignment(event, f"D{group}", is_new)

    def _forget(self) -> None:
        """Forget posts that left the index (they are never a candidate again) and threads no
        longer active (see :meth:`_thread_event`)."""
        live = self.lsh.keys()
        self.event_of = {k: e for k, e in self.event_of.items() if k in live}
        self.group_of = {k: g for k, g in self.group_of.items() if k in live}
        self.long &= live
        self.thread_event = {t: v for t, v in self.thread_event.items() if self._active(v[1], v[2])}

    def assignment_of(self, post_id: Hashable) -> EventAssignment | None:
        """The assignment a post got when it was added (None once it has left the window)."""
        event = self.event_of.get(post_id)
        if event is None:
            return None
        return EventAssignment(event, f"D{self.group_of.get(post_id, post_id)}", False)

    def add_words(self, post_id: Hashable, words: Sequence[str], when: datetime) -> EventAssignment:
        """Convenience: assign one post from its content words."""
        return self.add(post_id, signatures([words])[0], len(set(words)), when,
                        terms=story_terms(words) if self.stories is not None else None)

    def rebuild(self, posts: Iterable[ReplayPost]) -> dict[Hashable, EventAssignment]:
        """Replay recent posts ``(post_id, content words, time[, thread])`` in time order (after a restart)."""
        ordered = sorted(posts, key=lambda p: (p[2], str(p[0])))
        sigs = signatures([p[1] for p in ordered])
        terms = [story_terms(p[1]) for p in ordered] if self.stories is not None else None
        done = self.add_batch([p[0] for p in ordered], sigs, [len(set(p[1])) for p in ordered],
                              [p[2] for p in ordered], [p[3] if len(p) > 3 else None for p in ordered], terms)
        return {p[0]: a for p, a in zip(ordered, done, strict=True)}

    def __len__(self) -> int:
        return len(self.lsh)


@dataclass(frozen=True, slots=True)
class EventPost:
    post_id: Hashable
    title: str
    text: str
    source: str
    published_at: datetime
    negative: float  # P(neg) from the sentiment model


@dataclass(frozen=True, slots=True)
class EventSummary:
    key: str
    title: str
    first_seen: datetime
    last_seen: datetime
    post_count: int
    sources: int
    negative_share: float
    heat: float


_SENTENCE_END = re.compile(r"[。！？!?\n]")
_BRACKET_TITLE = re.compile(r"【([^】]{4,60})】")


def event_title(post: EventPost, max_len: int = 40) -> str:
    """A post's title, or its 【headline】, or its first sentence, shortened to ``max_len``."""
    if post.title.strip():
        text = post.title.strip()
    elif m := _BRACKET_TITLE.search(post.text):
        text = m.group(1)
    else:
        text = _SENTENCE_END.split(post.text.strip(), maxsplit=1)[0]
    return text if len(text) <= max_len else text[: max_len - 1] + "…"


def summarize_event(key: str, posts: Sequence[EventPost], now: datetime | None = None) -> EventSummary:
    """Summarise an event. Negative share = mean P(neg) > 0.5 indicator over posts.

    Heat = Σ over posts of 0.5^(age_h / 24) (recent posts count more), times
    (1 + ln(1 + distinct sources)) (spread across sites matters), times (1 + negative share).
    """
    if not posts:
        raise ValueError("an event needs at least one post")
    ordered = sorted(posts, key=lambda p: p.published_at)
    first, last = ordered[0].published_at, ordered[-1].published_at
    now = now or last
    sources = len({p.source for p in posts})
    negative_share = sum(1 for p in posts if p.negative > 0.5) / len(posts)
    decayed = sum(
        0.5 ** (max((now - p.published_at).total_seconds(), 0.0) / 3600.0 / HEAT_HALF_LIFE_H) for p in posts
    )
    heat = decayed * (1.0 + math.log1p(sources)) * (1.0 + negative_share)
    return EventSummary(
        key=key, title=event_title(ordered[0]), first_seen=first, last_seen=last, post_count=len(posts),
        sources=sources, negative_share=negative_share, heat=round(heat, 4),
    )
