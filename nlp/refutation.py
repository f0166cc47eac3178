"""Posts that refute a rumour (辟谣), told apart from the rumour itself without retraining a model.

The category decision takes 辟谣 / 求证 / 不实 as rumour cues, so a journalist's "记者求证：系谣言"
comes out in the rumour category although the rumour model itself scores it low. Such a post is not a
rumour awaiting a response: it *is* a response (a clarification) to the rumour it quotes. This module
uses two signals that exist already — the rumour model's probability and the post's words — and a
character-bigram overlap to find which rumour a refutation answers. Pure: text in, decisions out.
"""

from __future__ import annotations

import re

# Wording that says a claim is false or has been checked and found false (not merely "网传", which
# introduces rumours as often as it refutes them).
REFUTATION_CUES: tuple[str, ...] = (
    "辟谣", "系谣言", "是谣言", "属谣言", "纯属谣言", "不实", "与事实不符", "不属实", "并不属实", "假消息",
    "不信谣", "不传谣", "澄清", "谣言止于",
)
# Below this rumour-model probability a post in the rumour category got there by its cue words only.
REFUTATION_MAX_RUMOUR = 0.5
# Share of a rumour's title bigrams that a refutation must contain to count as answering it.
ANSWERS_MIN_OVERLAP = 0.4

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def refutes_rumour(text: str, rumour_probability: float) -> bool:
    """True when the post says a rumour is false rather than spreading one."""
    return rumour_probability < REFUTATION_MAX_RUMOUR and any(cue in text for cue in REFUTATION_CUES)


def _bigrams(text: str) -> set[str]:
    plain = _NOISE.sub("", text)
    return {plain[i:i + 2] for i in range(len(plain) - 1)}


def answers(rumour_title: str, refutation_text: str) -> bool:
    """True when ``refutation_text`` quotes enough of ``rumour_title`` to be about that rumour."""
    wanted = _bigrams(rumour_title)
    if not wanted:
        return False
    return len(wanted & _bigrams(refutation_text)) / len(wanted) >= ANSWERS_MIN_OVERLAP

# The category a refuting post is counted under in the digest (not a Category: the models never
# predict it; it is decided here, after them). Shown as CLARIFICATION_ZH.
CLARIFICATION = "clarification"
CLARIFICATION_ZH = "辟谣澄清"
