"""Fixtures shared by several test modules."""
import pytest


@pytest.fixture
def check_many_sizes(monkeypatch):
    """Record the number of texts of each check_many call on the default engine."""
    from unspin.detect import default_engine

    engine = default_engine()
    real = engine.check_many
    sizes = []

    def spy(texts, *a, **kw):
        sizes.append(len(texts))
        return real(texts, *a, **kw)

    monkeypatch.setattr(engine, "check_many", spy)
    return sizes
