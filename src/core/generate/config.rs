//! A decoder's shape and stop tokens, read from the hub files `config.json` and `generation_config.json`.

use serde_json::Value;

use crate::core::error::{ErrorCode, ScoutError};

/// What the runtime must know to feed a decoder with past key/values.
#[derive(Debug, Clone, PartialEq)]
pub struct DecoderConfig {
    pub layers: usize,
    /// Width of the residual stream.
    pub hidden: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub vocab: usize,
    /// Longest sequence (prompt + generated) the model was trained for.
    pub max_positions: usize,
    pub bos: Option<u32>,
    /// Any of these ends generation.
    pub eos: Vec<u32>,
    /// RoPE's base, its `rope_scaling` object as written (null when none) and RMSNorm's epsilon: what Scout's own
    /// decoder needs beyond the shapes (ONNX Runtime reads them from the graph).
    pub rope_theta: f64,
    pub rope_scaling: Value,
    pub rms_eps: f32,
}

fn bad(file: &str, what: &str) -> ScoutError {
    ScoutError::new(ErrorCode::ModelUnavailable, format!("{file}: {what}"))
}

/// A token id or a list of them (both forms occur in hub configs).
fn ids(v: &Value) -> Vec<u32> {
    match v {
        Value::Number(n) => n.as_u64().map(|n| vec![n as u32]).unwrap_or_default(),
        Value::Array(a) => a.iter().filter_map(Value::as_u64).map(|n| n as u32).collect(),
        _ => Vec::new(),
    }
}

impl DecoderConfig {
    /// Parse `config.json` and, when present, `generation_config.json` (whose stop tokens win: chat models often
    /// list more there, e.g. Llama 3's end-of-turn token).
    pub fn from_json(config: &str, generation: Option<&str>) -> Result<Self, ScoutError> {
        let c: Value = serde_json::from_str(config).map_err(|e| bad("config.json", &e.to_string()))?;
        let g: Value = match generation {
            Some(g) => serde_json::from_str(g).map_err(|e| bad("generation_config.json", &e.to_string()))?,
            None => Value::Null,
        };
        let num = |k: &str| c[k].as_u64().map(|n| n as usize);
        let need = |k: &str| {
            num(k)
                .filter(|&n| n > 0)
                .ok_or_else(|| bad("config.json", &format!("no {k}")))
        };
        let heads = need("num_attention_heads")?;
        let hidden = need("hidden_size")?;
        let head_dim = num("head_dim").filter(|&n| n > 0).unwrap_or(hidden / heads);
        let mut eos = ids(&g["eos_token_id"]);
        if eos.is_empty() {
            eos = ids(&c["eos_token_id"]);
        }
        if eos.is_empty() {
            return Err(bad("config.json", "no eos_token_id"));
        }
        let bos = ids(&g["bos_token_id"])
            .first()
            .or(ids(&c["bos_token_id"]).first())
            .copied();
        Ok(DecoderConfig {
            layers: need("num_hidden_layers")?,
            hidden,
            heads,
            kv_heads: num("num_key_value_heads").filter(|&n| n > 0).unwrap_or(heads),
            head_dim,
            vocab: need("vocab_size")?,
            max_positions: num("max_position_embeddings").unwrap_or(2048),
            bos,
            eos,
            rope_theta: c["rope_theta"].as_f64().unwrap_or(10_000.0),
            rope_scaling: c["rope_scaling"].clone(),
            rms_eps: c["rms_norm_eps"].as_f64().unwrap_or(1e-6) as f32,
        })
    }

    /// Names of the past inputs and present outputs of layer `i`, in the optimum / Transformers.js layout.
    pub fn past_names(i: usize) -> [String; 2] {
        [format!("past_key_values.{i}.key"), format!("past_key_values.{i}.value")]
    }

    pub fn present_names(i: usize) -> [String; 2] {
        [format!("present.{i}.key"), format!("present.{i}.value")]
    }

    /// Floats in one layer's key (or value) cache per cached token.
    pub fn kv_width(&self) -> usize {
        self.kv_heads * self.head_dim
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_smollm2_shape() {
        let config = r#"{"num_hidden_layers":30,"num_attention_heads":9,"num_key_value_heads":3,"head_dim":64,
            "hidden_size":576,"vocab_size":49152,"max_position_embeddings":8192,"bos_token_id":1,"eos_token_id":2}"#;
        let c = DecoderConfig::from_json(config, Some(r#"{"eos_token_id":[2,0]}"#)).unwrap();
        assert_eq!(
            (c.layers, c.heads, c.kv_heads, c.head_dim, c.vocab),
            (30, 9, 3, 64, 49152)
        );
        assert_eq!(c.eos, vec![2, 0], "generation_config's list wins");
        assert_eq!(c.bos, Some(1));
        assert_eq!(c.kv_width(), 192);
    }

    #[test]
    fn head_dim_defaults_to_hidden_over_heads_and_missing_fields_are_errors() {
        let c = DecoderConfig::from_json(
            r#"{"num_hidden_layers":2,"num_attention_heads":4,"hidden_size":64,"vocab_size":10,"eos_token_id":[3]}"#,
            None,
        )
        .unwrap();
        assert_eq!((c.head_dim, c.kv_heads), (16, 4));
        let e = DecoderConfig::from_json(r#"{"num_attention_heads":4}"#, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::ModelUnavailable);
        assert!(
            e.message.contains("hidden_size") || e.message.contains("num_hidden_layers"),
            "{}",
            e.message
        );
    }
}
