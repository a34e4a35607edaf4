//! The history of answers: what was asked about which page, when, by which tier and model. Pure: the web layer
//! supplies timestamps and stores the entries.

use serde::{Deserialize, Serialize};

use super::classify::{Classification, LabelSet};
use super::error::{ErrorCode, ScoutError};
use super::phrase::{Phrase, message_name};
use super::protocol::{AnswersReply, ClassifyReply, SummaryReply, Tier};

/// Bumped when the entry shape changes; imports of other versions are refused with a clear error.
pub const HISTORY_FORMAT: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryEntry {
    /// Sorts by time: `h{created_ms:015}-{hash prefix}`.
    pub id: String,
    /// "summary", "classification" or "answer".
    pub kind: String,
    pub url: String,
    pub title: String,
    pub tier: String,
    pub model: Option<String>,
    /// The options that shaped the answer (JSON).
    pub options: String,
    pub content_hash: String,
    pub created_ms: f64,
    /// The answer as English text (what search looks at, and what exports carry).
    pub text: String,
    /// The answer as the history page shows it, line by line in the UI's language; empty for summaries (the page's
    /// own words) and entries stored before it existed, which show `text`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shown: Vec<Phrase>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryExport {
    pub format: u32,
    pub entries: Vec<HistoryEntry>,
}

pub fn entry_id(created_ms: f64, content_hash: &str) -> String {
    format!(
        "h{:015}-{}",
        created_ms.max(0.0) as u64,
        content_hash.get(..12).unwrap_or(content_hash)
    )
}

/// The fields every kind of entry fills the same way; `id_key` makes the id unique among entries of one instant.
#[allow(clippy::too_many_arguments)]
fn page_entry(
    kind: &str,
    id_key: &str,
    url: &str,
    title: &str,
    tier: Tier,
    model: Option<&str>,
    now_ms: f64,
    text: String,
) -> HistoryEntry {
    HistoryEntry {
        id: entry_id(now_ms, id_key),
        kind: kind.into(),
        url: url.to_string(),
        title: title.to_string(),
        tier: format!("{tier:?}"),
        model: model.map(str::to_string),
        options: String::new(),
        content_hash: String::new(),
        created_ms: now_ms,
        text,
        shown: Vec::new(),
    }
}

pub fn entry_for_summary(reply: &SummaryReply, options_json: &str, now_ms: f64) -> HistoryEntry {
    let mut e = page_entry(
        "summary",
        &reply.content_hash,
        &reply.url,
        &reply.title,
        reply.tier,
        reply.model.as_deref(),
        now_ms,
        reply.summary.text.clone(),
    );
    e.options = options_json.to_string();
    e.content_hash = reply.content_hash.clone();
    e
}

pub fn entry_for_answers(reply: &AnswersReply, model: Option<&str>, now_ms: f64) -> HistoryEntry {
    let mut shown = vec![Phrase::new("engHistoryQuestion", vec![reply.question.clone().into()])];
    match &reply.no_answer {
        Some(why) => shown.push(Phrase::new("engHistoryNoAnswer", vec![why.clone().into()])),
        None => shown.extend(
            reply
                .answers
                .iter()
                .enumerate()
                .map(|(i, a)| Phrase::plain(&format!("[{}] {}", i + 1, a.quote))),
        ),
    }
    let id_key = super::hash::content_hash(&[&reply.url, &reply.question]);
    let entry = page_entry(
        "answer",
        &id_key,
        &reply.url,
        &reply.title,
        reply.tier,
        model,
        now_ms,
        String::new(),
    );
    with_lines(entry, shown)
}

pub fn entry_for_classification(reply: &ClassifyReply, model: Option<&str>, now_ms: f64) -> HistoryEntry {
    let shown = reply.results.iter().filter_map(label_line).collect();
    let id_key = super::hash::content_hash(&[&reply.url, "classification"]);
    let entry = page_entry(
        "classification",
        &id_key,
        &reply.url,
        &reply.title,
        reply.tier,
        model,
        now_ms,
        String::new(),
    );
    with_lines(entry, shown)
}

/// The entry with these lines shown, and their English as its text.
fn with_lines(mut entry: HistoryEntry, shown: Vec<Phrase>) -> HistoryEntry {
    entry.text = shown.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join("\n");
    entry.shown = shown;
    entry
}

