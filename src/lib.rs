//! kgrep turns prose into a knowledge graph with rules a person can read.
//!
//! The rule language front end is a pipeline of representations, each in its
//! own module: source text ([`source`]) → spanned syntax tree ([`syntax`]) →
//! resolved, checked rule set ([`rules`]). Problems are [`diagnostic`]s with
//! spans ([`span`]). The engine ([`text`], [`matcher`], [`extract`]) turns
//! documents into facts with provenance; [`store`] and [`graph`] keep and
//! explore them. The library does no terminal I/O: the command line and the
//! REPL are front ends in the binary.
//!
//! ```
//! use kgrep::extract::{Document, Extractor};
//! use kgrep::source::MemoryFiles;
//!
//! let mut files = MemoryFiles::new();
//! files.insert("news.kgr", r#"
//!     prefix ex: <http://kgrep.example/zh/>
//!     entity Org a ex:Org = \p{Han}{2,12} "党委" iri ex:org/{text}
//!     entity Team a ex:Team = \p{Han}{2,4} "突击队" iri ex:team/{text}
//!     rule formed = $org:Org "成立" $team:Team => $org ex:formed $team
//!     test formed "中国移动湖北分公司党委成立党员突击队" => _ ex:formed ex:team/党员突击队
//! "#);
//! let loaded = kgrep::rules::load("news.kgr".as_ref(), &files).unwrap();
//! assert!(loaded.diagnostics.is_empty());
//! let extractor = Extractor::new(loaded.rule_set.unwrap()).unwrap();
//! let document = Document::new("a.txt", "中国移动湖北分公司党委成立党员突击队。".into(), None);
//! let facts = extractor.extract(&document, &mut extractor.scratch()).facts;
//! assert_eq!(
//!     facts[0].triple.to_string(),
//!     "<http://kgrep.example/zh/org/中国移动湖北分公司党委> <http://kgrep.example/zh/formed> <http://kgrep.example/zh/team/党员突击队>"
//! );
//! assert_eq!(facts[0].provenance.rule.as_ref(), "formed");
//! ```
pub mod corpus;
pub mod diagnostic;
pub mod eval;
pub mod extract;
pub mod graph;
pub mod matcher;
pub mod prefixes;
pub mod provenance;
#[cfg(feature = "python")]
#[allow(missing_docs)]
mod python;
pub mod rdf_writer;
pub mod rules;
pub mod serialize;
pub mod source;
pub mod span;
#[cfg(feature = "store")]
pub mod store;
pub mod syntax;
#[cfg(test)]
mod testing;
pub mod text;
pub mod vocab;
