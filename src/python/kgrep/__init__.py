"""kgrep: turn text into a knowledge graph with readable extraction rules.

    >>> import kgrep
    >>> rules = kgrep.Rules.load("examples/zh/news.kgr")
    >>> for fact in rules.extract("中国移动湖北分公司党委成立党员突击队。"):
    ...     print(fact.subject.value, fact.predicate.value, fact.object.value)

The engine is Rust (``kgrep._kgrep``); this module adds Arrow and pandas
tables of facts, and ``kgrep.spark`` runs extraction on Apache Spark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Sequence

from ._kgrep import (
    Diagnostic,
    Fact,
    KgrepError,
    Mention,
    RuleError,
    Rules,
    Term,
    __version__,
    check,
    document_iri,
)

if TYPE_CHECKING:
    import pandas
    import pyarrow

__all__ = [
    "Diagnostic",
    "Fact",
    "KgrepError",
    "Mention",
    "RuleError",
    "Rules",
    "Term",
    "__version__",
    "check",
    "document_iri",
    "fact_schema",
    "to_arrow",
    "to_pandas",
]


def fact_schema() -> "pyarrow.Schema":
    """The Arrow schema of :func:`to_arrow`: a row per fact."""
    import pyarrow as pa

    mention = pa.struct(
        [
            ("capture", pa.string()),
            ("type", pa.string()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("text", pa.string()),
            ("iri", pa.string()),
        ]
    )
    return pa.schema(
        [
            ("document", pa.string()),
            ("subject", pa.string()),
            ("predicate", pa.string()),
            ("object", pa.string()),
            ("object_value", pa.string()),
            ("object_datatype", pa.string()),
            ("object_language", pa.string()),
            ("rule", pa.string()),
            ("sentence", pa.int64()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("text", pa.string()),
            ("mentions", pa.list_(mention)),
        ]
    )


def _flatten(facts: Iterable[Fact] | Iterable[Sequence[Fact]]) -> list[Fact]:
    flat: list[Fact] = []
    for item in facts:
        if isinstance(item, Fact):
            flat.append(item)
        else:
            flat.extend(item)
    return flat


def to_arrow(facts: Iterable[Fact] | Iterable[Sequence[Fact]]) -> "pyarrow.Table":
    """A ``pyarrow.Table`` with a row per fact (a list of facts, or the lists
    ``Rules.extract_batch`` returns). IRIs and literals are in N-Triples form
    (``<…>``, ``"…"^^<…>``) in ``subject``, ``predicate`` and ``object``; the
    object's parts are also apart. Offsets count characters of the original text."""
    import pyarrow as pa

    flat = _flatten(facts)
    columns = {
        "document": [f.document for f in flat],
        "subject": [f.subject.ntriples for f in flat],
        "predicate": [f.predicate.ntriples for f in flat],
        "object": [f.object.ntriples for f in flat],
        "object_value": [f.object.value for f in flat],
        "object_datatype": [f.object.datatype for f in flat],
        "object_language": [f.object.language for f in flat],
        "rule": [f.rule for f in flat],
        "sentence": [f.sentence for f in flat],
        "start": [f.start for f in flat],
        "end": [f.end for f in flat],
        "text": [f.text for f in flat],
        "mentions": [
            [
                {
                    "capture": m.capture,
                    "type": m.type,
                    "start": m.start,
                    "end": m.end,
                    "text": m.text,
                    "iri": m.iri,
                }
                for m in f.mentions
            ]
            for f in flat
        ],
    }
    return pa.Table.from_pydict(columns, schema=fact_schema())


def to_pandas(facts: Iterable[Fact] | Iterable[Sequence[Fact]]) -> "pandas.DataFrame":
    """A ``pandas.DataFrame`` with a row per fact (the columns of :func:`to_arrow`)."""
    return to_arrow(facts).to_pandas()
