"""The ``unspin`` command line: output formats, exit codes, error paths.

Most tests replace the engine with fakes so they pin down the CLI alone; the
``test_real_*`` tests run the real engine end to end.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import types

import pytest

import unspin
from unspin import cli
from unspin.cli import main
from unspin.report import Finding, Report

TEXT = "The firm mentioned a plan.\nIts financial institution held the cash.\n"


def fake_report(text: str = TEXT, score: float = 0.9, threshold: float = 0.5) -> Report:
    i = text.index("mentioned")
    j = text.index("financial institution")
    return Report(
        score=score, threshold=threshold,
        findings=[
            Finding(i, i + 9, "mentioned", "said", ["said"], 0.91, "known spinner substitution"),
            Finding(j, j + 21, "financial institution", "bank", ["bank"], 0.8, "spinner phrase", "phrase"),
        ],
        restored=text.replace("mentioned", "said").replace("financial institution", "bank"),
        words=12, spinner="wordai-like", spinner_confidence=0.7, features={"lm": 1.5},
    )


@pytest.fixture
def fake_engine(monkeypatch):
    calls: list[dict] = []

    def check(text, *, threshold=None, profile="auto"):
        calls.append({"text": text, "threshold": threshold, "profile": profile})
        r = fake_report(text) if "mentioned" in text and "financial institution" in text else Report(
            0.1, 0.5, [], text, len(text.split()))
        if threshold is not None:
            r = Report(r.score, threshold, r.findings, r.restored, r.words, r.spinner, r.spinner_confidence, r.features)
        return r

    def restore(text, **kw):
        return check(text, **kw).restored

    monkeypatch.setattr(unspin, "check", check)
    monkeypatch.setattr(unspin, "restore", restore)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return calls


@pytest.fixture
def article(tmp_path):
    p = tmp_path / "article.txt"
    p.write_text(TEXT, encoding="utf-8")
    return p


def stdin_bytes(monkeypatch, data: bytes):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


# --------------------------------------------------------------------------- check


def test_check_human_output(fake_engine, article, capsys):
    assert main(["check", str(article)]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0] == f"{article}: spun  (score 0.90 >= threshold 0.50; 12 words, 2 findings)"
    assert lines[1] == "spinner: wordai-like (confidence 0.70)"
    assert lines[2] == '1:10  "mentioned" -> said  (0.91, known spinner substitution)'
    assert lines[3] == '2:5   "financial institution" -> bank  (0.80, spinner phrase)'
    assert "unspin restore" in lines[4]
    assert "\x1b[" not in out  # capsys is not a TTY
    assert err == ""
    assert fake_engine[0] == {"text": TEXT, "threshold": None, "profile": "auto"}


def test_check_json_is_exactly_report_to_dict(fake_engine, article, capsys):
    assert main(["check", str(article), "--json"]) == 0
    out = capsys.readouterr().out
    assert out == json.dumps(fake_report().to_dict()) + "\n"
    assert Report.from_dict(json.loads(out)) == fake_report()


def test_check_options_are_passed_through(fake_engine, article, capsys):
    assert main(["check", str(article), "--threshold", "0.95", "--no-profile", "--json"]) == 0
    assert fake_engine[-1]["threshold"] == 0.95 and fake_engine[-1]["profile"] is None
    d = json.loads(capsys.readouterr().out)
    assert d["threshold"] == 0.95 and d["is_spun"] is False


def test_check_not_spun_human(fake_engine, tmp_path, capsys):
    p = tmp_path / "clean.txt"
    p.write_text("An ordinary sentence about the weather.\n")
    assert main(["check", str(p), "--fail-on-spun"]) == 0
    out = capsys.readouterr().out
    assert out == f"{p}: not spun  (score 0.10 < threshold 0.50; 6 words, 0 findings)\n"


def test_fail_on_spun(fake_engine, article, capsys):
    assert main(["check", str(article)]) == 0
    assert main(["check", str(article), "--fail-on-spun"]) == 1
    assert main(["check", str(article), "--fail-on-spun", "--json"]) == 1


def test_max_findings(fake_engine, article, capsys):
    assert main(["check", str(article), "--max-findings", "1"]) == 0
    out = capsys.readouterr().out
    assert '"mentioned"' in out and '"financial institution"' not in out
    assert "... and 1 more" in out
    assert main(["check", str(article), "--max-findings", "0"]) == 0
    assert '"financial institution"' in capsys.readouterr().out


def test_colour_only_on_tty_and_not_with_no_color(fake_engine, article, capsys, monkeypatch):
    monkeypatch.setattr(cli, "_isatty", lambda stream: True)
    monkeypatch.delenv("TERM", raising=False)
    assert main(["check", str(article)]) == 0
    out = capsys.readouterr().out
    assert "\x1b[31m" in out and "\x1b[0m" in out
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["check", str(article)]) == 0
    assert "\x1b[" not in capsys.readouterr().out


def test_check_stdin(fake_engine, monkeypatch, capsys):
    stdin_bytes(monkeypatch, TEXT.encode("utf-16"))
    assert main(["check", "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["is_spun"] is True
    assert fake_engine[-1]["text"] == TEXT


@pytest.mark.parametrize("command", ["check", "restore"])
def test_piped_text_without_file_reads_stdin(fake_engine, monkeypatch, capsys, command):
    stdin_bytes(monkeypatch, TEXT.encode("utf-8"))  # cat a.txt | unspin check
    assert main([command]) == 0
    assert fake_engine[-1]["text"] == TEXT


def test_check_example_reads_packaged_article(fake_engine, capsys):
    assert main(["check", "--example"]) == 0
    text = fake_engine[-1]["text"]
    assert "Financial institution" in text and "in the present day" in text
    assert capsys.readouterr().out.startswith("examples/spun_article.txt: ")


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("argv", [["check"], ["check", "x.txt", "--example"], ["restore"]])
def test_check_needs_exactly_one_source(fake_engine, argv, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", _Terminal())  # at a terminal a bare command must not wait for input
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "FILE" in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ["check", "a.txt", "--threshold", "1.5"],
    ["check", "a.txt", "--threshold", "abc"],
    ["check", "a.txt", "--max-findings", "-1"],
    ["spin", "a.txt", "--rate", "2"],
    ["spin", "a.txt", "--rate", "nan"],
    ["spin", "a.txt", "--seed", "x"],
    ["frobnicate"],
    [],
])
def test_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "Traceback" not in err


# --------------------------------------------------------------------------- input errors


def test_missing_file_exit_4(fake_engine, tmp_path, capsys):
    p = tmp_path / "missing.txt"
    assert main(["check", str(p)]) == 4
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"unspin: error: {p}: no such file")
    assert err.count("\n") == 1


def test_binary_file_exit_3(fake_engine, tmp_path, capsys):
    p = tmp_path / "a.gz"
    p.write_bytes(gzip.compress(b"hello " * 50))
    assert main(["restore", str(p)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("unspin: error: ") and "gzip" in err and err.count("\n") == 1


@pytest.mark.parametrize("make, code", [
    (lambda d: d, 3),                                                   # directory
    (lambda d: (d / "e.txt").write_bytes(b" \n") and d / "e.txt", 3),   # empty
])
def test_other_input_errors(fake_engine, tmp_path, capsys, make, code):
    target = make(tmp_path)
    assert main(["check", str(target)]) == code
    err = capsys.readouterr().err
    assert err.startswith("unspin: error: ") and "Traceback" not in err


def test_keyboard_interrupt_is_130(monkeypatch, article, capsys):
    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(unspin, "check", interrupted)
    assert main(["check", str(article)]) == 130
    assert "Traceback" not in capsys.readouterr().err


def test_broken_pipe_is_quiet(fake_engine, article, monkeypatch, capsys):
    def broken(s):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cli, "_write", broken)
    assert main(["restore", str(article)]) == 0
    assert capsys.readouterr().err == ""


def test_broken_pipe_in_a_real_pipe(tmp_path):
    """``unspin restore big.txt | head -c 10``: no traceback, no 'Exception ignored' noise."""
    big = tmp_path / "big.txt"
    big.write_text("A line of ordinary text that goes on.\n" * 60000)
    # restore goes through unspin.check (its report says whether the input was cut short)
    script = ("import sys, unspin; unspin.check = lambda t, **k: unspin.Report(0.0, 0.5, [], t, 0); "
              "from unspin.cli import main; sys.exit(main(['restore', sys.argv[1]]))")
    proc = subprocess.Popen([sys.executable, "-c", script, str(big)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.read(10) == b"A line of "
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0
    assert err == b""


# --------------------------------------------------------------------------- restore / spin / bench / version


def test_restore(fake_engine, article, capsys):
    assert main(["restore", str(article)]) == 0
    assert capsys.readouterr().out == "The firm said a plan.\nIts bank held the cash.\n"


def test_restore_html_input(fake_engine, tmp_path, capsys):
    p = tmp_path / "page.html"
    p.write_text("<html><body><article><p>" + "A plain paragraph of prose for the reader. " * 5
                 + "</p></article></body></html>")
    assert main(["restore", str(p)]) == 0
    out = capsys.readouterr().out
    assert "A plain paragraph of prose" in out and "<p>" not in out


class FakeSpin:
    def __init__(self, text):
        self.text = text
        self.edits = [{"start": 0, "end": 3, "original": "The", "spun": "Ze"}]

    def to_dict(self):
        return {"text": self.text, "edits": self.edits}


@pytest.fixture
def fake_spin(monkeypatch):
    calls = []

    def spin(text, rate=0.3, style="dictionary", seed=0):
        calls.append((text, rate, style, seed))
        if style not in ("dictionary", "wordai-like"):
            raise ValueError(f"unknown style {style!r}")
        return FakeSpin("Ze" + text[3:])

    monkeypatch.setattr(unspin, "spin", spin)
    monkeypatch.setattr(cli, "_known_styles", lambda: None)
    return calls


def test_spin_text_and_json(fake_spin, article, capsys):
    assert main(["spin", str(article), "--rate", "0.5", "--style", "wordai-like", "--seed", "7"]) == 0
    assert capsys.readouterr().out == "Ze" + TEXT[3:]
    assert fake_spin[-1] == (TEXT, 0.5, "wordai-like", 7)
    assert main(["spin", str(article), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == FakeSpin("Ze" + TEXT[3:]).to_dict()
    assert fake_spin[-1][1:] == (0.3, "dictionary", 0)


def test_spin_unknown_style_from_engine_is_usage_error(fake_spin, article, capsys):
    assert main(["spin", str(article), "--style", "nope"]) == 2
    err = capsys.readouterr().err
    assert "--style" in err and "nope" in err and "Traceback" not in err


def test_spin_unknown_style_from_published_list(monkeypatch, article, capsys):
    monkeypatch.setattr(cli, "_known_styles", lambda: ("dictionary", "wordai-like"))
    assert main(["spin", str(article), "--style", "nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown style 'nope'" in err and "dictionary" in err


def test_bench_passes_arguments_through(monkeypatch):
    seen = []
    fake = types.ModuleType("unspin.bench")
    fake.main = lambda argv=None: seen.append(argv) or 5
    monkeypatch.setitem(sys.modules, "unspin.bench", fake)
    monkeypatch.setattr(unspin, "bench", fake, raising=False)
    assert main(["bench", "--help", "--quick", "x"]) == 5
    assert main(["bench"]) == 5
    assert seen == [["--help", "--quick", "x"], []]


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"unspin {unspin.__version__}"


def test_help_lists_exit_codes(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for cmd in ("check", "restore", "spin", "bench"):
        assert cmd in out
    assert "exit codes:" in out and "130" in out


def test_python_dash_m_version():
    res = subprocess.run([sys.executable, "-m", "unspin", "--version"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0
    assert res.stdout.strip() == f"unspin {unspin.__version__}"
    assert res.stderr == ""


def test_python_dash_m_missing_file(tmp_path):
    res = subprocess.run([sys.executable, "-m", "unspin", "check", str(tmp_path / "nope.txt")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 4
    assert res.stderr.startswith("unspin: error: ") and "Traceback" not in res.stderr


# --------------------------------------------------------------------------- real engine, end to end


def _example(name: str) -> str:
    from importlib.resources import files

    return files("unspin").joinpath("examples").joinpath(name).read_text(encoding="utf-8")


def test_examples_are_packaged():
    spun, clean = _example("spun_article.txt"), _example("clean_article.txt")
    assert 200 <= len(spun.split()) <= 320 and 150 <= len(clean.split()) <= 260
    for phrase in ("Financial institution", "mentioned", "by means of", "as an alternative", "secure sanctuaries",
                   "america", "thousands and thousands of dollars", "based mostly", "content material", "Transient",
                   "in the present day", "govt"):
        assert phrase in spun, phrase


def test_real_check_example_is_spun(capsys):
    assert main(["check", "--example", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["is_spun"] is True
    assert d["findings"]
    spun = _example("spun_article.txt")
    for f in d["findings"]:
        assert spun[f["start"]:f["end"]] == f["text"]
    assert main(["check", "--example", "--fail-on-spun"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("examples/spun_article.txt: spun")
    assert " -> " in out


def test_real_clean_example_is_not_spun(tmp_path, capsys):
    p = tmp_path / "clean.txt"
    p.write_text(_example("clean_article.txt"), encoding="utf-8")
    assert main(["check", str(p), "--json", "--fail-on-spun"]) == 0
    assert json.loads(capsys.readouterr().out)["is_spun"] is False


def test_real_restore_example(capsys):
    assert main(["restore", "--example"]) == 0
    out = capsys.readouterr().out
    assert out != _example("spun_article.txt")
    assert "bank" in out.lower() and out.count("mentioned") < _example("spun_article.txt").count("mentioned")


def test_real_spin_roundtrip(tmp_path, capsys):
    p = tmp_path / "clean.txt"
    p.write_text(_example("clean_article.txt"), encoding="utf-8")
    assert main(["spin", str(p), "--rate", "0.5", "--seed", "3", "--json"]) == 0
    first = capsys.readouterr().out
    d = json.loads(first)
    assert d["text"] != _example("clean_article.txt")
    assert main(["spin", str(p), "--rate", "0.5", "--seed", "3", "--json"]) == 0
    assert capsys.readouterr().out == first  # deterministic for a seed
    assert main(["spin", str(p), "--rate", "0.5", "--seed", "3"]) == 0
    assert capsys.readouterr().out.rstrip("\n") == d["text"].rstrip("\n")


def test_real_spin_with_nothing_to_replace_says_so(tmp_path, capsys):
    """Text with no word the style can replace came back unchanged without a word."""
    p = tmp_path / "numbers.txt"
    p.write_text("12 34 56 ... 78!\n", encoding="utf-8")
    assert main(["spin", str(p), "--rate", "0.9"]) == 0
    out, err = capsys.readouterr()
    assert out == "12 34 56 ... 78!\n" and "nothing was spun" in err and err.count("\n") == 1


def test_real_spin_unknown_style_exit_2(tmp_path, capsys):
    p = tmp_path / "clean.txt"
    p.write_text(_example("clean_article.txt"), encoding="utf-8")
    assert main(["spin", str(p), "--style", "no-such-style"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_real_check_via_subprocess_stdin():
    res = subprocess.run([sys.executable, "-m", "unspin", "check", "-", "--json"],
                         input=_example("spun_article.txt").encode("cp1252", "replace"),
                         capture_output=True, timeout=300, env={**os.environ, "NO_COLOR": "1"})
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["is_spun"] is True


def test_check_profile_option(tmp_path, capsys):
    from unspin.profiles import learn_profile

    text = tmp_path / "spun.txt"
    text.write_text("The governor mentioned new monetary rules on Friday.", encoding="utf-8")
    prof = tmp_path / "p.json"
    learn_profile([("Analysts mentioned the monetary outlook.", "Analysts said the financial outlook.")],
                  name="cli-test").save(str(prof))
    assert main(["check", str(text), "--profile", str(prof), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["spinner"] == "cli-test"
    assert main(["check", str(text), "--profile", "wordai-like", "--json"]) == 0
    capsys.readouterr()
    assert main(["check", str(text), "--profile", str(tmp_path / "missing.json")]) == 4
    assert "no spinner profile" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    assert main(["check", str(text), "--profile", str(bad)]) == 3
    assert "not a spinner profile" in capsys.readouterr().err


# --------------------------------------------------------------------------- profile options, restore hint


def test_restore_takes_the_profile_options_of_check(fake_engine, article, capsys, tmp_path):
    assert main(["restore", str(article), "--no-profile", "--threshold", "0.7"]) == 0
    assert fake_engine[-1]["profile"] is None and fake_engine[-1]["threshold"] == 0.7
    assert main(["restore", str(article), "--profile", "wordai-like"]) == 0
    assert fake_engine[-1]["profile"] == "wordai-like"
    assert main(["restore", str(article)]) == 0
    assert fake_engine[-1]["profile"] == "auto" and fake_engine[-1]["threshold"] is None
    capsys.readouterr()
    assert main(["restore", str(article), "--profile", str(tmp_path / "missing.json")]) == 4
    assert "no spinner profile" in capsys.readouterr().err
    assert main(["restore", str(article), "--threshold", "2"]) == 2


@pytest.mark.parametrize("command", ["check", "restore", "report"])
@pytest.mark.parametrize("profile", ["wordai-like", "auto"])
def test_profile_and_no_profile_together_is_a_usage_error(fake_engine, article, capsys, command, profile):
    assert main([command, str(article), "--profile", profile, "--no-profile"]) == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "--no-profile: not allowed with argument --profile" in err
    assert fake_engine == []  # refused before any checking


@pytest.mark.parametrize("options", [
    [],
    ["--no-profile"],
    ["--profile", "wordai-like", "--threshold", "0.4"],
    ["--threshold", "0.25", "--no-profile"],
])
def test_restore_hint_repeats_the_options_check_was_given(fake_engine, article, capsys, options):
    import shlex

    assert main(["check", str(article), *options]) == 0
    hint = capsys.readouterr().out.splitlines()[-1]
    prefix = "restore the likely original text with: unspin "
    assert hint.startswith(prefix)
    argv = shlex.split(hint[len(prefix):])
    assert argv[:2] == ["restore", str(article)] and sorted(argv[2:]) == sorted(options)
    checked = fake_engine[-1]
    assert main(argv) == 0  # the suggested command restores with the same settings as the check
    assert fake_engine[-1] == checked


def test_restore_help_lists_exit_codes(capsys):
    assert main(["restore", "--help"]) == 0
    out = capsys.readouterr().out
    assert "exit codes:" in out and "input file not found" in out
    assert "--no-profile" in out and "--threshold" in out


def test_spin_help_lists_the_styles(capsys):
    from unspin.spin import STYLES

    assert main(["spin", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps the help text
    for style in STYLES:
        assert style in out


# --------------------------------------------------------------------------- Python API thresholds


@pytest.mark.parametrize("bad", [2, -1, 1.0000001, float("nan"), float("inf")])
def test_api_rejects_a_threshold_outside_0_1(bad):
    with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
        unspin.check("The cat sat on the mat.", threshold=bad)
    with pytest.raises(ValueError, match="None for the calibrated default"):
        unspin.restore("The cat sat on the mat.", threshold=bad)


def test_api_accepts_thresholds_in_0_1():
    for ok in (0, 0.5, 1, None):
        r = unspin.check("The cat sat on the mat.", threshold=ok)
        assert r.threshold == (unspin.DEFAULT_THRESHOLD if ok is None else ok)


# --------------------------------------------------------------------------- inputs over the word limit


@pytest.fixture
def small_word_limit(monkeypatch):
    """The 200,000-word safety limit, shrunk so the bundled ~300-word article goes over it."""
    import unspin.detect

    monkeypatch.setattr(unspin.detect, "MAX_WORDS", 50)
    monkeypatch.setenv("NO_COLOR", "1")


def test_check_says_when_only_part_of_the_text_was_checked(small_word_limit, capsys):
    assert main(["check", "--example"]) == 0
    out = capsys.readouterr().out
    assert "50 words" in out.splitlines()[0]
    assert "only the first 50 words were checked" in out
    assert "time and memory" in out and "parts of at most 50 words" in out
    assert main(["check", "--example", "--json"]) == 0  # JSON keeps saying it in its features alone
    captured = capsys.readouterr()
    assert json.loads(captured.out)["features"]["truncated_at_words"] == 50
    assert captured.err == ""


def test_restore_warns_on_stderr_when_only_part_was_restored(small_word_limit, capsys):
    assert main(["restore", "--example"]) == 0
    out, err = capsys.readouterr()
    assert err.startswith("unspin: warning: only the first 50 words were restored; the rest is printed unchanged")
    assert err.count("\n") == 1 and "parts of at most 50 words" in err
    assert "warning" not in out and "words were" not in out  # stdout is only the text


def test_no_word_limit_warning_for_short_texts(capsys):
    assert main(["restore", "--example"]) == 0
    assert main(["check", "--example"]) == 0
    out, err = capsys.readouterr()
    assert "only the first" not in out and err == ""


def test_an_os_error_anywhere_is_one_line_and_exit_3(monkeypatch, capsys):
    def broken(*a, **k):
        raise PermissionError(13, "Permission denied", "/data/part-0001.parquet")

    monkeypatch.setattr(unspin.cli, "_dispatch", broken)
    assert main(["check", "x.txt"]) == 3
    err = capsys.readouterr().err
    assert "Permission denied: /data/part-0001.parquet" in err and "Traceback" not in err


def test_a_bug_is_reported_in_one_line_with_exit_70(monkeypatch, capsys):
    def bug(*a, **k):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(unspin.cli, "_dispatch", bug)
    monkeypatch.delenv("UNSPIN_DEBUG", raising=False)
    assert main(["check", "x.txt"]) == 70
    err = capsys.readouterr().err
    assert "internal error (ZeroDivisionError" in err and "UNSPIN_DEBUG=1" in err and "Traceback" not in err
    monkeypatch.setenv("UNSPIN_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["check", "x.txt"])


def test_first_run_notice_only_at_a_terminal_and_only_without_a_cache(monkeypatch, capsys, tmp_path):
    from unspin import cli as cli_mod
    from unspin import lm_trie

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "empty"))  # nothing decoded yet
    assert not lm_trie.cache_ready()
    monkeypatch.setattr(sys, "stderr", Tty())
    cli_mod.first_run_notice()
    assert "preparing the language model" in sys.stderr.getvalue()
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe: nothing
    cli_mod.first_run_notice()
    assert sys.stderr.getvalue() == ""
    monkeypatch.delenv("UNSPIN_CACHE")
    monkeypatch.setattr(lm_trie, "cache_ready", lambda *a, **k: True)
    monkeypatch.setattr(sys, "stderr", Tty())
    cli_mod.first_run_notice()
    assert sys.stderr.getvalue() == ""


# --------------------------------------------------------------------------- output encoding


def _stdout_bytes(monkeypatch, encoding: str) -> io.BytesIO:
    """Point stdout at a byte buffer behind a text layer in ``encoding`` (strict, as a
    cp1252 Windows console or an ASCII locale would be); return the buffer."""
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding=encoding, errors="strict"))
    return raw


@pytest.mark.parametrize("encoding", ["ascii", "cp1252", "latin-1"])
def test_restore_writes_utf8_whatever_the_locale(fake_engine, tmp_path, monkeypatch, encoding):
    """README: restore is 'always written as UTF-8'; a console or pipe in a legacy encoding
    used to end in an internal error (exit 70) on the first character it lacked."""
    text = "Caf\u00e9 \u2014 \u65e5\u672c\u8a9e\u306e\u6587\u7ae0 \U0001f600 done.\r\nSecond line.\r\n"
    p = tmp_path / "a.txt"
    p.write_bytes(text.encode("utf-8"))
    raw = _stdout_bytes(monkeypatch, encoding)
    assert main(["restore", str(p)]) == 0
    assert raw.getvalue() == text.encode("utf-8")  # and CRLF is written as it was read


def test_a_file_name_that_is_not_utf8_is_printed_as_its_bytes(fake_engine, tmp_path, monkeypatch):
    if sys.platform == "win32" or os.fsencode("\udce9") != b"\xe9":
        pytest.skip("needs a POSIX file system with surrogate-escaped names")
    p = os.path.join(str(tmp_path), os.fsdecode(b"caf\xe9.txt"))
    with open(p, "w", encoding="utf-8") as fh:
        fh.write("The cat sat on the mat.\n")
    raw = _stdout_bytes(monkeypatch, "utf-8")
    assert main(["check", p]) == 0
    assert b"caf\xe9.txt: not spun" in raw.getvalue()


# --------------------------------------------------------------------------- learned profiles


@pytest.fixture
def user_profiles(tmp_path, monkeypatch):
    """An empty $UNSPIN_HOME/profiles folder; returns it."""
    monkeypatch.setenv("UNSPIN_HOME", str(tmp_path / "home"))
    folder = tmp_path / "home" / "profiles"
    folder.mkdir(parents=True)
    return folder


def test_a_learned_profile_is_chosen_by_name(fake_engine, article, user_profiles, capsys):
    """README: 'unspin learn ... --profile my-farm' then 'unspin check FILE --profile my-farm';
    the name used to be taken for a file path (exit 4, 'no such file')."""
    from unspin.profiles import learn_profile

    learn_profile([("The firm mentioned it.", "The firm said it.")], name="my-farm").save(
        str(user_profiles / "my-farm.json"))
    for command in ("check", "restore"):
        assert main([command, str(article), "--profile", "my-farm"]) == 0, capsys.readouterr().err
        assert fake_engine[-1]["profile"] == "my-farm"
    capsys.readouterr()
    assert main(["check", str(article), "--profile", "other-farm"]) == 4
    err = capsys.readouterr().err
    assert "no spinner profile 'other-farm'" in err and "my-farm" in err  # names the learned ones


@pytest.mark.parametrize("profile_args", [[], ["--profile", "auto"], ["--profile", "broken"]])
def test_a_damaged_learned_profile_is_an_input_error_not_a_bug(article, user_profiles, capsys, profile_args):
    """A half-written file among the learned profiles made every check (profile 'auto' is the
    default) end in an internal error (exit 70)."""
    (user_profiles / "broken.json").write_text("{broken", encoding="utf-8")
    assert main(["check", str(article), *profile_args]) == 3
    err = capsys.readouterr().err
    assert "broken.json" in err and "--no-profile" in err and err.count("\n") == 1
    assert main(["check", str(article), "--profile", "wordai-like", "--json"]) == 0  # the way out works
    capsys.readouterr()


@pytest.mark.parametrize("command", ["check", "restore", "report"])
def test_an_empty_file_argument_does_not_read_stdin(fake_engine, monkeypatch, capsys, command):
    """`unspin check "$FILE"` with FILE unset, run from a pipe or cron, used to check whatever
    stdin held (or say '<stdin> contains no text'); it is a usage error like a missing FILE."""
    stdin_bytes(monkeypatch, TEXT.encode())
    assert main([command, ""]) == 2
    err = capsys.readouterr().err
    assert "give a FILE" in err
    assert fake_engine == []
