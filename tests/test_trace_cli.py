"""unspin index / trace / learn / profiles commands."""
import json

import pytest

import unspin
from unspin.cli import main
from unspin.profiles import Profile

ORIGINALS = {
    "a": ("The city council said on Monday it would spend more money on road repairs this year after "
          "residents complained about potholes. The plan will be discussed at a public meeting next week."),
    "b": ("Shares in the company fell sharply after it said profits would be lower than expected. The firm "
          "blamed rising costs and weak demand in its largest markets, and said it would cut jobs."),
    "c": ("Doctors at the hospital warned that waiting lists were growing because of staff shortages. The "
          "health board said new nurses had been hired and that the situation should improve by autumn."),
}


@pytest.fixture()
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("UNSPIN_HOME", str(tmp_path / "home"))
    refs = tmp_path / "refs.jsonl"
    refs.write_text("".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in ORIGINALS.items()))
    return tmp_path


def test_index_trace_learn_profiles(env, capsys):
    db = str(env / "refs.db")
    f = env / "extra.txt"
    f.write_text("A story about a small island lighthouse keeper who retired after forty years of service.")
    assert main(["index", "add", db, str(env / "refs.jsonl"), str(f)]) == 0
    assert "4 of 4" in capsys.readouterr().out
    assert main(["index", "add", db, str(env / "refs.jsonl")]) == 0
    assert "0 of 3" in capsys.readouterr().out

    spun = unspin.spin(ORIGINALS["b"], rate=0.4, style="dictionary", seed=2).text
    sus = env / "sus.txt"
    sus.write_text(spun)
    assert main(["trace", db, str(sus)]) == 0
    out = capsys.readouterr().out
    assert "1. b " in out and "->" in out
    assert main(["trace", db, str(sus), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["matches"][0]["doc_id"] == "b" and d["restored"] == ORIGINALS["b"]
    assert main(["trace", db, str(sus), "--restore"]) == 0
    assert capsys.readouterr().out.strip() == ORIGINALS["b"]

    copies = env / "copies.jsonl"
    copies.write_text("".join(json.dumps({"id": k, "text": unspin.spin(v, rate=0.4, seed=5).text}) + "\n"
                              for k, v in ORIGINALS.items()))
    assert main(["learn", db, str(copies), "--profile", "farm1"]) == 0
    out = capsys.readouterr().out
    assert "saved to" in out
    prof = Profile.load(str(env / "home" / "profiles" / "farm1.json"))
    assert prof.pairs == 3 and len(prof) > 0
    assert main(["learn", db, str(copies), "--profile", "farm1"]) == 0  # extends
    capsys.readouterr()
    assert Profile.load(str(env / "home" / "profiles" / "farm1.json")).pairs == 6
    assert main(["profiles", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["farm1"]["kind"] == "user" and rows["farm1"]["pairs"] == 6
    assert rows["wordai-like"]["kind"] == "built-in"
    assert main(["profiles"]) == 0
    assert "farm1" in capsys.readouterr().out
    assert main(["index", "info", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["documents"] == 4


def test_cli_errors(env, capsys):
    sus = env / "sus.txt"
    sus.write_text("some text")
    assert main(["trace", str(env / "none.db"), str(sus)]) == 4
    assert "no such index" in capsys.readouterr().err
    assert main(["trace", str(sus), str(sus)]) == 3
    assert "not an unspin index" in capsys.readouterr().err
    bad = env / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "ok"}\nnot json\n')
    assert main(["index", "add", str(env / "x.db"), str(bad)]) == 3
    assert "not valid JSON" in capsys.readouterr().err
    assert main(["learn", str(env / "x.db"), str(sus), "--profile", "../evil"]) == 2
    assert "invalid profile name" in capsys.readouterr().err


def test_trace_inputs_and_weak_matches(env, capsys):
    """A top match too weak to be the source (check(index=) refuses it too) is not used
    to restore; texts with nothing to index are stored without postings; JSONL rows must
    be objects, may start with a BOM, and null ids do not overwrite each other."""
    db = str(env / "one.db")
    only = env / "only.jsonl"
    only.write_text(json.dumps({"id": "a", "text": ORIGINALS["a"]}) + "\n")
    assert main(["index", "add", db, str(only)]) == 0
    capsys.readouterr()
    unrelated = env / "unrelated.txt"
    # shares one clause with "a", the rest is another story
    unrelated.write_text(ORIGINALS["c"] + " " + ORIGINALS["b"] + " The city council said on Monday it would spend more.")
    assert main(["trace", db, str(unrelated), "--restore"]) == 0
    captured = capsys.readouterr()
    assert "no source" in captured.err and captured.out.strip() == unrelated.read_text().strip()
    assert main(["trace", db, str(unrelated)]) == 0
    assert "no source in" in capsys.readouterr().out
    assert main(["trace", db, str(unrelated), "--max-edits", "-1"]) == 2
    capsys.readouterr()

    odd = env / "odd.jsonl"
    odd.write_text('\ufeff{"id": null, "text": "hello"}\n{"id": null, "text": "!!!"}\n'
                   + json.dumps({"id": "x", "text": ORIGINALS["b"]}) + "\n", encoding="utf-8")
    assert main(["index", "add", str(env / "odd.db"), str(odd)]) == 0  # BOM, featureless texts, null ids
    assert "3 of 3" in capsys.readouterr().out
    arr = env / "arr.jsonl"
    arr.write_text('["a"]\n')
    assert main(["index", "add", str(env / "arr.db"), str(arr)]) == 3
    assert "not a JSON object" in capsys.readouterr().err


def test_learn_into_a_damaged_profile_says_so(env, capsys):
    """Extending a learned profile whose file is damaged was an internal error (exit 70);
    --replace learns it afresh."""
    db = str(env / "refs.db")
    assert main(["index", "add", db, str(env / "refs.jsonl")]) == 0
    copies = env / "copies.jsonl"
    copies.write_text("".join(json.dumps({"id": k, "text": unspin.spin(v, rate=0.4, seed=5).text}) + "\n"
                              for k, v in ORIGINALS.items()))
    folder = env / "home" / "profiles"
    folder.mkdir(parents=True)
    (folder / "farm.json").write_text("{broken", encoding="utf-8")
    capsys.readouterr()
    assert main(["learn", db, str(copies), "--profile", "farm"]) == 3
    err = capsys.readouterr().err
    assert "farm.json" in err and "--replace" in err
    assert main(["learn", db, str(copies), "--profile", "farm", "--replace"]) == 0
    assert Profile.load(str(folder / "farm.json")).pairs == 3
    (folder / "farm.json").write_text('{"table": {}}', encoding="utf-8")  # no "name": KeyError, was taken
    assert main(["learn", db, str(copies), "--profile", "farm"]) == 3      # for a new profile and replaced
    assert "farm.json" in capsys.readouterr().err
    assert (folder / "farm.json").read_text(encoding="utf-8") == '{"table": {}}'


def test_index_add_warns_when_an_id_is_given_twice_with_different_texts(env, capsys):
    """The second row silently replaced the first ("2 of 2 documents added", 1 in the index)."""
    rows = env / "dups.jsonl"
    rows.write_text(json.dumps({"id": "a", "text": ORIGINALS["a"]}) + "\n"
                    + json.dumps({"id": "b", "text": ORIGINALS["b"]}) + "\n"
                    + json.dumps({"id": "a", "text": ORIGINALS["c"]}) + "\n")
    assert main(["index", "add", str(env / "d.db"), str(rows)]) == 0
    err = capsys.readouterr().err
    assert "id 'a' is given twice" in err and "row 1" in err and "row 3" in err
    same = env / "same.jsonl"  # the same text twice loses nothing: no warning
    same.write_text((json.dumps({"id": "a", "text": ORIGINALS["a"]}) + "\n") * 2)
    assert main(["index", "add", str(env / "e.db"), str(same)]) == 0
    assert "warning" not in capsys.readouterr().err


def test_learn_input_errors_are_input_errors(env, capsys):
    db = str(env / "refs.db")
    assert main(["index", "add", db, str(env / "refs.jsonl")]) == 0
    empty = env / "empty.jsonl"
    empty.write_text("\n")
    capsys.readouterr()
    assert main(["learn", db, str(empty), "--profile", "farm"]) == 3  # was "none of the 0 copies ...", exit 1
    assert "no spun copies" in capsys.readouterr().err
    odd = env / "odd.jsonl"
    odd.write_text(json.dumps({"id": "x", "text": ORIGINALS["a"], "source_id": ["a"]}) + "\n")
    assert main(["learn", db, str(odd), "--profile", "farm"]) == 3  # was an internal error (exit 70)
    assert "odd.jsonl:1: 'source_id'" in capsys.readouterr().err
    numeric = env / "numeric.jsonl"
    numeric.write_text(json.dumps({"id": 7, "text": ORIGINALS["c"]}) + "\n")
    assert main(["index", "add", db, str(numeric)]) == 0
    copy = env / "copy.jsonl"
    copy.write_text(json.dumps({"id": "x", "text": unspin.spin(ORIGINALS["c"], rate=0.4, seed=1).text,
                                "source_id": 7}) + "\n")
    capsys.readouterr()
    assert main(["learn", db, str(copy), "--profile", "farm", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["traced"][0]["doc_id"] == "7"
