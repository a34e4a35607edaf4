//! Which stems a page attests, for scripts that write particles or prefixes onto words (Korean: [`korean`];
//! Arabic, Hebrew: [`prefixes`]).
//!
//! A word loses what is written onto it only where the page attests what is left: the stem stands alone on the page,
//! or carries another affix in another word. The page's words are indexed once, so asking costs a few lookups.
//!
//! [`korean`]: super::korean
//! [`prefixes`]: super::prefixes

use std::collections::{HashMap, HashSet};

/// What is left of a word after each affix of its script that it carries (no empty stems).
pub type Strips = for<'w> fn(&'w str) -> Vec<&'w str>;

/// The page's words, and for each stem how many of them carry it under an affix.
pub struct PageStems<'a> {
    words: HashSet<&'a str>,
    carried: HashMap<&'a str, usize>,
    strips: Strips,
}

impl<'a> PageStems<'a> {
    /// Index `words` (the page's words, repeats allowed), cut by `strips`.
    pub fn new(words: impl IntoIterator<Item = &'a str>, strips: Strips) -> Self {
        let words: HashSet<&'a str> = words.into_iter().collect();
        let mut carried: HashMap<&'a str, usize> = HashMap::new();
        for word in &words {
            let mut stems = strips(word);
            stems.sort_unstable();
            stems.dedup();
            for stem in stems {
                *carried.entry(stem).or_default() += 1;
            }
        }
        PageStems { words, carried, strips }
    }

    /// Whether the page attests `stem` as a stem of `word`: it stands alone on the page, or a word other than `word`
    /// carries it under an affix.
    pub fn attests(&self, stem: &str, word: &str) -> bool {
        if self.words.contains(stem) {
            return true;
        }
        let own = usize::from((self.strips)(word).contains(&stem));
        self.carried.get(stem).is_some_and(|&n| n > own)
    }
}