/// A classification result as the history page shows it: "Topic: Technology (83 %)", built-in names localized.
fn label_line(c: &Classification) -> Option<Phrase> {
    let top = c.labels.first()?;
    let set = match &c.set {
        LabelSet::Topic => Phrase::named("labelTopic", "Topic"),
        LabelSet::ContentType => Phrase::named("labelType", "Type"),
        LabelSet::Tone => Phrase::named("labelTone", "Tone"),
        LabelSet::Custom(_) => Phrase::named("labelYours", "Yours"),
    };
    let name = match &c.set {
        LabelSet::Custom(_) => Phrase::plain(&top.name),
        builtin => Phrase::named(
            &format!("label_{}_{}", message_name(&builtin.key()), message_name(&top.id)),
            &top.name,
        ),
    };
    let key = if c.uncertain {
        "engHistoryLabelUncertain"
    } else {
        "engHistoryLabel"
    };
    Some(Phrase::new(
        key,
        vec![set.into(), name.into(), format!("{:.0}", top.score * 100.0).into()],
    ))
}

/// Case-insensitive match of every query word in the title, URL or text.
pub fn matches(entry: &HistoryEntry, query: &str) -> bool {
    let hay = format!("{}\n{}\n{}", entry.title, entry.url, entry.text).to_lowercase();
    query.split_whitespace().all(|w| hay.contains(&w.to_lowercase()))
}

/// Entries older than this (ms since the epoch) are removed; `None` keeps everything.
pub fn retention_cutoff(now_ms: f64, retention_days: Option<u32>) -> Option<f64> {
    retention_days.map(|d| now_ms - f64::from(d) * 86_400_000.0)
}

pub fn export_json(entries: Vec<HistoryEntry>) -> String {
    serde_json::to_string(&HistoryExport {
        format: HISTORY_FORMAT,
        entries,
    })
    .unwrap_or_default()
}

pub fn import_json(json: &str) -> Result<Vec<HistoryEntry>, ScoutError> {
    let export: HistoryExport = serde_json::from_str(json)
        .map_err(|e| ScoutError::new(ErrorCode::BadRequest, format!("not a Scout history export: {e}")))?;
    if export.format != HISTORY_FORMAT {
        return Err(ScoutError::new(
            ErrorCode::BadRequest,
            format!(
                "history export format {} is not supported (this Scout reads {HISTORY_FORMAT})",
                export.format
            ),
        ));
    }
    Ok(export.entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ms: f64, title: &str) -> HistoryEntry {
        HistoryEntry {
            id: entry_id(ms, "abcdef0123456789"),
            kind: "summary".into(),
            url: "http://127.0.0.1/x".into(),
            title: title.into(),
            tier: "T1".into(),
            model: None,
            options: "{}".into(),
            content_hash: "abcdef0123456789".into(),
            created_ms: ms,
            text: "- The bridge will be rebuilt.".into(),
            shown: Vec::new(),
        }
    }

    #[test]
    fn ids_sort_by_time() {
        assert!(entry_id(999.0, "ff") < entry_id(1000.0, "00"));
        assert_eq!(entry_id(5.0, "0123456789abcdef"), "h000000000000005-0123456789ab");
    }

    #[test]
    fn search_matches_all_words_case_insensitively() {
        let e = entry(1.0, "Council vote");
        assert!(matches(&e, "BRIDGE council"));
        assert!(matches(&e, ""));
        assert!(!matches(&e, "bridge tunnel"));
    }

    #[test]
    fn export_import_roundtrip_and_version_check() {
        let entries = vec![entry(1.0, "a"), entry(2.0, "b")];
        let json = export_json(entries.clone());
        assert_eq!(import_json(&json).unwrap(), entries);
        assert!(import_json(&json.replace("\"format\":1", "\"format\":9")).is_err());
        assert!(import_json("[]").is_err());
    }

    #[test]
    fn retention() {
        assert_eq!(retention_cutoff(10.0 * 86_400_000.0, Some(3)), Some(7.0 * 86_400_000.0));
        assert_eq!(retention_cutoff(1.0, None), None);
    }
}
