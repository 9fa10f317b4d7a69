"""Fixtures shared by several test modules."""
import pytest


@pytest.fixture
def check_many_sizes(monkeypatch):
    """Record the number of texts of each check_many call on the default engine."""
    from unspin.detect import default_engine

    from unspin.corpus import batch

    engine = default_engine()
    engine.warm()
    monkeypatch.setattr(batch, "_warmed", True)  # warm() checks a text itself: not counted here
    real = engine.check_many
    sizes = []

    def spy(texts, *a, **kw):
        sizes.append(len(texts))
        return real(texts, *a, **kw)

    monkeypatch.setattr(engine, "check_many", spy)
    return sizes


@pytest.fixture
def batches_fail(monkeypatch):
    """Make the default engine's check_many raise for more than one text; a single text
    (Engine.check goes through check_many([text])) still works. Returns the sizes of the
    calls that failed."""
    from unspin.detect import default_engine

    from unspin.corpus import batch

    engine = default_engine()
    engine.warm()
    monkeypatch.setattr(batch, "_warmed", True)  # warm() checks a text itself: not counted here
    real = engine.check_many
    failed = []

    def fails_on_batches(texts, *a, **kw):
        if len(texts) > 1:
            failed.append(len(texts))
            raise RuntimeError("combined pass failed")
        return real(texts, *a, **kw)

    monkeypatch.setattr(engine, "check_many", fails_on_batches)
    return failed
