//! Words the engine writes for people (why a lower tier answered, why no passage was given, why this backend, what
//! Scout recommends) as a message of the extension's locales plus its arguments. The UI shows them in the browser's
//! language with `chrome.i18n`; the CLI, logs and stored records read the English `text`.
//!
//! Invariant: [`ENGLISH`] holds the `en` locale's text of every key, and every locale has every key (a test reads
//! `extension/_locales/*/messages.json`).

use serde::{Deserialize, Serialize};

/// A message key with its arguments, and its English rendering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "Wire")]
pub struct Phrase {
    /// A message name in `_locales/*/messages.json`; empty for plain English text (records stored before phrases).
    pub key: String,
    pub args: Vec<Arg>,
    /// The English text (what the `en` locale renders).
    pub text: String,
}

/// An argument: text shown as it is (a number, a model name, a runtime's error), or a phrase of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Arg {
    Text(String),
    Phrase(Phrase),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_string())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}

impl From<Phrase> for Arg {
    fn from(p: Phrase) -> Self {
        Arg::Phrase(p)
    }
}

/// What a phrase may be read from: the full form, or a plain string (stored replies from before phrases existed).
#[derive(Deserialize)]
#[serde(untagged)]
enum Wire {
    Full { key: String, args: Vec<Arg>, text: String },
    Plain(String),
}

impl From<Wire> for Phrase {
    fn from(w: Wire) -> Self {
        match w {
            Wire::Full { key, args, text } => Phrase { key, args, text },
            Wire::Plain(text) => Phrase::plain(&text),
        }
    }
}

impl Phrase {
    /// The phrase `key` with `args` (`$1`… in the template). An unknown key is a bug: its text is the key itself,
    /// as `chrome.i18n` would show nothing (the locale test catches it).
    pub fn new(key: &str, args: Vec<Arg>) -> Self {
        let template = ENGLISH.iter().find(|(k, _)| *k == key).map(|(_, t)| *t).unwrap_or(key);
        let text = render(template, &args);
        Phrase {
            key: key.to_string(),
            args,
            text,
        }
    }

    /// Text that is shown as it is in every language (a file name, a runtime's own error).
    pub fn plain(text: &str) -> Self {
        Phrase {
            key: String::new(),
            args: Vec::new(),
            text: text.to_string(),
        }
    }

    /// A message whose English is kept elsewhere (a built-in label's name, one of the UI's own words).
    pub fn named(key: &str, english: &str) -> Self {
        Phrase {
            key: key.to_string(),
            args: Vec::new(),
            text: english.to_string(),
        }
    }

    /// A phrase without arguments.
    pub fn of(key: &str) -> Self {
        Phrase::new(key, Vec::new())
    }
}

impl std::fmt::Display for Phrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// `id` as a message name: letters and digits kept, every other run of characters one `_` (as the UI makes them).
pub fn message_name(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for c in id.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out
}

/// `template` with `$1`…`$9` replaced by the arguments' English text (as `chrome.i18n.getMessage` substitutes).
fn render(template: &str, args: &[Arg]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        let slot = match (c, chars.peek()) {
            ('$', Some(d)) if d.is_ascii_digit() && *d != '0' => d.to_digit(10),
            _ => None,
        };
        match slot {
            Some(n) => {
                chars.next();
                match args.get(n as usize - 1) {
                    Some(Arg::Text(s)) => out.push_str(s),
                    Some(Arg::Phrase(p)) => out.push_str(&p.text),
                    None => {}
                }
            }
            None => out.push(c),
        }
    }
    out
}

