import pytest

from unspin.lm import UNKNOWN_LOGPROB, LanguageModel


@pytest.fixture(scope="module")
def lm():
    return LanguageModel.default()


def test_context_changes_probability(lm):
    assert lm.logprob("states", ["the", "united"]) > lm.logprob("states") + 2


def test_unknown_word_gets_floor(lm):
    assert lm.logprob("qwzxptlk") == UNKNOWN_LOGPROB
    assert not lm.known("qwzxptlk") and lm.known("bank")


def test_only_two_history_words_are_used(lm):
    # a longer history must not reach the C library (see docs/design.md)
    assert lm.logprob("states", ["in", "the", "united"]) == lm.logprob("states", ["the", "united"])


def test_window_prefers_original_collocation(lm):
    assert lm.window_logprob(["<s>", "investors"], ["safe", "havens"], ["such", "as"]) > \
        lm.window_logprob(["<s>", "investors"], ["secure", "sanctuaries"], ["such", "as"])
