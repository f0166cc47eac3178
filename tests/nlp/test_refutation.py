"""Telling a post that refutes a rumour from the rumour, and which rumour it answers."""

from __future__ import annotations

from nlp.refutation import answers, refutes_rumour

RUMOUR = "紧急扩散！新规生二胎要交10万“超生费”，下月起执行"
DEBUNK = ("网传“二孩罚款10万”？记者求证：系谣言。近日，一则“新规生二胎要交10万超生费”的消息在多个微信群转发。"
          "相关负责人表示，国家已取消社会抚养费，网传内容与事实不符。")


def test_a_debunk_the_rumour_model_scores_low_refutes() -> None:
    assert refutes_rumour(DEBUNK, 0.31)


def test_the_rumour_itself_does_not() -> None:
    assert not refutes_rumour(RUMOUR, 0.99)
    assert not refutes_rumour("网传下月起二胎罚款，是真的吗？", 0.3)  # 网传 alone is no refutation


def test_a_post_the_rumour_model_believes_is_not_a_refutation_whatever_its_words() -> None:
    assert not refutes_rumour("辟谣？别信官方，新规就是要罚10万", 0.8)


def test_a_debunk_answers_the_rumour_it_quotes_only() -> None:
    assert answers(RUMOUR, DEBUNK)
    assert not answers("我们村还在收社会抚养费，这合法吗？", DEBUNK)
    assert not answers("", DEBUNK)
