"""Type stubs of the Rust engine module (see src/python/mod.rs)."""

import os
from typing import Iterable, Literal, Sequence, Union

_Path = Union[str, os.PathLike[str]]
_Documents = Iterable[Union[str, tuple[object, str]]]

__version__: str

class KgrepError(Exception):
    """Base class of the errors kgrep raises."""

class RuleError(KgrepError):
    """The rules have errors; ``str()`` shows them as ``kgrep check`` does."""

    diagnostics: list[Diagnostic]

class Diagnostic:
    """A problem in a rule file, located (lines and columns from 1, columns in characters)."""

    severity: Literal["error", "warning"]
    code: str
    message: str
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    label: str
    hints: list[str]
    rendered: str
    """The text ``kgrep check`` prints: location, source line, caret, hints."""

class Term:
    """An RDF term, as SPARQL JSON results describe one."""

    kind: Literal["uri", "literal", "bnode"]
    value: str
    datatype: str | None
    language: str | None
    ntriples: str
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Mention:
    """What one capture of a match holds, with offsets into the original text."""

    capture: str
    type: str | None
    is_entity: bool
    start: int
    end: int
    text: str
    iri: str | None

class Fact:
    """A triple and where it came from (offsets count characters of the original text)."""

    subject: Term
    predicate: Term
    object: Term
    document: str
    rule: str
    sentence: int
    start: int
    end: int
    text: str
    sentence_text: str
    sentence_start: int
    mentions: list[Mention]
    @property
    def ntriples(self) -> str: ...

class Rules:
    """A compiled rule set."""

    @staticmethod
    def load(path: _Path | Sequence[_Path]) -> Rules:
        """Loads and compiles rule files; raises RuleError or OSError."""
    @staticmethod
    def from_string(source: str, name: str = "<string>.kgr") -> Rules:
        """Compiles rules given as text; includes are read relative to ``name``."""
    @property
    def diagnostics(self) -> list[Diagnostic]:
        """The warnings loading gave."""
    @property
    def prefixes(self) -> list[tuple[str, str]]: ...
    @property
    def rule_names(self) -> list[str]: ...
    def extract(self, text: str, document: str = "text", year: int | None = None) -> list[Fact]:
        """The facts in one text, in document order (the GIL is released)."""
    def extract_batch(
        self, documents: _Documents, year: int | None = None, threads: int | None = None
    ) -> list[list[Fact]]:
        """The facts of each text or (id, text) pair, in order, extracted in parallel."""
    def serialize(
        self,
        documents: _Documents,
        format: Literal["nquads", "ntriples", "jsonl"] = "nquads",
        provenance: bool = False,
        year: int | None = None,
        threads: int | None = None,
    ) -> list[str]:
        """Each document's facts as ``kgrep extract -f FORMAT`` writes them."""

def check(path: _Path | Sequence[_Path]) -> list[Diagnostic]:
    """Every diagnostic of rule files (errors and warnings), without raising."""

def document_iri(name: str) -> str:
    """The IRI extraction gives the document named ``name``."""
