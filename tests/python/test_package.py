"""The Python package (`import kgrep`) against the command line on the same input."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import threading
import time

import pytest

import kgrep
from conftest import ROOT, need_module, readme_python_blocks, run_in_clone_dir, run_kgrep

ZH_RULES = ROOT / "examples/zh/news.kgr"
EN_RULES = ROOT / "examples/en/news.kgr"


def documents(folder: str) -> list[tuple[str, str]]:
    """(id, text) of every file of an example folder, ids as `kgrep extract DIR` names them."""
    root = ROOT / folder
    return sorted(
        (str(path.relative_to(root)), path.read_text(encoding="utf-8"))
        for path in root.rglob("*")
        if path.is_file()
    )


@pytest.mark.parametrize(
    "rules, folder", [(ZH_RULES, "examples/zh/docs"), (EN_RULES, "examples/en/docs")]
)
def test_serialized_output_is_what_the_cli_writes(kgrep_bin, rules, folder):
    compiled = kgrep.Rules.load(rules)
    docs = documents(folder)
    for fmt, extra in [("nquads", ["--provenance"]), ("ntriples", []), ("jsonl", [])]:
        cli = run_kgrep(kgrep_bin, "extract", "-q", "-r", str(rules), "-f", fmt, *extra, str(ROOT / folder))
        ours = "".join(compiled.serialize(docs, fmt, provenance=bool(extra)))
        assert sorted(ours.splitlines()) == sorted(cli.splitlines()), fmt


def test_facts_are_structured_and_point_into_the_original_text():
    rules = kgrep.Rules.load(ZH_RULES)
    docs = documents("examples/zh/docs")
    batches = rules.extract_batch(docs)
    assert len(batches) == len(docs)
    kinds, datatypes, languages, mentions = set(), set(), set(), 0
    for (name, text), facts in zip(docs, batches):
        assert facts, name
        for fact in facts:
            assert fact.document == kgrep.document_iri(name) == "urn:kgrep:doc:" + name
            assert text[fact.start : fact.end] == fact.text
            assert text[fact.sentence_start :].startswith(fact.sentence_text)
            assert fact.text in fact.sentence_text
            assert fact.rule in rules.rule_names
            assert fact.subject.kind in ("uri", "bnode") and fact.predicate.kind == "uri"
            assert fact.ntriples == f"{fact.subject} {fact.predicate} {fact.object} ."
            kinds.add(fact.object.kind)
            datatypes.add(fact.object.datatype)
            languages.add(fact.object.language)
            for mention in fact.mentions:
                assert fact.start <= mention.start < mention.end <= fact.end
                assert text[mention.start : mention.end] == mention.text
                if mention.is_entity:
                    assert mention.type and mention.iri
                mentions += 1
    assert {"uri", "literal"} <= kinds
    assert "http://www.w3.org/2001/XMLSchema#integer" in datatypes
    assert "zh" in languages
    assert mentions > 20
    # Terms compare and hash by value.
    first = batches[0][0]
    assert first.subject == batches[0][0].subject and len({first.subject, first.subject}) == 1


def test_a_batch_is_the_single_texts_in_order_on_any_number_of_threads():
    rules = kgrep.Rules.load(ZH_RULES)
    docs = documents("examples/zh/docs") * 5
    texts = [text for _, text in docs]
    one_by_one = [[f.ntriples for f in rules.extract(text, document=str(i))] for i, text in enumerate(texts)]
    for threads in (1, 2, None):
        batch = rules.extract_batch(texts, threads=threads)
        assert [[f.ntriples for f in facts] for facts in batch] == one_by_one
        assert [facts[0].document for facts in batch] == [kgrep.document_iri(str(i)) for i in range(len(texts))]
    with pytest.raises(ValueError, match="document 1"):
        rules.extract_batch(["a text", 42])


def test_extraction_releases_the_gil():
    rules = kgrep.Rules.load(ZH_RULES)
    text = "中国移动湖北分公司党委成立党员突击队。" * 40_000
    done = threading.Event()
    ticks = 0

    def count():
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    started = time.monotonic()
    facts = rules.extract(text)
    elapsed = time.monotonic() - started
    done.set()
    counter.join()
    assert len(facts) >= 40_000
    # While Rust ran, the other Python thread kept running.
    assert elapsed < 0.05 or ticks >= 5, (elapsed, ticks)


def test_rule_errors_raise_with_their_location_and_the_cli_text(kgrep_bin, tmp_path):
    bad = tmp_path / "bad.kgr"
    bad.write_text('prefix ex: <http://e/>\nrule r = "甲" => ex:a ex:b zz:c\nrule s = "乙" => ex:a ex:c ex:d\n', encoding="utf-8")
    with pytest.raises(kgrep.RuleError) as raised:
        kgrep.Rules.load(bad)
    (diagnostic,) = raised.value.diagnostics
    assert (diagnostic.severity, diagnostic.code) == ("error", "unknown-prefix")
    assert (diagnostic.file, diagnostic.line, diagnostic.column) == (str(bad), 2, 27)
    assert diagnostic.hints and "prefix zz:" in diagnostic.hints[0]
    check = subprocess.run([kgrep_bin, "check", str(bad)], capture_output=True, env={**os.environ, "NO_COLOR": "1"})
    assert check.returncode == 1
    assert str(diagnostic) in check.stderr.decode()
    assert str(diagnostic) in str(raised.value)
    assert isinstance(raised.value, kgrep.KgrepError)
    # from_string cites the name given.
    with pytest.raises(kgrep.RuleError) as raised:
        kgrep.Rules.from_string(bad.read_text(encoding="utf-8"), name="inline.kgr")
    assert raised.value.diagnostics[0].file == "inline.kgr"


def test_check_lists_warnings_and_errors_without_raising(tmp_path):
    rules = tmp_path / "warn.kgr"
    rules.write_text('prefix ex: <http://e/>\nfragment unused = "甲"\nrule r = "乙" => ex:a ex:b ex:c\n', encoding="utf-8")
    diagnostics = kgrep.check(rules)
    assert [(d.severity, d.code, d.line) for d in diagnostics] == [
        ("warning", "unused", 2),
        ("warning", "untested-rule", 3),
    ]
    compiled = kgrep.Rules.load(rules)
    assert [d.code for d in compiled.diagnostics] == [d.code for d in diagnostics]
    assert kgrep.check(ZH_RULES) == []


def test_an_unreadable_rule_file_is_an_os_error(tmp_path):
    with pytest.raises(OSError, match="missing.kgr"):
        kgrep.Rules.load(tmp_path / "missing.kgr")


def test_includes_are_read_beside_a_string_rule_file(tmp_path):
    (tmp_path / "common.kgr").write_text('prefix ex: <http://e/>\nentity T a ex:T = "突击队" iri ex:t/{text}\n', encoding="utf-8")
    rules = kgrep.Rules.from_string('include "common.kgr"\nrule r = "成立" $t:T => ex:x ex:formed $t\n', name=str(tmp_path / "main.kgr"))
    (fact, *_) = rules.extract("党委成立突击队。")
    assert fact.object.value == "http://e/t/突击队"


def test_tables_for_arrow_and_pandas():
    pa = need_module("pyarrow", "pip install pyarrow")
    rules = kgrep.Rules.load(ZH_RULES)
    batches = rules.extract_batch(documents("examples/zh/docs"))
    table = kgrep.to_arrow(batches)
    assert table.schema == kgrep.fact_schema()
    assert table.num_rows == sum(len(facts) for facts in batches)
    flat = [fact for facts in batches for fact in facts]
    assert table.column("subject").to_pylist() == [f.subject.ntriples for f in flat]
    assert table.column("mentions").to_pylist()[0][0]["text"] == flat[0].mentions[0].text
    need_module("pandas", "pip install pandas")
    frame = kgrep.to_pandas(batches)
    assert list(frame.columns) == table.column_names and len(frame) == table.num_rows
    assert isinstance(table, pa.Table)


def test_the_stubs_name_what_the_module_has():
    stubs = ast.parse((ROOT / "src/python/kgrep/_kgrep.pyi").read_text(encoding="utf-8"))
    stubbed = {
        node.name if not isinstance(node, ast.AnnAssign) else node.target.id
        for node in stubs.body
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AnnAssign))
    }
    public = {name for name in dir(kgrep._kgrep) if not name.startswith("_") or name == "__version__"}
    assert public == stubbed
    for cls in (kgrep.Fact, kgrep.Term, kgrep.Mention, kgrep.Diagnostic, kgrep.Rules):
        node = next(n for n in stubs.body if isinstance(n, ast.ClassDef) and n.name == cls.__name__)
        members = {
            n.target.id if isinstance(n, ast.AnnAssign) else n.name
            for n in node.body
            if isinstance(n, (ast.AnnAssign, ast.FunctionDef))
        }
        have = {name for name in dir(cls) if not name.startswith("_")}
        assert have <= members, (cls.__name__, have - members)


def test_the_readme_example_runs(tmp_path, capsys):
    need_module("pyarrow", "pip install pyarrow")
    (block, *_) = readme_python_blocks()
    assert "import kgrep" in block and len(block.strip().splitlines()) <= 5
    run_in_clone_dir(tmp_path, block)
    printed = capsys.readouterr().out
    assert "http://kgrep.example/zh/formed" in printed and "党员突击队" in printed
