import json

import pytest

from unspin.profiles import substitutions
from unspin.profiles import Profile, builtin, builtin_names, learn_profile, resolve


def test_learn_counts_and_rates():
    pairs = [("The firm mentioned a yr of losses.", "The company said a year of losses."),
             ("Officials mentioned the yr ahead.", "Officials said the year ahead."),
             ("He mentioned nothing.", "He mentioned nothing.")]
    p = learn_profile(pairs, name="t")
    assert p.originals("mentioned") == [("said", 2)]
    assert p.seen["mentioned"] == 3
    assert p.substitution_rate("mentioned") == pytest.approx(2 / 5)
    assert p.words == sum(len(s.split()) for s, _ in pairs)


def test_numbers_are_not_learned():
    p = learn_profile([("It fell two,070 points", "It fell 2,070 points")], name="t")
    assert len(p) == 0


def test_save_load_roundtrip(tmp_path):
    p = learn_profile([("cash rules", "money rules")], name="t", source="unit test")
    path = tmp_path / "p.json"
    p.save(str(path))
    assert Profile.load(str(path)) == p
    assert json.loads(path.read_text())["table"] == {"cash": {"money": 1}}


def test_builtin_profiles_and_resolve():
    assert "wordai-like" in builtin_names()
    prof = builtin("wordai-like")
    assert prof.originals("buying and selling")[0][0] == "trading"
    assert resolve(None) == [] and resolve(prof) == [prof]
    with pytest.raises(KeyError, match="available"):
        builtin("no-such-spinner")


def test_resolve_refuses_what_is_not_a_profile():
    """profile=["junk"] or [None] failed deep in the engine ('str' object has no attribute
    'table'); profile=5 said "'int' object is not iterable"; b"auto" was iterated as ints."""
    import unspin

    for bad, what in ((5, "got int"), (b"auto", "got bytes"), ({"a": 1}, "got dict"),
                      ([None], "got NoneType"), ([prof_ := builtin("wordai-like"), 3.5], "got float")):
        with pytest.raises(TypeError, match=f"profile.*{what}"):
            resolve(bad)
    with pytest.raises(TypeError, match="Profile objects or profile names"):
        unspin.check("The bank said.", profile=[object()])
    # a list may mix Profile objects and names
    empty = Profile("empty")
    assert resolve([empty, "wordai-like"]) == [empty, prof_]
    assert resolve([]) == [] and resolve(("none",)) == []


def test_learn_profile_refuses_what_is_not_a_pair_of_texts():
    """learn_profile(["ab"]) learned 'a' -> 'b' from a string taken as a pair; a None or bytes
    text failed deep in the tokenizer; name=None made a nameless profile."""
    for bad, what in ((["ab"], "item 0 is str"), ([("The firm said.", None)], "item 0 is tuple"),
                      ([("a", "b"), (b"x", b"y")], "item 1 is tuple"), ([("a", "b", "c")], "item 0"), ([5], "item 0 is int")):
        with pytest.raises(TypeError, match=what):
            learn_profile(bad, name="x")
    with pytest.raises(TypeError, match="name must be a str"):
        learn_profile([], name=None)
    # lists are pairs as well as tuples
    assert learn_profile([["The firm mentioned it.", "The firm said it."]], name="x").originals("mentioned") == [("said", 1)]


def test_merge_adds_counts():
    a = learn_profile([("cash", "money")], name="a")
    b = learn_profile([("cash", "money")], name="b")
    assert a.merge(b).originals("cash") == [("money", 2)]


def test_substitutions_spans_point_into_both_texts():
    spun, orig = "Shares fell as buying and selling resumed.", "Shares fell as trading resumed."
    (sub,) = substitutions(spun, orig)
    assert spun[sub.spun_start:sub.spun_end] == "buying and selling"
    assert orig[sub.orig_start:sub.orig_end] == "trading"


@pytest.mark.parametrize("counts, message", [
    ({"table": {"mentioned": {"said": 1e400}}}, "whole number"),   # json reads 1e400 as inf: scores became NaN
    ({"table": {"mentioned": {"said": -5}}}, "negative"),
    ({"table": {"mentioned": {"said": "abc"}}}, "whole number"),
    ({"table": {"mentioned": {"said": 2}}, "seen": {"mentioned": "many"}}, "whole number"),
    ({"table": {"mentioned": {"said": 2.5}}}, "whole number"),   # was truncated to 2
    ({"table": {"mentioned": {"said": "5"}}}, "whole number"),   # a string is no count
    ({"table": {"mentioned": {"said": True}}}, "whole number"),  # nor is true (int(True) == 1)
    # a 400-digit integer is read as an int: it loaded, then every check failed (OverflowError)
    ({"table": {"mentioned": {"said": 10 ** 400}}}, "too large"),
    ({"table": {"mentioned": {"said": 2}}, "seen": {"mentioned": 10 ** 400}}, "too large"),
])
def test_a_damaged_profile_file_is_refused_when_read(tmp_path, counts, message):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"name": "x", **counts}).replace("Infinity", "1e400"), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        Profile.load(str(path))


