//! What a downloaded model file must hash to, and the check itself. Pure.
//!
//! A catalog entry either pins each file's sha256 (checked here, from the real files), or pins nothing and Scout
//! verifies each file against what the hub declares for it in its tree listing
//! (`GET {hub}/api/models/{repo}/tree/{revision}?recursive=true`): the sha256 of the LFS object for files kept in
//! LFS (`lfs.oid`, the same value `huggingface_hub` reads from the `X-Linked-Etag` header), or the git blob id
//! (`oid`: sha1 of `"blob {len}\0"` + bytes) for small files kept in git itself. The listing is read instead of the
//! header because a browser cannot see the headers of the redirect the hub answers a resolve request with.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::catalog::ModelEntry;
use super::error::{ErrorCode, ScoutError};

/// The hash a file must have, and who says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", content = "hex", rename_all = "snake_case")]
pub enum Expected {
    /// Pinned in Scout's catalog (sha256).
    Catalog(String),
    /// The sha256 of the LFS object, as the hub declares it.
    HubSha256(String),
    /// The git blob id (sha1), as the hub declares it for a file kept in git.
    HubGitBlob(String),
}

impl Expected {
    pub fn by_hub(&self) -> bool {
        !matches!(self, Expected::Catalog(_))
    }

    /// The hash, in lowercase hex.
    pub fn hex(&self) -> &str {
        match self {
            Expected::Catalog(h) | Expected::HubSha256(h) | Expected::HubGitBlob(h) => h,
        }
    }

    fn what(&self) -> &'static str {
        match self {
            Expected::Catalog(_) => "the sha256 pinned in Scout's catalog",
            Expected::HubSha256(_) => "the sha256 the hub declares",
            Expected::HubGitBlob(_) => "the git blob id the hub declares",
        }
    }
}

/// One file as the hub lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct HubFile {
    pub size: u64,
    pub expected: Expected,
}

#[derive(Deserialize)]
struct TreeEntry {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    oid: Option<String>,
    #[serde(default)]
    lfs: Option<LfsInfo>,
}

#[derive(Deserialize)]
struct LfsInfo {
    oid: String,
    size: u64,
}

