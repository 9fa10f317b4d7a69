"""unspin.bench.corpus: the reference filter is timed chunk by chunk beside unspin's own."""
import pytest

pytest.importorskip("datatrove")

from unspin.bench import corpus as C  # noqa: E402


class _Counting:
    """Stands in for GopherQualityFilter: records which documents it saw, in order."""

    def __init__(self):
        self.seen = []

    def filter(self, doc):
        self.seen.append(doc.id)
        return True


def _docs(n):
    return [{"id": f"d{k}", "text": f"The council met on day {k} and approved the budget."} for k in range(n)]


@pytest.mark.parametrize("n_ref", [3, 300, 600])
def test_reference_runs_on_each_chunk_after_unspins_and_on_the_rest_after(n_ref):
    docs = _docs(600)
    ref = _Counting()
    out = C.bench_inprocess(docs[:300], fast=True, gopher=ref, gopher_on=docs[:n_ref])
    assert ref.seen == [d["id"] for d in docs[:n_ref]]  # each document once, in order
    assert out["docs"] == 300 and out["gopher"]["docs"] == n_ref and out["gopher"]["seconds"] > 0


def test_without_a_reference_nothing_is_timed_for_it():
    out = C.bench_inprocess(_docs(10), fast=True)
    assert "gopher" not in out and out["docs"] == 10