def test_auto_skips_a_damaged_learned_profile_with_a_warning(tmp_path, monkeypatch):
    """A library user or `unspin serve` with profile 'auto' (the default): one half-written
    file among the learned profiles raised JSONDecodeError on every check. It is skipped,
    with a warning naming it; the built-in profiles still apply."""
    import unspin
    from unspin.profiles import builtin_names, resolve

    monkeypatch.setenv("UNSPIN_HOME", str(tmp_path))
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "broken.json").write_text("{broken", encoding="utf-8")
    with pytest.warns(RuntimeWarning, match="broken.json"):
        got = resolve("auto")
    assert [p.name for p in got] == builtin_names()
    with pytest.warns(RuntimeWarning):
        report = unspin.check("The regulator mentioned the worldwide group had no secure sanctuaries.")
    assert any(f.kind == "profile" for f in report.findings)  # built-in profiles still used
    # a damaged file that would shadow a built-in profile leaves the built-in one in use
    (tmp_path / "profiles" / "broken.json").unlink()
    shadow = builtin_names()[0]
    (tmp_path / "profiles" / f"{shadow}.json").write_text("{broken", encoding="utf-8")
    with pytest.warns(RuntimeWarning, match="using the built-in one"):
        assert [p.name for p in resolve("auto")] == builtin_names()


def test_auto_skips_a_learned_profile_file_whose_name_is_no_profile_name(tmp_path, monkeypatch):
    """'my farm.json' (copied in by hand) made every check an internal error: the warning
    (and the CLI's refusal) named the file with user_path, which refuses the name."""
    import subprocess
    import sys

    from unspin.profiles import builtin_names, resolve

    monkeypatch.setenv("UNSPIN_HOME", str(tmp_path))
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "my farm.json").write_text("{}", encoding="utf-8")
    with pytest.warns(RuntimeWarning, match="my farm.json"):
        assert [p.name for p in resolve("auto")] == builtin_names()
    doc = tmp_path / "a.txt"
    doc.write_text("The cat sat on the mat.", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "unspin", "check", str(doc)], capture_output=True, text=True)
    assert r.returncode == 3 and "my farm.json" in r.stderr, r.stderr


def test_auto_does_not_read_an_unchanged_damaged_profile_again(tmp_path, monkeypatch):
    """A damaged learned profile is skipped with a warning on every check, but read (and
    parsed: 90 ms for a 3 MB file) only once while it is unchanged."""
    from unspin import profiles

    monkeypatch.setenv("UNSPIN_HOME", str(tmp_path))
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "broken.json").write_text("{broken", encoding="utf-8")
    reads = []
    real = profiles.Profile.load.__func__
    monkeypatch.setattr(profiles.Profile, "load", classmethod(lambda cls, p: reads.append(p) or real(cls, p)))
    for _ in range(3):
        with pytest.warns(RuntimeWarning, match="broken.json"):
            profiles.resolve("auto")
    assert len(reads) == 1


def test_trace_learn_api_refuses_to_extend_a_damaged_profile(tmp_path, monkeypatch):
    """unspin.trace.learn.learn(extend=True) took a profile file without 'table' for a new
    profile (KeyError) and its result replaced the file when saved; the CLI was guarded, the
    API was not."""
    from unspin.trace import learn as learn_mod
    from unspin.trace.index import Index

    monkeypatch.setenv("UNSPIN_HOME", str(tmp_path))
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "farm.json").write_text('{"name": "farm"}', encoding="utf-8")
    ix = Index.create(str(tmp_path / "refs.db"))
    try:
        with pytest.raises(ValueError, match="damaged.*--replace"):
            learn_mod.learn(ix, [], "farm")
        prof, traced = learn_mod.learn(ix, [], "farm", extend=False)  # the way out works
        assert prof.name == "farm" and traced == []
    finally:
        ix.close()


def test_profile_from_dict_takes_numpy_counts():
    """Profile.from_dict is public: counts from numpy/pandas (np.int64) are whole numbers
    (int() took them; the stricter check of whole numbers refused them)."""
    import numpy as np

    p = Profile.from_dict({"name": "x", "table": {"mentioned": {"said": np.int64(2)}}, "pairs": np.int32(1)})
    assert p.table == {"mentioned": {"said": 2}} and p.pairs == 1
