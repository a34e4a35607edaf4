//! The core compiled to wasm32 and run under node (wasm-bindgen-test): the parts of the web layer that need no
//! browser behave as natively — protocol parsing, tokenization, pooling, extraction.
//! Run by `cargo xtask test` as `cargo test --target wasm32-unknown-unknown --test wasm_node`.
#![cfg(target_arch = "wasm32")]

use scout::core::embed::{EmbedTokenizer, mean_pool_normalize, pad_batch};
use scout::core::error::ErrorCode;
use scout::core::extract::{ExtractOptions, extract};
use scout::core::protocol::{Reply, Request, parse_envelope};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen(module = "fs")]
extern "C" {
    #[wasm_bindgen(js_name = readFileSync)]
    fn read_file_sync(path: &str) -> Vec<u8>;
}

#[wasm_bindgen_test]
fn protocol_parses_and_replies_on_wasm() {
    let env = parse_envelope(r#"{"v":1,"request":{"type":"embed","texts":["a"]}}"#).unwrap();
    assert!(matches!(env.request, Request::Embed { .. }));
    let err = parse_envelope(r#"{"v":2,"request":{"type":"status"}}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::VersionMismatch);
    let json = Reply::err(err).to_json();
    assert!(json.starts_with(r#"{"ok":false"#), "{json}");
}

#[wasm_bindgen_test]
fn tokenizer_ids_match_the_bert_vocabulary_on_wasm() {
    // The path is given at compile time by `cargo xtask test` (the file is fetched by `cargo xtask setup`).
    let bytes = read_file_sync(env!("SCOUT_TOKENIZER_PATH"));
    let tok = EmbedTokenizer::from_bytes(&bytes, 256).unwrap();
    let ids = tok.encode(&["Hello world", "unaffable"]).unwrap();
    assert_eq!(ids[0], vec![101, 7592, 2088, 102]); // [CLS] hello world [SEP]
    assert_eq!(ids[1].first(), Some(&101));
    assert!(ids[1].len() > 3, "a rare word splits into word pieces");
    let long = "word ".repeat(1000);
    assert_eq!(tok.encode(&[long.as_str()]).unwrap()[0].len(), 256, "truncated at 256");
    let batch = pad_batch(&[&ids[0], &ids[1]]);
    let hidden = vec![1.0f32; batch.batch * batch.seq * 4];
    let v = mean_pool_normalize(&hidden, &batch, 4).unwrap();
    assert!((v[0].iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-6);
}

#[wasm_bindgen_test]
fn extraction_runs_on_wasm() {
    let html = include_str!("../assets/sample/article.html");
    let a = extract(
        html,
        &ExtractOptions {
            url: Some("http://127.0.0.1/a".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(a.title, "How a small town rebuilt its library around repair");
    assert!(a.readerable);
    assert!(a.text.contains("Riverton Public Library"));
    assert!(!a.text.contains("Related stories"));
    assert!(!a.passages.is_empty());
}
