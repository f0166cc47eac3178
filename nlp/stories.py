"""Stories: events that tell the same story in different words (topic detection and tracking).

MinHash near-duplicate groups (:mod:`nlp.dedup`) merge copies; they cannot see that "网传二胎罚款十万"
and "社会抚养费要恢复了？" are one rumour, or that a news article and a forum thread report the same
maternal death. This module adds what TDT systems do on top of them: single-pass clustering over
TF-IDF vectors of content words in a time window. A post that starts a new near-duplicate group is
compared with the recent stories (cosine with each story's centroid); the most similar one above the
threshold takes it, otherwise it starts a story of its own.

- **Terms** are a post's distinct content words as CRC32 hashes (the hashes :mod:`nlp.dedup` uses),
  its :data:`MAX_TERMS` most informative ones. They are small enough to be stored beside the MinHash
  signature, so that other workers replay the same stories without segmenting again.
- **Weights** are inverse document frequencies from a table shipped with the models
  (``resources/story_terms.npz``, built by :func:`build_term_table` from the training texts); a word
  the table never saw counts as rare. Names of people and places (jieba's dictionary tags ``nr``,
  ``ns``) weigh :data:`NAME_BOOST` times more.
- **Places veto**: two texts that each name a place and share none (two provinces' subsidy
  announcements) are different stories however similar the rest is.
- **Bounded**: stories leave the index when their last post is older than ``window`` or when more
  than ``max_stories`` are kept (least recently updated first); a story's centroid keeps its
  :data:`CENTROID_TERMS` heaviest terms. The result depends only on the order of the posts.
"""

from __future__ import annotations

import logging
import math
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import chain, repeat
from pathlib import Path

import numpy as np

from nlp.tokenize import RESOURCES

log = logging.getLogger(__name__)

TERM_TABLE = RESOURCES / "story_terms.npz"
TERM_DTYPE = np.dtype("<u4")
MAX_TERMS = 24  # terms kept per post (stored with their weights: 192 bytes)
CENTROID_TERMS = 40  # terms kept per story
INDEXED_TERMS = 12  # a story's heaviest terms that find it as a candidate
PROBE_TERMS = 8  # a post's heaviest terms that look for candidate stories
MAX_POSTING = 16  # stories a term finds at most (the most recently active ones)
MAX_CANDIDATES = 12  # stories compared with a post at most (those sharing most of its terms)
NAME_BOOST = 1.6
STORY_WINDOW = timedelta(days=3)  # "within a window of a few days" (ANNOTATION.md §4)
MIN_IDF_INDEXED = 2.5  # words in more than ~8 % of texts never find candidates on their own
# jieba tags these as places, but they do not tell two stories apart
GENERIC_PLACES = frozenset({
    "中国", "全国", "国内", "国外", "城市", "东西", "中华人民共和国", "农村", "乡村",
    "城乡", "各地", "地方", "南方", "北方", "当地", "世界", "全球", "海外", "祖国",
    "中华", "大陆", "内地", "境内", "境外", "基层", "社区", "全省", "全市", "本市",
    "我国", "我省", "我市", "县城", "城里", "村里"
})


def term_hash(word: str) -> int:
    return zlib.crc32(word.encode("utf-8"))


@dataclass(frozen=True)
class TermTable:
    """IDF per term hash, and which hashes are names or places."""

    hashes: np.ndarray  # sorted uint32
    idf: np.ndarray  # float32, aligned with hashes
    max_idf: float
    places: frozenset[int]
    names: frozenset[int]

    def weight_of(self, term: int) -> float:
        """The weight of one term hash: its idf (the largest for words the table never saw), times
        :data:`NAME_BOOST` for names and places."""
        lookup = self.__dict__.get("_lookup")
        if lookup is None:
            lookup = dict(zip(self.hashes.tolist(), self.idf.tolist(), strict=True))
            object.__setattr__(self, "_lookup", lookup)
        w = lookup.get(term, self.max_idf)
        return w * NAME_BOOST if (term in self.names or term in self.places) else w

    @classmethod
    def empty(cls) -> TermTable:
        return cls(np.zeros(0, np.uint32), np.zeros(0, np.float32), 8.0, frozenset(), frozenset())


