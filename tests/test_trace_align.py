"""Word alignment with block moves; exact restoration from a known source."""
import pytest

import unspin
from unspin.report import Report
from unspin.trace import Index, align

SOURCE = (
    "The harbour authority said on Tuesday that it would close the northern pier for repairs "
    "after storms damaged the sea wall in January. Fishermen who use the pier will be moved to "
    "the southern quay until the work is finished, which the council expects to take about "
    "four months. Local businesses have asked for help with the cost of the closure."
)


def _check_spans(al):
    for e in al.edits:
        assert al.spun_text[e.spun_start:e.spun_end] == e.spun
        assert al.source_text[e.source_start:e.source_end] == e.source
        assert e.op in ("replace", "insert", "delete", "move")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_restored_equals_source_for_dictionary_spin(seed):
    r = unspin.spin(SOURCE, rate=0.5, style="dictionary", seed=seed)
    assert r.text != SOURCE
    al = align(r.text, SOURCE)
    _check_spans(al)
    assert al.restored == SOURCE
    assert al.substitutions  # the spinner's swaps show up as replace edits
    # each gold substitution lies inside some replace edit's spun span
    for g in r.edits:
        assert any(e.spun_start <= g.spun_start and g.spun_end <= e.spun_end for e in al.substitutions)


def test_multi_word_replacement_and_spans():
    al = align("Prices rose by means of higher costs in the present day, analysts mentioned.",
               "Prices rose through higher costs today, analysts said.")
    _check_spans(al)
    assert [(e.spun, e.source) for e in al.substitutions] == [
        ("by means of", "through"), ("in the present day", "today"), ("mentioned", "said")]
    assert al.restored == "Prices rose through higher costs today, analysts said."


def test_page_furniture_is_edge_and_kept():
    spun = "Menu Home News Sport Login\n" + SOURCE.replace("said", "mentioned") + "\nShare on Facebook Twitter email"
    al = align(spun, SOURCE)
    _check_spans(al)
    edges = [e for e in al.edits if e.edge]
    assert edges and all(e.op in ("delete", "insert", "replace") for e in edges)
    assert al.restored.startswith("Menu Home News Sport Login\nThe harbour authority said on Tuesday")
    assert al.restored.endswith("the closure.\nShare on Facebook Twitter email")
    a, b = al.core_spun
    assert spun[a:b].startswith("The harbour") and spun[a:b].endswith("closure")


def test_block_move_detected():
    s1 = "Fishermen who use the pier will be moved to the southern quay until the work is finished."
    s2 = "The harbour authority said on Tuesday that it would close the northern pier for repairs."
    s3 = "Local businesses have asked for help with the cost of the closure."
    src = " ".join([s2, s3, s1])
    spun = " ".join([s1.replace("finished", "completed"), s2, s3])
    al = align(spun, src)
    _check_spans(al)
    moves = [e for e in al.edits if e.op == "move"]
    assert moves, al.edits
    m = moves[0]
    assert "southern quay" in m.spun and "southern quay" in m.source
    assert "finished" in al.restored and "completed" not in al.restored


def test_insert_and_delete_restore():
    al = align("The pier will close for very long repairs after storms.",
               "The northern pier will close for repairs after the storms.")
    _check_spans(al)
    assert al.restored == "The northern pier will close for repairs after the storms."
    assert {e.op for e in al.edits} >= {"insert", "delete"}


def test_empty_inputs():
    assert align("", "").edits == [] and align("", "").restored == ""
    al = align("Some words here.", "")
    assert al.restored == "Some words here." and al.coverage == 0.0


def test_check_with_index_reports_source(tmp_path):
    ix = Index.create(tmp_path / "refs.db")
    ix.add("harbour", SOURCE, {"url": "https://example.org/harbour"})
    ix.add("other", "A completely different article about rail engineering works on Saturday and Sunday.")
    spun = unspin.spin(SOURCE, rate=0.4, style="dictionary", seed=3).text
    rep = unspin.check(spun, index=ix, profile=None)
    assert rep.source["doc_id"] == "harbour" and rep.source["score"] > 0.3
    assert rep.source["restored"] == SOURCE
    assert rep.source["meta"] == {"url": "https://example.org/harbour"}
    assert Report.from_dict(rep.to_dict()) == rep
    ix.close()
    rep2 = unspin.check(spun, index=str(tmp_path / "refs.db"), profile=None)
    assert rep2.source["doc_id"] == "harbour"
    assert unspin.check("The cat sat on the mat.", profile=None).source is None