/// The tree listing's URL for a model's revision.
pub fn tree_url(hub: &str, model: &ModelEntry) -> String {
    format!(
        "{}/api/models/{}/tree/{}?recursive=true",
        hub.trim_end_matches('/'),
        model.repo,
        model.revision
    )
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The files of a tree listing, by path (folders skipped; entries without a usable hash left out).
pub fn parse_tree(json: &str) -> Result<HashMap<String, HubFile>, ScoutError> {
    let entries: Vec<TreeEntry> = serde_json::from_str(json).map_err(|e| {
        ScoutError::new(
            ErrorCode::ModelUnavailable,
            format!("the hub's file listing is not what Scout expects ({e})"),
        )
    })?;
    let mut out = HashMap::new();
    for e in entries.into_iter().filter(|e| e.kind == "file") {
        let file = match (e.lfs, e.oid) {
            (Some(lfs), _) if is_hex(&lfs.oid, 64) => HubFile {
                size: lfs.size,
                expected: Expected::HubSha256(lfs.oid),
            },
            (None, Some(oid)) if is_hex(&oid, 40) => HubFile {
                size: e.size,
                expected: Expected::HubGitBlob(oid),
            },
            _ => continue,
        };
        out.insert(e.path, file);
    }
    Ok(out)
}

/// Size and expected hash of each of `model`'s files, in catalog order: the catalog's when it pins them, else the
/// hub's listing (`tree`), which must then list every file with a hash.
pub fn expected_files(
    model: &ModelEntry,
    tree: Option<&HashMap<String, HubFile>>,
) -> Result<Vec<(u64, Expected)>, ScoutError> {
    model
        .files
        .iter()
        .map(|f| match (&f.sha256, tree) {
            (Some(sha), _) if model.verified => Ok((f.size, Expected::Catalog(sha.clone()))),
            (_, Some(tree)) => tree.get(&f.path).map(|h| (h.size, h.expected.clone())).ok_or_else(|| {
                ScoutError::new(
                    ErrorCode::ModelUnavailable,
                    format!(
                        "the hub does not list {} in {}@{} with a hash, so Scout cannot check it",
                        f.path, model.repo, model.revision
                    ),
                )
            }),
            (_, None) => Err(ScoutError::new(
                ErrorCode::ModelUnavailable,
                format!("{} has no pinned hash and no hub listing", f.path),
            )),
        })
        .collect()
}

/// Whether `model` needs the hub's listing before it can be downloaded.
pub fn needs_hub_listing(model: &ModelEntry) -> bool {
    !model.verified || model.files.iter().any(|f| f.sha256.is_none())
}

/// Hashes a file as it arrives (in order) and checks it against what was expected.
pub enum Verifier {
    Sha256(Sha256),
    GitBlob(Sha1),
}

impl Verifier {
    pub fn new(expected: &Expected, size: u64) -> Self {
        match expected {
            Expected::Catalog(_) | Expected::HubSha256(_) => Verifier::Sha256(Sha256::new()),
            Expected::HubGitBlob(_) => {
                let mut h = Sha1::new();
                h.update(format!("blob {size}\0").as_bytes());
                Verifier::GitBlob(h)
            }
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Verifier::Sha256(h) => h.update(bytes),
            Verifier::GitBlob(h) => h.update(bytes),
        }
    }

    /// Ok when the bytes (`received` of them, `size` expected) hash to `expected`; else the message to show.
    pub fn finish(self, expected: &Expected, path: &str, received: u64, size: u64) -> Result<(), String> {
        let digest = match self {
            Verifier::Sha256(h) => super::hash::hex(&h.finalize()),
            Verifier::GitBlob(h) => super::hash::hex(&h.finalize()),
        };
        if digest == expected.hex() && received == size {
            return Ok(());
        }
        Err(format!(
            "{path} is corrupt: it hashes to {digest} ({received} bytes), not {} {} ({size} bytes); it was deleted",
            expected.what(),
            expected.hex()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::catalog::Catalog;

    const TREE: &str = r#"[
        {"type":"directory","oid":"1111111111111111111111111111111111111111","size":0,"path":"onnx"},
        {"type":"file","oid":"8d2c3b0c6a8d6f0e3b7c2f5b1f1e0d9c8b7a6f5e","size":12,"path":"config.json"},
        {"type":"file","oid":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":134,"path":"onnx/model.onnx",
         "lfs":{"oid":"cd098279aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":5000,"pointerSize":134}},
        {"type":"file","oid":"not-a-hash","size":3,"path":"odd.txt"}
    ]"#;

    #[test]
    fn the_listing_gives_lfs_sha256_or_git_blob_ids() {
        let t = parse_tree(TREE).unwrap();
        assert_eq!(t.len(), 2, "folders and entries without a usable hash are left out");
        assert_eq!(
            t["onnx/model.onnx"],
            HubFile {
                size: 5000,
                expected: Expected::HubSha256(format!("cd098279{}", "a".repeat(56)))
            }
        );
        assert_eq!(
            t["config.json"].expected,
            Expected::HubGitBlob("8d2c3b0c6a8d6f0e3b7c2f5b1f1e0d9c8b7a6f5e".into())
        );
        assert!(parse_tree("{\"error\":\"Repository not found\"}").is_err());
    }

    #[test]
    fn git_blob_ids_and_sha256_are_checked() {
        // `printf 'hello\n' | git hash-object --stdin`
        let git = Expected::HubGitBlob("ce013625030ba8dba906f756967f9e9ca394464a".into());
        let mut v = Verifier::new(&git, 6);
        v.update(b"hel");
        v.update(b"lo\n");
        assert!(v.finish(&git, "a.json", 6, 6).is_ok());
        let mut bad = Verifier::new(&git, 6);
        bad.update(b"hellO\n");
        let e = bad.finish(&git, "a.json", 6, 6).unwrap_err();
        assert!(e.contains("not the git blob id the hub declares"), "{e}");
        // sha256("abc")
        let sha = Expected::HubSha256("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into());
        let mut v = Verifier::new(&sha, 3);
        v.update(b"abc");
        assert!(v.finish(&sha, "m.onnx", 3, 3).is_ok());
        let mut short = Verifier::new(&sha, 4);
        short.update(b"abc");
        assert!(
            short.finish(&sha, "m.onnx", 3, 4).is_err(),
            "a short file fails even if a prefix matched"
        );
    }

    #[test]
    fn pinned_entries_use_the_catalog_and_others_the_hub() {
        let c = Catalog::builtin();
        let pinned = c.get("smollm2-135m-instruct-int8").unwrap();
        assert!(!needs_hub_listing(pinned));
        let e = expected_files(pinned, None).unwrap();
        assert!(e.iter().all(|(_, x)| matches!(x, Expected::Catalog(_))));

        let unpinned = c.models.iter().find(|m| !m.verified).unwrap();
        assert!(needs_hub_listing(unpinned));
        assert!(expected_files(unpinned, None).is_err());
        let tree: HashMap<String, HubFile> = unpinned
            .files
            .iter()
            .map(|f| {
                let h = HubFile {
                    size: f.size + 1,
                    expected: Expected::HubSha256("0".repeat(64)),
                };
                (f.path.clone(), h)
            })
            .collect();
        let e = expected_files(unpinned, Some(&tree)).unwrap();
        assert_eq!(e.len(), unpinned.files.len());
        assert!(
            e.iter()
                .zip(&unpinned.files)
                .all(|((size, x), f)| *size == f.size + 1 && x.by_hub())
        );
        let mut partial = tree.clone();
        partial.remove(&unpinned.files[0].path);
        let err = expected_files(unpinned, Some(&partial)).unwrap_err();
        assert!(err.message.contains("does not list"), "{}", err.message);
    }
}