@lru_cache(maxsize=4)
def load_term_table(path: Path = TERM_TABLE) -> TermTable:
    """The shipped table (an empty one, all words rare, when the file is missing)."""
    if not path.exists():
        log.warning("no story term table at %s: every word counts as rare", path)
        return TermTable.empty()
    with np.load(path) as z:
        return TermTable(z["hashes"], z["idf"], float(z["max_idf"]), frozenset(z["places"].tolist()),
                         frozenset(z["names"].tolist()))


def _jieba_tagged() -> tuple[set[str], set[str]]:
    """Place and person names from jieba's own dictionary (tags ns; nr, nrt)."""
    import jieba

    places: set[str] = set()
    names: set[str] = set()
    with (Path(jieba.__file__).parent / "dict.txt").open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3 and 2 <= len(parts[0]) <= 6:
                if parts[2] == "ns" and parts[0] not in GENERIC_PLACES:
                    places.add(parts[0])
                elif parts[2] in ("nr", "nrt") and len(parts[0]) <= 4:
                    names.add(parts[0])
    return places, names


def build_term_table(docs: Iterable[Sequence[str]], out: Path = TERM_TABLE, min_df: int = 2) -> TermTable:
    """Count document frequencies of content words over ``docs`` and save the table."""
    df: dict[int, int] = {}
    n = 0
    for words in docs:
        n += 1
        for h in {term_hash(canonical(w)) for w in _merged_words(words)}:
            df[h] = df.get(h, 0) + 1
    kept = sorted((h, c) for h, c in df.items() if c >= min_df)
    hashes = np.asarray([h for h, _ in kept], dtype=np.uint32)
    idf = np.asarray([math.log((1 + n) / (1 + c)) + 1 for _, c in kept], dtype=np.float32)
    max_idf = math.log((1 + n) / 2) + 1
    place_words, name_words = _jieba_tagged()
    places = np.asarray(sorted({term_hash(w) for w in place_words}), dtype=np.uint32)
    names = np.asarray(sorted({term_hash(w) for w in name_words}), dtype=np.uint32)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, hashes=hashes, idf=idf, max_idf=np.float32(max_idf), places=places, names=names)
    load_term_table.cache_clear()
    log.info("story term table: %d documents, %d terms, %d places, %d names", n, len(hashes), len(places),
             len(names))
    return load_term_table(out)


# Spellings of one thing that stories about it use interchangeably.
CANONICAL = {
    "二胎": "二孩", "三胎": "三孩", "生二胎": "二孩", "生三胎": "三孩", "生二孩": "二孩", "生三孩": "三孩",
    "超生费": "社会抚养费", "抚养费": "社会抚养费", "计生办": "计生", "计划生育": "计生", "计生委": "计生",
    "卫生健康委": "卫健委", "卫健局": "卫健委", "十万": "10万", "孕妇": "孕产妇", "产妇": "孕产妇",
    "代孕妈妈": "代孕", "生育补贴": "育儿补贴", "十万元": "10万", "一万": "1万", "两万": "2万", "一万元": "1万",
    "两万元": "2万", "罚十万": "10万",
}
# A concept named in other words: (concept, any of these words, with any of these in the same text)
CONCEPTS = (
    ("社会抚养费", frozenset({"罚款", "罚", "罚钱", "交钱"}),
     frozenset({"二孩", "三孩", "超生", "二胎", "三胎", "生二胎"})),
)
# Framing words (how a post passes a story on, not which story it is): never story terms.
FRAMING = frozenset({
    "网传", "传", "疯传", "听说", "据说", "真的", "假的", "赶紧", "转发", "扩散", "紧急", "速看", "注意", "消息",
    "网友", "曝光", "热议", "回应", "最新", "突发", "不", "起", "了", "是", "吗", "大家", "朋友圈", "群里",
})
_ADMIN_SUFFIX = ("省", "市", "县")  # 广东省 and 广东 name one place


