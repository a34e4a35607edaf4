//! The pure core: everything here is deterministic, does no IO and compiles for host and wasm32 alike.

pub mod bert;
pub mod catalog;
pub mod catalog_rules;
pub mod classify;
pub mod download;
pub mod embed;
pub mod embedder_choice;
pub mod endpoint;
pub mod error;
pub mod extract;
pub mod fair_lock;
pub mod generate;
pub mod hardware;
pub mod hash;
pub mod history;
pub mod page;
pub mod phrase;
pub mod pipeline;
pub mod protocol;
pub mod qa;
pub mod retrieve;
pub mod static_embed;
pub mod store;
pub mod text;
pub mod vectors;
pub mod verify;
pub mod writer;

#[cfg(test)]
pub mod test_support;
