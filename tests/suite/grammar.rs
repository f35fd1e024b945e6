//! The grammar in `grammar/kgr.ebnf` stays true: its examples parse, and each
//! of its productions has a parser function of the same name.

use crate::support::root;

fn grammar() -> String {
    std::fs::read_to_string(root().join("grammar/kgr.ebnf")).expect("grammar/kgr.ebnf")
}

#[test]
fn every_example_in_the_grammar_parses() {
    let grammar = grammar();
    let examples: Vec<&str> = grammar
        .split("\n(*e ")
        .skip(1)
        .map(|rest| rest.split_once("*)").expect("closed example").0)
        .collect();
    assert!(
        examples.len() >= 15,
        "found only {} examples",
        examples.len()
    );
    for example in examples {
        let (tree, errors) = kgrep::syntax::parse(example);
        assert!(
            errors.is_empty(),
            "example does not parse:\n{example}\n{errors:#?}"
        );
        assert!(!tree.items.is_empty(), "example has no item:\n{example}");
    }
}

#[test]
fn every_production_has_a_parser_function() {
    let grammar = grammar();
    let parser =
        std::fs::read_to_string(root().join("src/syntax/parser.rs")).expect("parser source");
    let productions: Vec<&str> = grammar
        .lines()
        .filter_map(|line| line.split_once(" = ").map(|(name, _)| name.trim()))
        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect();
    assert!(
        productions.len() >= 20,
        "found only {} productions",
        productions.len()
    );
    let missing: Vec<&str> = productions
        .iter()
        .copied()
        .filter(|name| !parser.contains(&format!("fn {name}(")))
        .filter(|name| !parser.contains(&format!("fn {name}<")))
        .collect();
    assert!(
        missing.is_empty(),
        "productions without a parser function: {missing:?}"
    );
}
