"""Run the data-driven cases in tests/cases (see tests/cases/README.md)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import unspin

CASES = Path(__file__).parent / "cases"


def _load(name: str) -> list[dict]:
    return [json.loads(line) for line in (CASES / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def _assert_case(case: dict) -> None:
    report = unspin.check(case["text"])
    if case.get("clean"):  # a known false alarm: held to the negative cases' standard
        _assert_clean(case, report)
    for needle in case.get("flag", []):
        start = case["text"].index(needle)
        end = start + len(needle)
        assert any(f.start < end and start < f.end for f in report.findings), (needle, report.findings)
    for spun, orig in case.get("restore", []):
        assert orig.lower() in report.restored.lower(), (spun, orig, report.restored)


@pytest.mark.parametrize("case", _load("in_the_wild.jsonl"), ids=lambda c: c["note"])
def test_in_the_wild(case):
    _assert_case(case)


@pytest.mark.parametrize("case", _load("synthetic.jsonl"), ids=lambda c: c["text"][:30])
def test_synthetic(case):
    _assert_case(case)


def _assert_clean(case: dict, report) -> None:
    assert not report.is_spun, report.score
    assert [f for f in report.findings if f.confidence >= 0.5] == []
    assert report.restored == case["text"]


@pytest.mark.parametrize("case", _load("negative.jsonl"), ids=lambda c: c["note"])
def test_negative(case):
    _assert_clean(case, unspin.check(case["text"]))


@pytest.mark.xfail(strict=False, reason="known failure, see tests/cases/known_failures.jsonl")
@pytest.mark.parametrize("case", _load("known_failures.jsonl"), ids=lambda c: c["text"][:30])
def test_known_failures(case):
    _assert_case(case)
