"""The Spark job (`kgrep.spark`) on local[2] against a single-machine `kgrep extract`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from conftest import ROOT, need_module, readme_python_blocks, run_in_clone_dir, run_kgrep

ZH_RULES = str(ROOT / "examples/zh/news.kgr")


@pytest.fixture(scope="module")
def spark():
    need_module("pyspark", "pip install pyspark")
    need_module("pyarrow", "pip install pyarrow")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("kgrep-test")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def corpus(tmp_path: Path) -> Path:
    """Many documents sharing facts: the example documents, each several times
    under other names, with one empty document and one in a subfolder."""
    folder = tmp_path / "docs"
    (folder / "more").mkdir(parents=True)
    sources = sorted((ROOT / "examples/zh/docs").glob("*.txt"))
    for copy in range(8):  # 24 documents
        for source in sources:
            target = folder / ("more" if copy % 2 else "") / f"{copy}-{source.name}"
            target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    return folder


def lines(directory: Path) -> list[str]:
    return sorted(
        line
        for part in directory.glob("part-*")
        for line in part.read_text(encoding="utf-8").splitlines()
    )


def test_spark_writes_what_a_single_machine_extract_writes(spark, kgrep_bin, tmp_path):
    from kgrep.spark import extract, read_text_files

    folder = corpus(tmp_path)
    expected = sorted(run_kgrep(kgrep_bin, "extract", "-q", "-f", "nquads", "--provenance", "-r", ZH_RULES, str(folder)).splitlines())
    assert len(expected) > 1000

    documents = read_text_files(spark, str(folder)).repartition(4)
    # Spark's file sources skip empty files: the empty document has no row
    # (JSON lines below keep it).
    assert documents.count() == len(list(folder.rglob("*.txt"))) - 1
    extract(documents, ZH_RULES).write.text(str(tmp_path / "nq"))
    assert lines(tmp_path / "nq") == [line for line in expected if "<urn:kgrep:doc:empty.txt>" not in line]

    # JSON lines in, as `kgrep extract --input jsonl` reads them.
    records = tmp_path / "corpus.jsonl"
    with records.open("w", encoding="utf-8") as out:
        for path in sorted(folder.rglob("*.txt")):
            record = {"id": path.relative_to(folder).as_posix(), "text": path.read_text(encoding="utf-8")}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    from_jsonl = run_kgrep(kgrep_bin, "extract", "-q", "--input", "jsonl", "-f", "nquads", "--provenance", "-r", ZH_RULES, str(records))
    assert sorted(from_jsonl.splitlines()) == expected
    extract(spark.read.json(str(records)), ZH_RULES).write.text(str(tmp_path / "nq2"))
    assert lines(tmp_path / "nq2") == expected

    # The parts load into a store that answers as one built from the documents.
    store = tmp_path / "store"
    parts = [str(p) for p in sorted((tmp_path / "nq2").glob("part-*"))]
    run_kgrep(kgrep_bin, "load", "-q", "--store", str(store), "-f", "nq", *parts)
    built = tmp_path / "built"
    run_kgrep(kgrep_bin, "build", "-q", "-r", ZH_RULES, "--store", str(built), str(folder))
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
    loaded = run_kgrep(kgrep_bin, "query", "--store", str(store), "-f", "tsv", query)
    from_build = run_kgrep(kgrep_bin, "query", "--store", str(built), "-f", "tsv", query)
    assert loaded == from_build and loaded.count("\n") > 50


def test_spark_facts_as_parquet(spark, tmp_path):
    import kgrep
    from kgrep.spark import extract

    rules = kgrep.Rules.load(ZH_RULES)
    docs = [(p.name, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "examples/zh/docs").glob("*.txt"))]
    frame = spark.createDataFrame(docs, "id string, text string")
    extract(frame, ZH_RULES, output="facts").write.parquet(str(tmp_path / "facts"))
    import pyarrow.parquet as pq

    table = pq.read_table(str(tmp_path / "facts"))
    expected = kgrep.to_arrow(rules.extract_batch(docs))
    key = lambda row: (row["document"], row["start"], row["subject"], row["predicate"], row["object"])
    assert sorted(table.to_pylist(), key=key) == sorted(expected.to_pylist(), key=key)


def test_rule_errors_surface_on_the_driver(spark, tmp_path):
    import kgrep
    from kgrep.spark import extract

    bad = tmp_path / "bad.kgr"
    bad.write_text('rule r = "甲" => zz:a zz:b zz:c\n', encoding="utf-8")
    frame = spark.createDataFrame([("a", "甲")], "id string, text string")
    with pytest.raises(kgrep.RuleError):
        extract(frame, str(bad))
    with pytest.raises(ValueError, match="unknown output"):
        extract(frame, ZH_RULES, output="csv")



def test_the_readme_spark_example_runs(spark, tmp_path):
    block = next(b for b in readme_python_blocks() if "kgrep.spark" in b)
    with (tmp_path / "corpus.jsonl").open("w", encoding="utf-8") as out:
        for path in sorted((ROOT / "examples/zh/docs").glob("*.txt")):
            out.write(json.dumps({"id": path.name, "text": path.read_text(encoding="utf-8")}, ensure_ascii=False) + "\n")
    # Spark resolves relative paths from the directory its JVM started in.
    for name in ("corpus.jsonl", "facts.nq"):
        block = block.replace(f'"{name}"', repr(str(tmp_path / name)))
    run_in_clone_dir(tmp_path, block)
    written = lines(tmp_path / "facts.nq")
    assert any("<http://kgrep.example/zh/formed>" in line for line in written)
