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


# A page whose author bio is printed twice (under the headline and again in the body), and a copy
# that reproduces a stretch from the middle of the body with its own menu and footer around it.
_BIO = ("Mara Quist is a senior fellow at the Institute for Coastal Studies, where she studies how "
        "shipping routes change fishing communities and local economies. Before that she worked for "
        "ten years as a port engineer in Rotterdam and Gdansk.")
_PAGE = (
    "Harbour Futures: Who Pays for the Sea Wall?\n\nBy Mara Quist\n\n" + _BIO + "\n\n"
    "The storm season left three harbours on the east coast with damaged piers and flooded warehouses. "
    "Insurers have already paid out more than in any year since records began.\n\n"
    "This is the second part of a series on coastal defence in which the Institute looks at who will "
    "pay for repairs, how councils plan for rising water and what the national budget can bear.\n\n"
    + _BIO + "\n\n"
    "Councils say they cannot raise the money alone, and several have asked the government to share "
    "the cost of new walls and pumps. Ministers have promised an answer before the summer.\n\n"
    "Related articles\nSign up for our weekly newsletter\nCookie settings"
)
_EXCERPT = (
    "This is the second part of a series on coastal defence in which the Institute looks at who will "
    "pay for repairs, how councils plan for rising water and what the national budget can bear. "
    + _BIO + " Councils say they cannot raise the money alone, and several have asked the government "
    "to share the cost of new walls and pumps."
)
_SWAPS = [("second", "2nd"), ("series", "collection"), ("repairs", "fixings"), ("rising", "increasing"),
          ("senior", "elderly"), ("communities", "neighborhoods"), ("economies", "financial systems"),
          ("money", "cash"), ("cost", "expense")]


def _spin_by_hand(text):
    import re as _re
    for a, b in _SWAPS:
        text = _re.sub(rf"\b{a}\b", b, text, count=1)
    return text


def test_excerpt_from_mid_page_with_repeated_block_and_furniture():
    spun_excerpt = _spin_by_hand(_EXCERPT)
    head, tail = "Home | World | Business\nShare this story\n", "\nAll rights reserved. Follow us on social media."
    spun = head + spun_excerpt + tail
    al = align(spun, _PAGE)
    _check_spans(al)
    # every swap is undone, the furniture is kept as it is and nothing from the page around is pulled in
    assert al.restored == head + _EXCERPT + tail
    a, b = al.core_source
    assert _PAGE[a:b].startswith("This is the second part") and _PAGE[a:b].endswith("new walls and pumps")
    a, b = al.core_spun
    assert spun[a:b] == spun_excerpt.removesuffix(".")
    assert sorted((e.spun, e.source) for e in al.substitutions) == sorted((b, a) for a, b in _SWAPS)


def test_block_move_out_of_mid_page_excerpt():
    # the copy puts the body's bio first; the source also has the same bio under the headline
    spun = _spin_by_hand(_BIO + " " + _EXCERPT.replace(_BIO + " ", ""))
    al = align(spun, _PAGE)
    _check_spans(al)
    assert "Councils say they cannot raise the money alone" in al.restored
    assert "second part of a series" in al.restored and "fixings" not in al.restored
    assert "senior fellow" in al.restored and "elderly" not in al.restored


def test_anchor_chain_prefers_one_copy_of_a_repeated_source():
    # the source holds the same article three times: the alignment must not hop between copies
    # (seed 0 leaves the last word alone: a swapped last word before more source text stays ambiguous)
    page = " ".join([SOURCE] * 3)
    spun = unspin.spin(SOURCE, rate=0.4, style="dictionary", seed=0).text
    assert spun.endswith("closure.") and spun != SOURCE
    al = align(spun, page)
    _check_spans(al)
    assert al.restored == SOURCE
    a, b = al.core_source
    assert b - a <= len(SOURCE)
