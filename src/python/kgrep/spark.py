"""Extraction on Apache Spark: a DataFrame of documents in, facts out.

    from pyspark.sql import SparkSession
    from kgrep.spark import extract

    spark = SparkSession.builder.getOrCreate()
    documents = spark.read.schema("id STRING, text STRING").json("corpus.jsonl")
    extract(documents, ["rules.kgr"]).write.text("facts.nq")

Each task compiles the rules once per Python worker and runs them on its
Arrow batches (``mapInArrow``, which Spark Connect also has); the output is
what ``kgrep extract`` writes for the same documents, line for line, so
``sort`` of the parts equals ``sort`` of a single-machine run. The rule files
(and the files they include) must be readable at the same path on every
executor: ship them with ``spark-submit --files`` or a shared file system.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterator, Sequence, Union

from . import Rules, fact_schema, to_arrow

if TYPE_CHECKING:
    import pyarrow
    from pyspark.sql import DataFrame

_RulePaths = Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]]
_compiled: dict[tuple[str, ...], Rules] = {}


def _paths(rules: _RulePaths) -> tuple[str, ...]:
    if isinstance(rules, (str, os.PathLike)):
        rules = [rules]
    return tuple(os.path.abspath(os.fspath(path)) for path in rules)


def _rules(paths: tuple[str, ...]) -> Rules:
    # One compilation per Python worker process, reused by its tasks.
    if paths not in _compiled:
        _compiled[paths] = Rules.load(list(paths))
    return _compiled[paths]


def _documents(batch: "pyarrow.RecordBatch", id_column: str, text_column: str):
    ids = batch.column(batch.schema.get_field_index(id_column)).to_pylist()
    texts = batch.column(batch.schema.get_field_index(text_column)).to_pylist()
    return [(str(i), t) for i, t in zip(ids, texts) if i is not None and t is not None]


def extract(
    documents: "DataFrame",
    rules: _RulePaths,
    *,
    output: str = "nquads",
    provenance: bool = True,
    id_column: str = "id",
    text_column: str = "text",
    year: int | None = None,
    threads: int = 1,
) -> "DataFrame":
    """The facts of ``documents`` (a DataFrame with an id and a text column).

    ``output="nquads"``: one column ``quad``, one N-Quad a row (without the
    final newline), the store's layout as ``kgrep extract -f nquads`` writes it
    (``provenance`` adds the matches and sentences) — write it with
    ``.write.text(dir)`` and ``kgrep load`` or ``kgrep push`` the parts.
    ``output="ntriples"``: one column ``triple``. ``output="facts"``: a row per
    fact with the columns of :func:`kgrep.fact_schema` — write it with
    ``.write.parquet(dir)``. A document's IRI is ``urn:kgrep:doc:`` + its id.
    ``threads`` is per task (Spark runs the tasks in parallel).
    """
    import pyarrow as pa

    paths = _paths(rules)
    for path in paths:
        if not os.path.exists(path):
            raise FileNotFoundError(path)
    _rules(paths)  # rule errors surface here, on the driver, not in a task

    if output in ("nquads", "ntriples"):
        column = "quad" if output == "nquads" else "triple"
        schema = pa.schema([(column, pa.string())])

        def lines(batches: Iterator["pyarrow.RecordBatch"]) -> Iterator["pyarrow.RecordBatch"]:
            compiled = _rules(paths)
            for batch in batches:
                docs = _documents(batch, id_column, text_column)
                texts = compiled.serialize(
                    docs, output, provenance and output == "nquads", year, threads
                )
                rows = [line for text in texts for line in text.splitlines()]
                yield pa.RecordBatch.from_pydict({column: rows}, schema=schema)

        return documents.mapInArrow(lines, f"{column} string")
    if output == "facts":
        schema = fact_schema()

        def facts(batches: Iterator["pyarrow.RecordBatch"]) -> Iterator["pyarrow.RecordBatch"]:
            compiled = _rules(paths)
            for batch in batches:
                docs = _documents(batch, id_column, text_column)
                table = to_arrow(compiled.extract_batch(docs, year, threads))
                for record_batch in table.to_batches():
                    yield record_batch
                if table.num_rows == 0:
                    yield pa.RecordBatch.from_pylist([], schema=schema)

        return documents.mapInArrow(facts, _spark_schema(schema))
    raise ValueError(f'unknown output {output!r}: use "nquads", "ntriples" or "facts"')


def _spark_schema(schema: "pyarrow.Schema"):
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def read_text_files(spark, directory: str) -> "DataFrame":
    """Every file below ``directory`` as a row (``id``: its path relative to the
    directory, ``/``-separated, as ``kgrep extract DIR`` names it; ``text``).
    Spark's file sources skip empty files, so an empty document has no row
    (``kgrep extract`` records it as a document without facts): give JSON
    lines (``spark.read.json``) where that matters."""
    from pyspark.sql import functions as F

    root = os.path.abspath(directory).rstrip("/") + "/"
    # binaryFile, not text(wholetext=True): that one drops empty files.
    frame = (
        spark.read.format("binaryFile")
        .option("recursiveFileLookup", "true")
        .load(directory)
        .select(
            F.url_decode(F.col("path")).alias("path"),
            F.col("content").cast("string").alias("text"),
        )
    )
    # file:/root/a/b.txt (or file:///root/…) → a/b.txt
    start = F.instr(F.col("path"), root) + F.lit(len(root))
    return frame.select(F.col("path").substr(start, F.length("path")).alias("id"), "text")
