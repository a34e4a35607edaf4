//! Choosing the next token from the logits: greedy, or temperature + top-k + top-p sampling with a seeded RNG,
//! after a repetition penalty. The order is the one Hugging Face's `generate` uses, so settings mean the same.

use serde::{Deserialize, Serialize};

/// How to pick tokens. `temperature == 0` is greedy decoding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SamplingParams {
    pub temperature: f32,
    /// Keep only the k most likely tokens (0: all).
    pub top_k: usize,
    /// Keep the smallest set of tokens whose probability reaches p (1: all).
    pub top_p: f32,
    /// Above 1, makes tokens already generated less likely (CTRL's penalty: positive logits divided, negative
    /// multiplied). Applied to generated tokens only: a summary *should* reuse the page's words.
    pub repetition_penalty: f32,
    pub seed: u64,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            temperature: 0.0,
            top_k: 0,
            top_p: 1.0,
            repetition_penalty: 1.0,
            seed: 0,
        }
    }
}

/// SplitMix64: small, fast, and the same sequence on every platform for a seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub struct Sampler {
    params: SamplingParams,
    rng: Rng,
}

/// Index of the largest value; the first one on ties (as `argmax` does elsewhere), NaN never wins.
pub fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] || values[best].is_nan() {
            best = i;
        }
    }
    best
}

impl Sampler {
    pub fn new(params: SamplingParams) -> Self {
        let rng = Rng::new(params.seed);
        Sampler { params, rng }
    }

    /// The next token given the last position's logits and the tokens generated so far. `logits` is scratch.
    pub fn pick(&mut self, logits: &mut [f32], generated: &[u32]) -> u32 {
        let p = &self.params;
        if p.repetition_penalty > 0.0 && p.repetition_penalty != 1.0 {
            for &t in generated {
                if let Some(l) = logits.get_mut(t as usize) {
                    *l = if *l > 0.0 {
                        *l / p.repetition_penalty
                    } else {
                        *l * p.repetition_penalty
                    };
                }
            }
        }
        if p.temperature <= 0.0 {
            return argmax(logits) as u32;
        }
        // Candidates best first; top-k first bounds the sort.
        let mut idx: Vec<usize> = (0..logits.len()).filter(|&i| logits[i].is_finite()).collect();
        if idx.is_empty() {
            return argmax(logits) as u32;
        }
        let by_logit = |a: &usize, b: &usize| logits[*b].total_cmp(&logits[*a]).then(a.cmp(b));
        if p.top_k > 0 && p.top_k < idx.len() {
            idx.select_nth_unstable_by(p.top_k - 1, by_logit);
            idx.truncate(p.top_k);
        }
        idx.sort_unstable_by(by_logit);
        let max = logits[idx[0]] as f64;
        let t = p.temperature as f64;
        let mut probs: Vec<f64> = idx.iter().map(|&i| ((logits[i] as f64 - max) / t).exp()).collect();
        let total: f64 = probs.iter().sum();
        probs.iter_mut().for_each(|q| *q /= total);
        if p.top_p < 1.0 {
            let mut acc = 0.0;
            let keep = probs
                .iter()
                .position(|q| {
                    acc += q;
                    acc >= p.top_p as f64
                })
                .map_or(probs.len(), |i| i + 1);
            probs.truncate(keep);
            idx.truncate(keep);
        }
        let total: f64 = probs.iter().sum();
        let mut r = self.rng.next_f64() * total;
        for (q, &i) in probs.iter().zip(&idx) {
            r -= q;
            if r < 0.0 {
                return i as u32;
            }
        }
        idx[idx.len() - 1] as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logits() -> Vec<f32> {
        vec![0.1, 2.0, 1.9, -1.0, 0.5, 1.5]
    }

    #[test]
    fn greedy_is_argmax_with_first_on_ties() {
        let mut s = Sampler::new(SamplingParams::default());
        assert_eq!(s.pick(&mut logits(), &[]), 1);
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), 1);
        assert_eq!(argmax(&[f32::NAN, 0.0]), 1);
    }

    #[test]
    fn repetition_penalty_demotes_generated_tokens() {
        let mut s = Sampler::new(SamplingParams {
            repetition_penalty: 1.2,
            ..Default::default()
        });
        // 2.0 / 1.2 = 1.67 < 1.9: token 2 wins once token 1 was generated.
        assert_eq!(s.pick(&mut logits(), &[1]), 2);
        // A negative logit is multiplied, so it gets less likely too.
        let mut l = vec![-1.0, -1.1];
        assert_eq!(
            Sampler::new(SamplingParams {
                repetition_penalty: 1.2,
                ..Default::default()
            })
            .pick(&mut l, &[0]),
            1
        );
    }

    #[test]
    fn sampling_is_reproducible_by_seed_and_varies_across_seeds() {
        let params = |seed| SamplingParams {
            temperature: 1.0,
            seed,
            ..Default::default()
        };
        let run = |seed| {
            let mut s = Sampler::new(params(seed));
            (0..64).map(|_| s.pick(&mut logits(), &[])).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn top_k_and_top_p_restrict_the_candidates() {
        let mut k = Sampler::new(SamplingParams {
            temperature: 5.0,
            top_k: 2,
            seed: 1,
            ..Default::default()
        });
        let picks: std::collections::BTreeSet<u32> = (0..200).map(|_| k.pick(&mut logits(), &[])).collect();
        assert_eq!(picks, [1, 2].into_iter().collect());
        // At temperature 1 the best token holds 0.34 and the two best 0.65: top_p 0.5 keeps exactly those two.
        let mut p = Sampler::new(SamplingParams {
            temperature: 1.0,
            top_p: 0.5,
            seed: 1,
            ..Default::default()
        });
        let picks: std::collections::BTreeSet<u32> = (0..200).map(|_| p.pick(&mut logits(), &[])).collect();
        assert_eq!(picks, [1, 2].into_iter().collect());
    }

    #[test]
    fn frequencies_follow_the_softmax() {
        let mut s = Sampler::new(SamplingParams {
            temperature: 1.0,
            seed: 3,
            ..Default::default()
        });
        let n = 20_000;
        let ones = (0..n).filter(|_| s.pick(&mut [0.0, (3f32).ln()], &[]) == 1).count();
        let share = ones as f64 / n as f64;
        assert!((share - 0.75).abs() < 0.02, "{share}");
    }
}
