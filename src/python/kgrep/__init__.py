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


# The columns of a fact table: (name, Arrow type name, how a fact gives it).
_MENTION_FIELDS = ("capture", "type", "start", "end", "text", "iri")
_COLUMNS = (
    ("document", "string", lambda f: f.document),
    ("subject", "string", lambda f: f.subject.ntriples),
    ("predicate", "string", lambda f: f.predicate.ntriples),
    ("object", "string", lambda f: f.object.ntriples),
    ("object_value", "string", lambda f: f.object.value),
    ("object_datatype", "string", lambda f: f.object.datatype),
    ("object_language", "string", lambda f: f.object.language),
    ("rule", "string", lambda f: f.rule),
    ("sentence", "int64", lambda f: f.sentence),
    ("start", "int64", lambda f: f.start),
    ("end", "int64", lambda f: f.end),
    ("text", "string", lambda f: f.text),
    (
        "mentions",
        "mentions",
        lambda f: [{name: getattr(m, name) for name in _MENTION_FIELDS} for m in f.mentions],
    ),
)


def fact_schema() -> "pyarrow.Schema":
    """The Arrow schema of :func:`to_arrow`: a row per fact."""
    import pyarrow as pa

    offsets = ("start", "end")
    mention = pa.struct(
        [(name, pa.int64() if name in offsets else pa.string()) for name in _MENTION_FIELDS]
    )
    types = {"string": pa.string(), "int64": pa.int64(), "mentions": pa.list_(mention)}
    return pa.schema([(name, types[kind]) for name, kind, _ in _COLUMNS])


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
    columns = {name: [get(f) for f in flat] for name, _, get in _COLUMNS}
    return pa.Table.from_pydict(columns, schema=fact_schema())


def to_pandas(facts: Iterable[Fact] | Iterable[Sequence[Fact]]) -> "pandas.DataFrame":
    """A ``pandas.DataFrame`` with a row per fact (the columns of :func:`to_arrow`)."""
    return to_arrow(facts).to_pandas()
