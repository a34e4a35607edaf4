//! T2, the tier that writes: prompts, page fencing and the shaping of a local LLM's output (summaries and grounded
//! chat). Pure; the generation itself is `core::generate`.

pub mod chat;
pub mod run;
pub mod summary;

/// Neutralize the fence's own markers inside untrusted text, so a page cannot close the fence and speak as the
/// user. (Chat-template special tokens are removed separately by the generator, which knows them.)
fn defang(text: &str) -> String {
    text.replace("<page>", "‹page›").replace("</page>", "‹/page›")
}

/// The page as untrusted data between `<page>` and `</page>`.
pub fn fence(title: &str, text: &str) -> String {
    let title = defang(title.trim());
    let body = defang(text.trim());
    if title.is_empty() {
        format!("<page>\n{body}\n</page>")
    } else {
        format!("<page>\nTitle: {title}\n\n{body}\n</page>")
    }
}

/// Numbered passages as untrusted data: `[1] …`, `[2] …`.
pub fn fence_passages(title: &str, passages: &[&str]) -> String {
    let body: Vec<String> = passages
        .iter()
        .enumerate()
        .map(|(i, p)| format!("[{}] {}", i + 1, p.trim()))
        .collect();
    fence(title, &body.join("\n\n"))
}
