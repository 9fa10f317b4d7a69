"""datatrove adapter (``pip install 'unspin[datatrove]'``): :class:`UnspinFilter`.

A ``BaseFilter`` that writes ``unspin_score`` / ``unspin_is_spun`` (and, in full mode,
``unspin_findings`` / ``unspin_spinner``) into ``doc.metadata`` and drops documents
judged spun (reason ``"unspin_spun"``). Documents that cannot be scored are kept with
``unspin_error`` in their metadata.

>>> from datatrove.pipeline.readers import JsonlReader  # doctest: +SKIP
>>> pipeline = [JsonlReader("in/"), UnspinFilter(fast=True), JsonlWriter("out/")]  # doctest: +SKIP
"""
from __future__ import annotations

from datatrove.pipeline.filters.base_filter import BaseFilter

from ..corpus.batch import FIELDS, Options, score_texts

__all__ = ["UnspinFilter"]


class UnspinFilter(BaseFilter):
    name = "🌀 unspin"

    def __init__(self, fast: bool = False, threshold: float | None = None, profile: str | None = "auto",
                 drop: bool = True, exclusion_writer=None, batch_size: int = 64):
        super().__init__(exclusion_writer, batch_size=batch_size)
        self.options = Options(fast=fast, threshold=threshold, profile=profile)
        self.drop = drop

    def _decide(self, doc, fields: dict):
        for k in FIELDS:  # those of an earlier run (an unspin_error, a full-mode count) would contradict these
            doc.metadata.pop(k, None)
        for k, v in fields.items():
            if v is not None:
                doc.metadata[k] = v
        if "unspin_error" in fields:
            self.stat_update("unspin_error")
            return True
        if fields.get("unspin_is_spun"):
            self.stat_update("unspin_spun")
            if self.drop:
                return False, "unspin_spun"
        return True

    def filter(self, doc):
        return self._decide(doc, score_texts([doc.text], self.options)[0])

    def filter_batch(self, batch):
        fields = score_texts([d.text for d in batch], self.options)
        return [self._decide(d, f) for d, f in zip(batch, fields)]
