//! What the unit tests share: a small seeded random number generator
//! (xorshift), so that random inputs are the same on every run and no test
//! needs a crate for it.

/// Xorshift64: the same numbers from the same seed.
pub(crate) struct Xorshift(u64);

impl Xorshift {
    /// A generator from a nonzero seed.
    pub(crate) fn new(seed: u64) -> Xorshift {
        Xorshift(seed.max(1))
    }

    /// The next number below `bound` (not 0).
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        let state = &mut self.0;
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        (*state % bound as u64) as usize
    }

    /// One of `items`.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}