def canonical(word: str) -> str:
    """The form a story term is counted under: synonyms merged, 广东省 → 广东."""
    word = CANONICAL.get(word, word)
    if len(word) >= 3 and word.endswith(_ADMIN_SUFFIX):
        return word[:-1]
    return word


def _merged_words(words: Sequence[str]) -> list[str]:
    """Tokens with a number and its unit joined (10 + 万 → 10万) and 超生 + 费 → 社会抚养费."""
    out: list[str] = []
    for w in words:
        if out and w in ("万", "万元") and out[-1].isdigit():
            out[-1] = out[-1] + "万"
        elif out and w == "费" and out[-1] == "超生":
            out[-1] = "社会抚养费"
        else:
            out.append(w)
    present = set(out)
    for concept, either, context in CONCEPTS:
        if concept not in present and present & either and present & context:
            out.append(concept)
    return out


_word_memo: dict[str, tuple[int, float] | None] = {}
_UNKNOWN = (0, -1.0)  # marks a word not yet in the memo
WORD_MEMO_MAX = 200_000  # emptied when full (posts keep bringing words never seen again)
_MERGE_TRIGGERS = frozenset({"万", "万元", "费"}) | frozenset().union(*(either for _, either, _ in CONCEPTS))


def _word_info(word: str, table: TermTable) -> tuple[int, float] | None:
    """A word's term hash (of its canonical form) and weight (idf × name boost); None for words that
    are never story terms (framing words, single ASCII characters)."""
    if (len(word) == 1 and word.isascii()) or word in FRAMING:
        return None
    h = term_hash(canonical(word))
    return h, table.weight_of(h)


def _word_infos(words: list[str], table: TermTable) -> list[tuple[int, float] | None]:
    """:func:`_word_info` of each word; for the shipped table memoised (looked up in C, as
    :func:`nlp.dedup._word_hashes` does), since words repeat a lot."""
    if table is not load_term_table():
        return [_word_info(w, table) for w in words]
    if len(_word_memo) > WORD_MEMO_MAX:
        _word_memo.clear()
    infos = list(map(_word_memo.get, words, repeat(_UNKNOWN)))
    for i, info in enumerate(infos):
        if info is _UNKNOWN:
            infos[i] = _word_memo[words[i]] = _word_info(words[i], table)
    return infos


def story_terms(words: Sequence[str], title_words: Sequence[str] = (), table: TermTable | None = None
                ) -> np.ndarray:
    """A post's story vector, packed for storage: its :data:`MAX_TERMS` heaviest distinct content
    words as term hashes, then their weights (float32 bits), one ``uint32`` array of length 2k.

    Weight = (1 + ln tf) × idf, where a word of the title counts twice more (headlines name the
    story); names and places weigh :data:`NAME_BOOST` times more (see :class:`TermTable`)."""
    in_title = list(dict.fromkeys(title_words))
    return story_terms_batch([[*words, *in_title, *in_title]], table)[0]


