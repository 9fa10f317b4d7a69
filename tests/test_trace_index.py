"""Trace index: retrieval robust to spinning, idempotence, transactions, clear errors."""
import sqlite3

import pytest

import unspin
from unspin.trace import Index, IndexFileError, Match

# Short original texts written for these tests.
TEXTS = {
    "harbour": (
        "The harbour authority said on Tuesday that it would close the northern pier for repairs "
        "after storms damaged the sea wall in January. Fishermen who use the pier will be moved to "
        "the southern quay until the work is finished, which the council expects to take about "
        "four months. Local businesses have asked for help with the cost of the closure, saying "
        "that visitors already stay away during the winter season."
    ),
    "school": (
        "A primary school in the valley will get a new library after parents raised more than "
        "twelve thousand pounds at a summer fair. The head teacher said the old reading room had "
        "become too small for the number of pupils and that the new building would also be used "
        "for evening classes. Work is due to start in the spring and the library should open "
        "before the next school year."
    ),
    "bank": (
        "Metro Bank has been fined by the Financial Conduct Authority for weak controls over "
        "money laundering. The regulator said the bank did not have the right systems to monitor "
        "more than sixty million transactions. Its chief executive said the decision draws a line "
        "under a legacy issue and that the bank had already improved its processes."
    ),
    "rail": (
        "Rail passengers face more delays this weekend as engineers replace signals between the "
        "two stations. The operator said buses would replace trains on Saturday and Sunday and "
        "advised people to check before they travel. Tickets bought for the affected days will be "
        "accepted on the following week without extra charge."
    ),
}


@pytest.fixture()
def index(tmp_path):
    ix = Index.create(tmp_path / "refs.db")
    ix.add_many((k, v, {"n": i}) for i, (k, v) in enumerate(TEXTS.items()))
    yield ix
    ix.close()


@pytest.mark.parametrize("doc_id", list(TEXTS))
def test_spun_copy_finds_its_source_first(index, doc_id):
    spun = unspin.spin(TEXTS[doc_id], rate=0.4, style="dictionary", seed=7).text
    assert spun != TEXTS[doc_id]
    hits = index.search(spun, k=3)
    assert hits and isinstance(hits[0], Match)
    assert hits[0].doc_id == doc_id
    assert 0.3 < hits[0].score <= 1.0
    assert all(h.score < hits[0].score for h in hits[1:])


def test_page_furniture_and_unrelated_query(index):
    spun = unspin.spin(TEXTS["rail"], rate=0.3, style="dictionary", seed=1).text
    hits = index.search("Home | News | Sport | Weather\n" + spun + "\nShare this article. Comments", k=1)
    assert hits[0].doc_id == "rail"
    unrelated = index.search("Quantum chromodynamics describes quarks and gluons.", k=3)
    assert all(h.score < 0.3 for h in unrelated)


def test_add_is_idempotent_and_replaces_changed_text(index):
    before = index.stats()
    assert index.add("school", TEXTS["school"]) is False
    assert index.add_many([("school", TEXTS["school"]), ("bank", TEXTS["bank"])]) == 0
    assert index.stats()["documents"] == before["documents"]
    assert index.stats()["terms"] == before["terms"]
    new = "An entirely different story about a lighthouse keeper on a small island who retired in May."
    assert index.add("school", new) is True
    assert len(index) == 4 and index.get("school") == new
    assert all(h.doc_id != "school" or h.score < 0.5 for h in index.search(TEXTS["school"], k=3))
    assert index.search(new, k=1)[0].doc_id == "school"
    assert index.meta("bank") == {"n": 2}


def test_interrupted_add_many_leaves_consistent_index(tmp_path):
    path = tmp_path / "i.db"
    ix = Index.create(path)
    ix.add("harbour", TEXTS["harbour"])
    stats = ix.stats()

    def records():
        yield "school", TEXTS["school"]
        yield "bank", TEXTS["bank"]
        raise RuntimeError("disk unplugged")

    with pytest.raises(RuntimeError):
        ix.add_many(records())
    assert ix.stats() == stats  # the unfinished batch was rolled back entirely
    ix.close()
    ix = Index.open(path)
    assert ix.doc_ids() == ["harbour"]
    assert ix.search(TEXTS["harbour"])[0].doc_id == "harbour"
    # the same records go in cleanly afterwards
    assert ix.add_many([("school", TEXTS["school"]), ("bank", TEXTS["bank"])]) == 2
    assert ix.search(TEXTS["bank"], k=1)[0].doc_id == "bank"
    ix.close()


def test_committed_batches_survive_a_later_failure(tmp_path):
    ix = Index.create(tmp_path / "b.db")

    def records():
        for k, v in TEXTS.items():
            yield k, v
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ix.add_many(records(), batch=2)
    assert sorted(ix.doc_ids()) == sorted(TEXTS)  # two full batches were committed
    ix.close()


def test_readers_see_committed_data_while_open(tmp_path):
    path = tmp_path / "w.db"
    w = Index.create(path)
    w.add("harbour", TEXTS["harbour"])
    r = Index.open(path, readonly=True)
    w.add("rail", TEXTS["rail"])
    assert r.search(TEXTS["rail"], k=1)[0].doc_id == "rail"
    with pytest.raises(IndexFileError):
        r.add("x", "y")
    r.close()
    w.close()


def test_missing_corrupt_and_foreign_files(tmp_path):
    with pytest.raises(IndexFileError, match="no such index") as e:
        Index.open(tmp_path / "missing.db")
    assert e.value.exit_code == 4
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"hello, this is not a database at all" * 10)
    with pytest.raises(IndexFileError, match="not an unspin index"):
        Index.open(junk)
    foreign = tmp_path / "foreign.db"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE t(x)")
    con.commit()
    con.close()
    with pytest.raises(IndexFileError, match="not an unspin index"):
        Index.open(foreign)
    good = tmp_path / "good.db"
    Index.create(good).close()
    data = bytearray(good.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)
    broken = tmp_path / "broken.db"
    broken.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="corrupt|not an unspin"):
        Index.open(broken)
    with pytest.raises(IndexFileError, match="already exists"):
        Index.create(good)
    with pytest.raises(IndexFileError, match="directory"):
        Index.open(tmp_path)


def test_bad_records_and_limits(tmp_path):
    ix = Index.create(tmp_path / "r.db")
    with pytest.raises(ValueError):
        ix.add_many([("only-an-id",)])
    with pytest.raises(ValueError, match="longer than"):
        ix.add("big", "word " * 300_000)
    assert len(ix) == 0
    assert ix.search("") == [] and ix.search("anything at all") == []
    assert ix.add_many([{"id": "d", "text": "A dict record works too.", "meta": {"a": 1}}]) == 1
    assert ix.meta("d") == {"a": 1}
    ix.close()


def test_package_exports():
    assert unspin.Index is Index and unspin.Match is Match
    assert callable(unspin.align) and unspin.Alignment.__name__ == "Alignment"
