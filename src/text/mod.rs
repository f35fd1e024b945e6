//! Text before matching: normalisation with a map back to the original,
//! sentence splitting, and the readers behind the `number` and `date`
//! normalisers.
//!
//! Matching runs on normalised text (NFKC: full-width digits, letters and
//! punctuation become ASCII), but every position reported to people is a
//! character offset into the original text; [`Normalized`] translates.

mod date;
mod normalize;
mod number;
mod sentence;
mod view;

pub use date::{Date, read_date};
pub(crate) use normalize::keeps_char;
pub use normalize::{Normalized, normalize, normalize_in, normalize_str};
pub use number::{Number, read_number};
pub use sentence::split_sentences;
pub use view::{Derived, View, derive};