def story_terms_batch(docs: Sequence[Sequence[str]], table: TermTable | None = None) -> list[np.ndarray]:
    """:func:`story_terms` of many posts at once (each doc's words; title words repeated twice more).

    Vectorised over the batch: one memoised lookup per word, then counting, weighting and choosing
    each post's heaviest terms with numpy."""
    table = table or load_term_table()
    flat: list[str] = []
    lengths = np.empty(len(docs), dtype=np.int64)
    for i, words in enumerate(docs):
        if not _MERGE_TRIGGERS.isdisjoint(words):
            words = _merged_words(words)
        flat.extend(words)
        lengths[i] = len(words)
    infos = _word_infos(flat, table)
    keep = np.fromiter((x is not None for x in infos), dtype=bool, count=len(infos))
    hashes = np.fromiter((x[0] if x is not None else 0 for x in infos), dtype=np.uint64, count=len(infos))
    weights = np.fromiter((x[1] if x is not None else 0.0 for x in infos), dtype=np.float64, count=len(infos))
    doc = np.repeat(np.arange(len(docs), dtype=np.uint64), lengths)[keep]
    hashes, weights = hashes[keep], weights[keep]
    out = [np.zeros(0, TERM_DTYPE)] * len(docs)
    if not len(hashes):
        return out
    keys, first, counts = np.unique((doc << np.uint64(32)) | hashes, return_index=True, return_counts=True)
    key_doc = (keys >> np.uint64(32)).astype(np.int64)
    key_hash = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    score = ((1.0 + np.log(counts)) * weights[first]).astype(np.float32)
    order = np.lexsort((key_hash, -score, key_doc))  # per doc: heaviest first, ties by hash
    key_doc, key_hash, score = key_doc[order], key_hash[order], score[order]
    starts = np.searchsorted(key_doc, np.arange(len(docs) + 1))
    for i in range(len(docs)):
        a, b = starts[i], min(starts[i + 1], starts[i] + MAX_TERMS)
        if b > a:
            out[i] = np.concatenate([key_hash[a:b], score[a:b].view(np.uint32)]).astype(TERM_DTYPE)
    return out


