//! The rule language's syntax: text → spanned tree → canonical text.
//!
//! [`parse`] never fails as a whole; it returns the items it could read and every
//! syntax error. [`print()`] is the inverse used by `kgrep fmt`. Meaning (names,
//! prefixes, captures) is checked later, by [`crate::rules`].

pub mod ast;
mod parser;
mod print;

pub use parser::{ITEM_KEYWORDS, KEYWORDS, MAX_NESTING, MAX_REPEAT, SyntaxError, parse};
pub use print::{item_text, print};
