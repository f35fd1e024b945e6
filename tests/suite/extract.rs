//! Extraction on real text: the Chinese example rules on the seed document
//! (a real news report), and the English rules on our English sample; plus
//! every rule file's own tests through `kgrep test`.

use std::collections::HashSet;

use crate::support::{kgrep, rule_files, shared_file};

const SEED: &str = "corpus/seed/000_c171a1427bcab795.txt";

/// The N-Triples `kgrep extract` prints, with our namespaces shortened.
fn extract(rules: &str, documents: &[&str]) -> HashSet<String> {
    let mut args = vec!["extract", "-q", "-r", rules];
    args.extend(documents);
    let output = kgrep(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .lines()
        .map(|line| {
            line.replace("http://kgrep.example/zh/", "ex:")
                .replace("http://kgrep.example/en/", "ex:")
                .replace("http://schema.org/", "schema:")
                .replace("http://www.w3.org/2001/XMLSchema#", "xsd:")
                .replace("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdf:")
                .replace("http://www.w3.org/2000/01/rdf-schema#", "rdfs:")
        })
        .collect()
}

fn assert_facts(facts: &HashSet<String>, expected: &[&str], forbidden: &[&str]) {
    let missing: Vec<&&str> = expected
        .iter()
        .filter(|fact| !facts.contains(**fact))
        .collect();
    assert!(
        missing.is_empty(),
        "missing facts: {missing:#?}\nall facts: {facts:#?}"
    );
    for needle in forbidden {
        let found: Vec<&String> = facts.iter().filter(|fact| fact.contains(needle)).collect();
        assert!(found.is_empty(), "false positive `{needle}`: {found:#?}");
    }
}

#[test]
fn chinese_rules_on_the_seed_document() {
    let Some(seed) = shared_file(SEED) else {
        return;
    };
    let seed = seed.to_str().expect("UTF-8 path");
    let facts = extract("examples/zh/news.kgr", &[seed]);
    let expected = [
        // Organisations and places that formed teams.
        "<ex:org/中国移动湖北分公司党委> <ex:formed> <ex:team/党员突击队> .",
        "<ex:place/甘肃肃北蒙古族自治县> <ex:formed> <ex:team/马背防疫先锋队> .",
        "<ex:place/山东胶州> <ex:formed> <ex:team/胶州先锋疫情防控突击队> .",
        "<ex:team/胶州先锋疫情防控突击队> <ex:unitCount> \"95\"^^<xsd:integer> .",
        "<ex:place/青海果洛藏族自治州> <ex:formed> <ex:team/摩托先锋队> .",
        "<ex:place/贵州贵阳枫渔社区> <ex:formed> <ex:team/跑腿代购党员志愿服务小分队> .",
        "<ex:place/陕西西安> <ex:formedGroups> \"3200\"^^<xsd:integer> .",
        "<ex:place/陕西西安> <ex:formedGroupsApproximate> \"true\"^^<xsd:boolean> .",
        // Teams in hospitals.
        "<ex:team/辽宁医疗队> <ex:workedAt> <ex:hospital/雷神山医院> .",
        "<ex:team/辽宁医疗队> <ex:wardsTakenOver> \"17\"^^<xsd:integer> .",
        // Counts.
        "<ex:org/中国五矿> <ex:personnelCount> \"46\"^^<xsd:integer> .",
        "<ex:org/中铁五局二公司医院党支部> <ex:personnelCount> \"27\"^^<xsd:integer> .",
        "<ex:hospital/雷神山医院> <ex:wardCount> \"32\"^^<xsd:integer> .",
        "<ex:hospital/雷神山医院> <schema:containedInPlace> <ex:place/武汉> .",
        // People and roles.
        "<ex:person/姚美珍> <schema:memberOf> <ex:org/唐都花园社区党支部> .",
        "<ex:person/姚美珍> <schema:jobTitle> \"书记\"@zh .",
        "<ex:person/马光明> <schema:jobTitle> \"网格员\"@zh .",
        "<ex:person/马光明> <ex:workplace> \"黑龙江桦南城子岭村\"@zh .",
        // Dated events: the document's year (2020) completes 2月12日.
        "<ex:team/辽宁医疗队> <ex:startedOn> \"2020-02-12\"^^<xsd:date> .",
        "<ex:team/辽宁医疗队> <ex:tookOverOn> \"2020-02-15\"^^<xsd:date> .",
        // Entity types and labels.
        "<ex:team/马背防疫先锋队> <rdf:type> <ex:Team> .",
        "<ex:team/马背防疫先锋队> <rdfs:label> \"马背防疫先锋队\"@zh .",
        "<ex:hospital/雷神山医院> <rdf:type> <schema:Hospital> .",
        "<ex:person/姚美珍> <rdf:type> <schema:Person> .",
        "<ex:org/中国五矿> <rdf:type> <schema:Organization> .",
        "<ex:place/陕西西安> <rdf:type> <schema:Place> .",
    ];
    let forbidden = [
        // A place name swallowed into an organisation ("…街道唐都花园社区党支部").
        "<ex:org/莲湖区",
        "<ex:org/枣园街道",
        // An organisation that starts with 在 ("在火神山、雷神山医院项目建设指挥部").
        "<ex:org/在",
        // A bare suffix is no particular team.
        "<ex:team/突击队>",
        // A shorter, wrong organisation inside the right one.
        "<ex:org/湖北分公司党委>",
        // Approximate counts not written as approximate.
        "<ex:team/胶州先锋疫情防控突击队> <ex:unitCountApproximate> \"true\"",
        // A person name running into the next word ("马光明的").
        "<ex:person/马光明的>",
        // A date without its year when the document's year is known.
        "\"--02-12\"^^<xsd:gMonthDay>",
    ];
    assert!(expected.len() >= 25 && forbidden.len() >= 5);
    assert_facts(&facts, &expected, &forbidden);
}

#[test]
fn english_rules_on_our_english_sample() {
    let facts = extract("examples/en/news.kgr", &["examples/en/docs"]);
    let expected = [
        "<ex:org/Hubei%20Red%20Cross> <ex:formed> <ex:team/Rapid%20Response%20Team> .",
        "<ex:org/China%20Mobile%20Hubei%20Branch> <ex:formed> <ex:team/Network%20Support%20Team> .",
        "<ex:team/Liaoning%20Medical%20Team> <ex:deployedTo> <ex:hospital/Leishenshan%20Hospital> .",
        "<ex:team/Liaoning%20Medical%20Team> <ex:deployedOn> \"2020-02-12\"^^<xsd:date> .",
        "<ex:hospital/Leishenshan%20Hospital> <ex:wardCount> \"32\"^^<xsd:integer> .",
        "<ex:org/China%20Minmetals> <ex:personnelCount> \"46\"^^<xsd:integer> .",
        "<ex:person/Yao%20Meizhen> <schema:jobTitle> \"secretary\"@en .",
        "<ex:person/Yao%20Meizhen> <schema:memberOf> <ex:org/Tangdu%20Garden%20Community%20Party%20Branch> .",
    ];
    let forbidden = ["<ex:org/The%20", "<ex:org/In%20", "<ex:team/Team>"];
    assert_facts(&facts, &expected, &forbidden);
}

#[test]
fn every_rule_file_passes_its_own_tests() {
    let mut files = rule_files("tests/data/ok");
    files.extend(rule_files("examples/zh"));
    files.extend(rule_files("examples/en"));
    for file in files {
        let output = kgrep(&["test", &file]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{file}:\n{stderr}");
    }
}

#[test]
fn a_failing_test_shows_a_diff_and_exits_1() {
    let dir = std::env::temp_dir().join(format!("kgrep-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("failing.kgr");
    std::fs::write(
        &file,
        "prefix ex: <http://e/>\nrule r = \"成立\" => ex:a ex:formed ex:b\n\
         test r \"他们成立了\" => ex:a ex:formed ex:c\n  !=> ex:a ex:formed ex:b\n",
    )
    .expect("write");
    let output = kgrep(&["test", file.to_str().expect("UTF-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("- missing:   ex:a ex:formed ex:c"),
        "{stderr}"
    );
    assert!(
        stderr.contains("! forbidden: ex:a ex:formed ex:b"),
        "{stderr}"
    );
    assert!(stderr.contains("1 tests: 0 passed, 1 failed"), "{stderr}");
    // Two rules producing one triple: it is listed once, with both rules.
    std::fs::write(
        &file,
        "prefix ex: <http://e/>\nrule r = \"成立\" => ex:a ex:formed ex:b\nrule s = \"成立\" => ex:a ex:formed ex:b\n\
         test r \"成立\" => ex:a ex:formed ex:c\ntest s \"成立\" => ex:a ex:formed ex:b\n",
    )
    .expect("write");
    let output = kgrep(&["test", file.to_str().expect("UTF-8 path")]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("    ex:a ex:formed ex:b").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("(rule r, s)"), "{stderr}");
    // Rules with errors: every test written in the file is counted, as not run.
    std::fs::write(
        &file,
        "prefix ex: <http://e/>\nrule r = Nope => ex:a ex:formed ex:b\n\
         test r \"成立\" => ex:a ex:formed ex:b\ntest r \"组建\" => ex:a ex:formed ex:b\n",
    )
    .expect("write");
    let output = kgrep(&["test", file.to_str().expect("UTF-8 path")]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("2 tests: 0 passed, 0 failed, 2 not run (their rules have errors)"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn jsonl_carries_provenance_into_the_original_text() {
    let Some(seed) = shared_file(SEED) else {
        return;
    };
    let output = kgrep(&[
        "extract",
        "-q",
        "-f",
        "jsonl",
        "-r",
        "examples/zh/news.kgr",
        seed.to_str().expect("UTF-8 path"),
    ]);
    assert!(output.status.success());
    let original: Vec<char> = std::fs::read_to_string(&seed)
        .expect("seed")
        .chars()
        .collect();
    let mut checked = 0;
    for line in String::from_utf8(output.stdout).expect("UTF-8").lines() {
        let fact: serde_json::Value = serde_json::from_str(line).expect("JSON");
        let start = fact["start"].as_u64().expect("start") as usize;
        let end = fact["end"].as_u64().expect("end") as usize;
        let text: String = original[start..end].iter().collect();
        assert_eq!(text, fact["text"].as_str().expect("text"), "{line}");
        assert!(
            fact["rule"].is_string() && fact["sentence"].is_u64() && fact["document"].is_string()
        );
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} facts");
}

#[test]
fn unreadable_documents_are_named_and_the_rest_still_processed() {
    let dir = std::env::temp_dir().join(format!("kgrep-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("a.txt"), b"\xff\xfe broken").expect("write");
    std::fs::write(dir.join("b.txt"), "中国移动湖北分公司党委成立党员突击队。").expect("write");
    let path = dir.to_str().expect("UTF-8 path");
    let output = kgrep(&["extract", "-q", "-r", "examples/zh/news.kgr", path]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("a.txt") && stderr.contains("not valid UTF-8 (at byte 0)"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("党员突击队"));
    let lossy = kgrep(&[
        "extract",
        "-q",
        "--lossy",
        "-r",
        "examples/zh/news.kgr",
        path,
    ]);
    assert_eq!(lossy.status.code(), Some(0));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_fifo_in_a_documents_folder_is_skipped_not_waited_for() {
    let dir = std::env::temp_dir().join(format!("kgrep-fifo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("a.txt"), "中国移动湖北分公司党委成立党员突击队。").expect("write");
    let made = std::process::Command::new("mkfifo")
        .arg(dir.join("pipe"))
        .status()
        .is_ok_and(|status| status.success());
    if !made {
        eprintln!("note: mkfifo is not available here; skipping");
        return;
    }
    let output = kgrep(&[
        "extract",
        "-q",
        "-r",
        "examples/zh/news.kgr",
        dir.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("党员突击队"));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a regular file"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn jsonl_terms_are_structured_as_in_sparql_json_results() {
    let output = kgrep(&[
        "extract",
        "-q",
        "-r",
        "examples/zh/news.kgr",
        "-f",
        "jsonl",
        "examples/zh/docs",
    ]);
    assert!(output.status.success());
    let (mut typed, mut tagged) = (0, 0);
    for line in String::from_utf8(output.stdout).expect("UTF-8").lines() {
        let fact: serde_json::Value = serde_json::from_str(line).expect("JSON");
        assert_eq!(fact["subject"]["type"], "uri", "{line}");
        assert_eq!(fact["predicate"]["type"], "uri", "{line}");
        assert!(
            !fact["predicate"]["value"]
                .as_str()
                .unwrap()
                .starts_with('<'),
            "{line}"
        );
        let object = &fact["object"];
        match object["type"].as_str() {
            Some("uri") => assert!(object.get("datatype").is_none()),
            Some("literal") if object.get("xml:lang").is_some() => tagged += 1,
            Some("literal") if object.get("datatype").is_some() => typed += 1,
            Some("literal") => {}
            other => panic!("{other:?}: {line}"),
        }
        assert!(
            fact["document"]
                .as_str()
                .unwrap()
                .starts_with("urn:kgrep:doc:")
        );
    }
    assert!(typed > 0 && tagged > 0, "typed {typed}, tagged {tagged}");
}

/// Regression: `$` inside an alternation held at the end of the match
/// instead of the end of the sentence, so the captures took the wrong split.
#[test]
fn dollar_inside_an_alternation_means_the_end_of_the_sentence() {
    let dir = std::env::temp_dir().join(format!("kgrep-dollar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("r.kgr"),
        "prefix ex: <http://kgrep.example/zh/>\n\
         rule r2 = $y:([a-z]{2,8} \"b\") ([^c] | $) => ex:s ex:p $y\n\
         test r2 \"aabbc zz\" => ex:s ex:p \"aab\"\n\
         test r2 \"aab\" => ex:s ex:p \"aab\"\n",
    )
    .expect("write");
    std::fs::write(dir.join("doc.txt"), "aabbc zz\naab\n").expect("write");
    let output = kgrep(&[
        "extract",
        "-q",
        "-f",
        "jsonl",
        "-r",
        dir.join("r.kgr").to_str().unwrap(),
        dir.join("doc.txt").to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let found: Vec<(String, String)> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let fact: serde_json::Value = serde_json::from_str(line).expect("JSON");
            (
                fact["object"]["value"].as_str().unwrap().to_owned(),
                fact["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [("aab".into(), "aabb".into()), ("aab".into(), "aab".into())]
    );
    let tests = kgrep(&["test", dir.join("r.kgr").to_str().unwrap()]);
    assert!(
        tests.status.success(),
        "{}",
        String::from_utf8_lossy(&tests.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `--input jsonl`: one document a line; the facts are those of the same
/// texts as files named by their ids, and a broken line is reported by file
/// and line while the others go on.
#[test]
fn json_lines_records_are_documents_and_a_broken_one_is_named() {
    let dir = crate::support::temp_dir("jsonl-input");
    let texts = [
        ("a1", "中国移动湖北分公司党委成立党员突击队。"),
        (
            "a2",
            "辽宁医疗队进驻武汉雷神山医院。雷神山医院共有32个病区。",
        ),
    ];
    let files = dir.join("files");
    std::fs::create_dir_all(&files).expect("dir");
    let mut records = String::new();
    for (id, text) in texts {
        std::fs::write(files.join(id), text).expect("write");
        records.push_str(&serde_json::json!({"id": id, "text": text, "extra": 1}).to_string());
        records.push('\n');
    }
    records.push_str("{\"id\": \"broken\"\n");
    let jsonl = dir.join("corpus.jsonl");
    std::fs::write(&jsonl, &records).expect("write");
    let from_records = crate::support::kgrep(&[
        "extract",
        "-r",
        "examples/zh/news.kgr",
        "--input",
        "jsonl",
        jsonl.to_str().unwrap(),
    ]);
    let from_files = crate::support::kgrep(&[
        "extract",
        "-r",
        "examples/zh/news.kgr",
        files.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&from_records.stderr);
    assert_eq!(from_records.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("corpus.jsonl:3: not JSON"), "{stderr}");
    assert!(from_files.status.success());
    assert!(!from_records.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&from_records.stdout),
        String::from_utf8_lossy(&from_files.stdout)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Each fact's JSON line lists its match's captures with spans into the
/// original text, inside the match; `--mentions` lists each entity mention
/// once, in text order, and every one names a node the facts use.
#[test]
fn mentions_have_spans_into_the_original_text() {
    let docs = crate::support::root().join("examples/zh/docs");
    let run = |extra: &[&str]| {
        let mut args = vec!["extract", "-q", "-r", "examples/zh/news.kgr"];
        args.extend(extra);
        args.push(docs.to_str().expect("UTF-8 path"));
        let output = kgrep(&args);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    let original = |document: &str| -> Vec<char> {
        let name = document
            .strip_prefix("urn:kgrep:doc:")
            .expect("document IRI");
        std::fs::read_to_string(docs.join(name))
            .expect("document")
            .chars()
            .collect()
    };
    let mut nodes = HashSet::new();
    let mut captures = 0;
    for line in run(&["-f", "jsonl"]).lines() {
        let fact: serde_json::Value = serde_json::from_str(line).expect("JSON");
        let text = original(fact["document"].as_str().expect("document"));
        let (start, end) = (
            fact["start"].as_u64().unwrap(),
            fact["end"].as_u64().unwrap(),
        );
        for term in ["subject", "object"] {
            nodes.insert(fact[term]["value"].as_str().expect("value").to_owned());
        }
        for mention in fact["mentions"].as_array().expect("mentions") {
            let (from, to) = (
                mention["start"].as_u64().unwrap(),
                mention["end"].as_u64().unwrap(),
            );
            assert!(start <= from && from < to && to <= end, "{line}");
            let slice: String = text[from as usize..to as usize].iter().collect();
            assert_eq!(slice, mention["text"].as_str().expect("text"), "{line}");
            captures += 1;
        }
    }
    assert!(captures >= 20, "only {captures} captures");
    let tsv = run(&["--mentions"]);
    let rows: Vec<Vec<&str>> = tsv.lines().map(|line| line.split('\t').collect()).collect();
    assert!(rows.len() >= 10, "{tsv}");
    let mut previous: Option<(&str, u64, u64)> = None;
    for row in &rows {
        let [document, start, end, kind, iri, text] = row[..] else {
            panic!("six fields: {row:?}");
        };
        let key = (document, start.parse().unwrap(), end.parse().unwrap());
        let slice: String = original(document)[key.1 as usize..key.2 as usize]
            .iter()
            .collect();
        assert_eq!(slice, text);
        assert!(!kind.is_empty() && nodes.contains(iri), "{row:?}");
        if let Some(previous) = previous.filter(|p| p.0 == document) {
            assert!(
                previous < key,
                "in text order, once: {previous:?} then {key:?}"
            );
        }
        previous = Some(key);
    }
}