def unpack_terms(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(hashes, weights)`` of a :func:`story_terms` array."""
    k = len(packed) // 2
    return (np.asarray(packed[:k], dtype=np.uint32),
            np.ascontiguousarray(packed[k : 2 * k], dtype=np.uint32).view(np.float32))


@dataclass(slots=True)
class _Story:
    vec: dict[int, float]  # term hash -> sum of the members' normalised weights (heaviest CENTROID_TERMS)
    norm: float
    places: frozenset[int]
    last: datetime
    touched: int
    indexed: tuple[int, ...] = field(default=())
    updates: int = 0


class StoryIndex:
    """Single-pass story clustering over a sliding window (see the module docstring)."""

    def __init__(self, threshold: float = 0.3, window: timedelta = STORY_WINDOW, max_stories: int = 20_000,
                 table: TermTable | None = None) -> None:
        self.threshold = threshold
        self.window = window
        self.max_stories = max_stories
        self._table = table
        self.stories: dict[str, _Story] = {}
        # term -> the stories it finds (insertion-ordered: the oldest leave first beyond MAX_POSTING)
        self.postings: dict[int, dict[str, None]] = {}
        self.latest: datetime | None = None
        self.ticks = 0
        self._idf_ok: dict[int, bool] = {}

    @property
    def table(self) -> TermTable:
        if self._table is None:
            self._table = load_term_table()
        return self._table

    def _post(self, packed: np.ndarray) -> dict[int, float]:
        terms, w = unpack_terms(packed)
        return dict(zip(terms.tolist(), w.tolist(), strict=True))

    def match(self, terms: np.ndarray, when: datetime) -> str | None:
        """The key of the most similar live story at or above the threshold, if any (``terms``: a
        packed :func:`story_terms` array)."""
        if len(terms) < 4 or not self.stories:
            return None
        postings = self.postings
        probe = [postings[t] for t in terms[:PROBE_TERMS].tolist() if t in postings]
        if not probe:
            return None
        # the stories sharing most of the post's heaviest terms (ties: in posting order)
        shared = Counter(chain.from_iterable(probe)).most_common(MAX_CANDIDATES)
        post = self._post(terms)
        norm = math.sqrt(sum(v * v for v in post.values())) or 1.0
        places = self.table.places.intersection(post)
        best, best_score = None, self.threshold
        for key, _n in shared:
            story = self.stories[key]
            if when - story.last > self.window:
                continue
            if places and story.places and not (places & story.places):
                continue
            vec = story.vec
            cos = sum(post[t] * vec[t] for t in post.keys() & vec.keys()) / (norm * story.norm)
            if cos > best_score or (cos == best_score and best is None):
                best, best_score = key, cos
        return best

    def places_conflict(self, key: str, terms: np.ndarray) -> bool:
        """Whether the post names places and story ``key`` names others only (never one story)."""
        story = self.stories.get(key)
        if story is None or not story.places or len(terms) < 2:
            return False
        places = self.table.places.intersection(unpack_terms(terms)[0].tolist())
        return bool(places) and not (places & story.places)

    def add(self, key: str, terms: np.ndarray, when: datetime) -> None:
        """Add a post's terms to story ``key`` (creating it); keeps the index bounded."""
        if self.latest is None or when > self.latest:
            self.latest = when
        self.ticks += 1
        story = self.stories.get(key)
        if len(terms) < 2:
            if story is not None:
                story.last, story.touched = max(story.last, when), self.ticks
            return
        post = self._post(terms)
        scale = 1.0 / (math.sqrt(sum(v * v for v in post.values())) or 1.0)
        places = self.table.places.intersection(post)
        if story is None:
            vec = {t: w * scale for t, w in post.items()}
            story = _Story(vec, 1.0, frozenset(places), when, self.ticks)
            self.stories[key] = story
        else:
            vec = story.vec
            for t, w in post.items():
                vec[t] = vec.get(t, 0.0) + w * scale
            if len(vec) > 2 * CENTROID_TERMS:  # trimmed now and then, not on every post
                story.vec = vec = dict(sorted(vec.items(), key=lambda kv: (-kv[1], kv[0]))[:CENTROID_TERMS])
            if places:
                story.places = story.places | places
            story.last, story.touched = max(story.last, when), self.ticks
        story.norm = math.sqrt(sum(v * v for v in story.vec.values())) or 1.0
        story.updates += 1
        if story.updates & (story.updates - 1) == 0:  # re-index at the 1st, 2nd, 4th, 8th ... post
            self._reindex(key, story)
        if len(self.stories) > self.max_stories + self.max_stories // 4:
            self.forget()

    def _indexable(self, term: int) -> bool:
        ok = self._idf_ok.get(term)
        if ok is None:
            if len(self._idf_ok) > WORD_MEMO_MAX:
                self._idf_ok.clear()
            ok = self._idf_ok[term] = self.table.weight_of(term) >= MIN_IDF_INDEXED
        return ok

    def _reindex(self, key: str, story: _Story) -> None:
        heavy = sorted(story.vec, key=story.vec.__getitem__, reverse=True)
        new = tuple(t for t in heavy if self._indexable(t))[:INDEXED_TERMS]
        if new == story.indexed:
            return
        for t in set(story.indexed) - set(new):
            if (keys := self.postings.get(t)) is not None:
                keys.pop(key, None)
                if not keys:
                    del self.postings[t]
        for t in new:  # (re)inserted last: the most recently active stories are kept
            keys = self.postings.setdefault(t, {})
            keys.pop(key, None)
            keys[key] = None
            if len(keys) > MAX_POSTING:
                del keys[next(iter(keys))]
        story.indexed = new

    def forget(self) -> None:
        """Drop stories past the window, then the least recently updated beyond ``max_stories``."""
        if self.latest is None:
            return
        horizon = self.latest - self.window
        live = sorted(((s.touched, k) for k, s in self.stories.items() if s.last >= horizon), reverse=True)
        keep = {k for _, k in live[: self.max_stories]}
        for key in [k for k in self.stories if k not in keep]:
            story = self.stories.pop(key)
            for t in story.indexed:
                if (keys := self.postings.get(t)) is not None:
                    keys.pop(key, None)
                    if not keys:
                        del self.postings[t]

    def __len__(self) -> int:
        return len(self.stories)
