"""Checks kgrep serve with real SPARQL clients (SPARQLWrapper, and rdflib's
SPARQLStore): every result format parses and gives the answers the local
store gave (read from the file EXPECTED, `kgrep query --format json`).

Usage: python3 protocol.py URL EXPECTED_JSON QUERY"""

import csv
import io
import json
import sys

import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TSV, XML, TURTLE, N3, JSONLD, SPARQLWrapper

url, expected_file, query = sys.argv[1], sys.argv[2], sys.argv[3]
endpoint = url.rstrip("/") + "/sparql"
with open(expected_file, encoding="utf-8") as f:
    expected = json.load(f)
variables = expected["head"]["vars"]
rows = sorted(tuple(b.get(v, {}).get("value", "") for v in variables) for b in expected["results"]["bindings"])
assert rows, "the local store answered nothing"

client = SPARQLWrapper(endpoint)
client.setQuery(query)
for fmt in (JSON, XML, CSV, TSV):
    client.setReturnFormat(fmt)
    result = client.query().convert()
    if fmt == JSON:
        got = sorted(tuple(b.get(v, {}).get("value", "") for v in variables) for b in result["results"]["bindings"])
    elif fmt == XML:
        got = []
        for binding in result.getElementsByTagName("result"):
            values = {}
            for b in binding.getElementsByTagName("binding"):
                values[b.getAttribute("name")] = "".join(n.toxml() if n.nodeType != n.TEXT_NODE else n.data for c in b.childNodes for n in c.childNodes)
            got.append(tuple(values.get(v, "") for v in variables))
        got.sort()
    elif fmt == CSV:
        reader = list(csv.reader(io.StringIO(result.decode("utf-8"))))
        assert reader[0] == variables, reader[0]
        got = sorted(tuple(r) for r in reader[1:])
    else:
        lines = result.decode("utf-8").splitlines()
        assert lines[0].split("\t") == ["?" + v for v in variables], lines[0]
        got = sorted(tuple(cell.strip("<>").split('"')[1] if cell.startswith('"') else cell.strip("<>") for cell in line.split("\t")) for line in lines[1:])
    assert got == rows, f"{fmt}: {got} != {rows}"

# CONSTRUCT in every RDF format parses, with the same triples.
construct = "CONSTRUCT WHERE { ?s ex:deployedTo ?o }"
graphs = []
for fmt, parse_as in ((TURTLE, "turtle"), (N3, "turtle"), (JSONLD, "json-ld")):
    client.setQuery(construct)
    client.setReturnFormat(fmt)
    result = client.query().convert()
    if isinstance(result, rdflib.Graph):
        graph = result
    else:
        graph = rdflib.Graph()
        graph.parse(data=result, format=parse_as)
    graphs.append(set(graph))
assert graphs[0] and all(g == graphs[0] for g in graphs), graphs

# rdflib's SPARQLStore, as a read-only Graph over the endpoint.
store = rdflib.Graph(SPARQLStore(endpoint, returnFormat="json"))
ask = store.query("ASK { ?s <http://kgrep.example/zh/deployedTo> ?o }")
assert ask.askAnswer is True
count = list(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))[0][0]
print("protocol ok:", len(rows), "rows in 4 formats; CONSTRUCT in 3 formats;", "facts", count)