/// The English text of every phrase the engine writes (the `en` locale's messages of these keys).
pub const ENGLISH: &[(&str, &str)] = &[
    // Why a lower tier answered a summary.
    (
        "engFallbackEmbedFailed",
        "Embedding failed, so this is the no-model summary: $1",
    ),
    (
        "engFallbackNoEmbedder",
        "The embedding model is not loaded, so this is the no-model summary.",
    ),
    (
        "engFallbackEmbedderError",
        "The embedding model could not be loaded, so this is the no-model summary: $1",
    ),
    // Why a question got no passage.
    ("engNoAnswerEmptyIndex", "this page has no text to search"),
    ("engNoAnswerEmptyQuestion", "ask a question with some words in it"),
    ("engNoAnswerLowScore", "the page does not seem to answer this"),
    (
        "engUnsureAnswer",
        "the page may not answer this; these are the closest passages",
    ),
    // Which embedder read a question.
    (
        "engHintMultilingual",
        "this page or question is not in English, which the built-in model reads poorly: download $1 in the options for better answers",
    ),
    (
        "engMultilingualFailed",
        "$1 could not start ($2): the built-in model answered",
    ),
    // Why this backend.
    ("engBackendWasmChosen", "WASM chosen in the options"),
    ("engBackendWebgpuChosen", "WebGPU chosen in the options"),
    (
        "engBackendWebgpuMissing",
        "WebGPU chosen in the options, but this browser exposes no WebGPU adapter: using WASM",
    ),
    (
        "engBackendMeasuredWebgpu",
        "measured on this device: WebGPU $1 ms vs WASM $2 ms per batch",
    ),
    (
        "engBackendMeasuredWasm",
        "measured on this device: WASM $1 ms vs WebGPU $2 ms per batch",
    ),
    (
        "engBackendMeasureFailed",
        "WebGPU failed when measured on this device ($1)",
    ),
    ("engBackendHardware", "hardware WebGPU adapter"),
    ("engBackendHardwareVendor", "hardware WebGPU adapter ($1)"),
    ("engBackendSoftware", "only a software WebGPU adapter: WASM is faster"),
    ("engBackendNoAdapter", "no WebGPU adapter"),
    ("engBackendFellBack", "WebGPU failed ($1); fell back to WASM"),
    ("engBackendWasmLoaded", "$1; the WASM runtime was already loaded"),
    ("engWasmThread", "$1; 1 WASM thread"),
    ("engWasmThreads", "$1; $2 WASM threads"),
    // How a download ends or waits.
    ("engDownloadReadyHub", "verified by the hub's hashes and ready"),
    ("engDownloadReadyPinned", "verified (sha256) and ready"),
    ("engDownloadRetrying", "$1 — retrying in $2 s (attempt $3)"),
    ("engHistoryImported", "Imported $1 entries."),
    // History entries as the history page shows them.
    ("engHistoryQuestion", "Q: $1"),
    ("engHistoryNoAnswer", "Scout: $1."),
    ("engHistoryLabel", "$1: $2 ($3 %)"),
    ("engHistoryLabelUncertain", "$1: $2 ($3 %), uncertain"),
    // What Scout recommends for this device.
    ("engDeviceGpuF16", "GPU with shader-f16, $1 cores, $2 GB"),
    ("engDeviceGpu", "GPU without shader-f16, $1 cores, $2 GB"),
    ("engDeviceCpu", "no hardware GPU, $1 cores, $2 GB"),
    (
        "engRecTooSlow",
        "$1: a local LLM would be too slow; the bundled embedder works well",
    ),
    (
        "engRecNoneVerified",
        "$1: no verified local LLM suits this device yet; the bundled embedder works well",
    ),
    ("engRecRunsWell", "$1: $2 runs well here"),
    (
        "engRecRunsWellBigger",
        "$1: $2 runs well here; $3 would suit this device once its files are verified",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_arguments_and_nested_phrases() {
        let device = Phrase::new("engDeviceCpu", vec!["2".into(), "8".into()]);
        let p = Phrase::new("engRecRunsWell", vec![device.into(), "SmolLM2".into()]);
        assert_eq!(p.text, "no hardware GPU, 2 cores, 8 GB: SmolLM2 runs well here");
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Phrase>(&json).unwrap(), p);
    }

    #[test]
    fn reads_plain_text_stored_before_phrases() {
        let p: Phrase = serde_json::from_str("\"the embedding model is not loaded\"").unwrap();
        assert_eq!(
            (p.key.as_str(), p.text.as_str()),
            ("", "the embedding model is not loaded")
        );
    }

    #[test]
    fn a_dollar_that_is_not_a_slot_stays() {
        assert_eq!(render("$0 and $x cost $", &[]), "$0 and $x cost $");
    }

    /// The UI names built-in labels and describes catalog models by message names made from their ids
    /// (`extension/ui/i18n.js`: runs of other characters become `_`); every locale needs each one.
    #[test]
    fn every_builtin_label_and_catalog_model_is_in_every_locale() {
        use crate::core::classify::LabelSet;
        let name = message_name;
        let mut keys = Vec::new();
        for set in [LabelSet::Topic, LabelSet::ContentType, LabelSet::Tone] {
            for l in set.labels() {
                keys.push((format!("label_{}_{}", name(&set.key()), name(&l.id)), l.name));
            }
        }
        for m in crate::core::catalog::Catalog::builtin().models {
            keys.push((format!("modelDesc_{}", name(&m.id)), m.description));
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("extension/_locales");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path().join("messages.json");
            let messages: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for (key, english) in &keys {
                let m = messages[key]["message"].as_str();
                assert!(m.is_some_and(|m| !m.is_empty()), "{}: no message {key}", path.display());
                if path.parent().unwrap().ends_with("en") {
                    assert_eq!(m, Some(english.as_str()), "{key}: the en locale says otherwise");
                }
            }
        }
    }

    /// The locales are the UI's truth: the English here must be the `en` message, and every locale needs the key
    /// with the same slots.
    #[test]
    fn every_phrase_is_in_every_locale() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("extension/_locales");
        let slots = |m: &str| {
            let mut s: Vec<String> = (1..=9).map(|n| format!("${n}")).filter(|x| m.contains(x)).collect();
            s.sort();
            s
        };
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path().join("messages.json");
            let messages: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let is_en = path.parent().unwrap().ends_with("en");
            for (key, english) in ENGLISH {
                let m = messages[key]["message"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{}: no message {key}", path.display()));
                if is_en {
                    assert_eq!(m, *english, "{key}: the en locale and phrase.rs differ");
                }
                assert_eq!(slots(m), slots(english), "{}: {key} has other slots", path.display());
            }
        }
    }
}
