//! Score calibration: temperature softmax, temperature fitting (1-D NLL search) and the margin rule.

/// Softmax of `scores / temperature`, numerically stable. Empty input gives an empty vec.
pub fn softmax(scores: &[f32], temperature: f32) -> Vec<f32> {
    let t = if temperature.is_finite() && temperature > 0.0 {
        temperature
    } else {
        1.0
    };
    let max = scores
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return vec![1.0 / scores.len().max(1) as f32; scores.len()];
    }
    let exps: Vec<f32> = scores
        .iter()
        .map(|&s| if s.is_finite() { ((s - max) / t).exp() } else { 0.0 })
        .collect();
    let sum: f32 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

/// Mean negative log-likelihood of the gold labels under `softmax(scores / t)`.
pub fn nll(rows: &[Vec<f32>], gold: &[usize], temperature: f32) -> f32 {
    let mut total = 0.0f64;
    let mut n = 0usize;
    for (row, &g) in rows.iter().zip(gold) {
        if let Some(&p) = softmax(row, temperature).get(g) {
            total -= f64::from(p.max(1e-9)).ln();
            n += 1;
        }
    }
    if n == 0 { 0.0 } else { (total / n as f64) as f32 }
}

/// The temperature in `[1e-3, 10]` minimizing the NLL: a log-spaced grid, then golden-section refinement.
pub fn fit_temperature(rows: &[Vec<f32>], gold: &[usize]) -> f32 {
    let (lo, hi) = (1e-3f32.ln(), 10f32.ln());
    let steps = 60;
    let at = |i: usize| lo + (hi - lo) * i as f32 / steps as f32;
    let mut best = 0;
    let mut best_nll = f32::INFINITY;
    for i in 0..=steps {
        let v = nll(rows, gold, at(i).exp());
        if v < best_nll {
            best_nll = v;
            best = i;
        }
    }
    let (mut a, mut b) = (at(best.saturating_sub(1)), at((best + 1).min(steps)));
    let g = 0.618_034f32;
    for _ in 0..40 {
        let c = b - g * (b - a);
        let d = a + g * (b - a);
        if nll(rows, gold, c.exp()) < nll(rows, gold, d.exp()) {
            b = d;
        } else {
            a = c;
        }
    }
    ((a + b) / 2.0).exp()
}

/// Difference between the two largest probabilities (1.0 with a single label, 0.0 with none).
pub fn margin(probs: &[f32]) -> f32 {
    let mut top = [f32::NEG_INFINITY; 2];
    for &p in probs {
        if p > top[0] {
            top = [p, top[0]];
        } else if p > top[1] {
            top[1] = p;
        }
    }
    match probs.len() {
        0 => 0.0,
        1 => 1.0,
        _ => top[0] - top[1],
    }
}

/// Whether a prediction is too close to call.
pub fn is_uncertain(probs: &[f32], threshold: f32) -> bool {
    margin(probs) < threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_sharpens_with_low_temperature() {
        let s = [0.30, 0.25, 0.10];
        let warm = softmax(&s, 1.0);
        let cold = softmax(&s, 0.02);
        assert!((warm.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!((cold.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(cold[0] > warm[0]);
        assert!(warm[0] < 0.4);
        // 0.05 / 0.02 = 2.5 nats between the top two.
        assert!((cold[0] / cold[1] - 2.5f32.exp()).abs() < 1e-3);
        assert!(softmax(&[], 1.0).is_empty());
        let nan = softmax(&[f32::NAN, 1.0], 0.0);
        assert_eq!(nan, vec![0.0, 1.0]);
    }

    #[test]
    fn fitted_temperature_recovers_the_generating_one() {
        // Labels drawn deterministically with the frequencies a temperature of 0.05 implies.
        let row = vec![0.40f32, 0.35, 0.30];
        let p = softmax(&row, 0.05);
        let mut rows = Vec::new();
        let mut gold = Vec::new();
        for (label, &pi) in p.iter().enumerate() {
            for _ in 0..(pi * 1000.0).round() as usize {
                rows.push(row.clone());
                gold.push(label);
            }
        }
        let t = fit_temperature(&rows, &gold);
        assert!((t - 0.05).abs() < 0.003, "fitted {t}");
        assert!(nll(&rows, &gold, t) <= nll(&rows, &gold, 0.2));
    }

    #[test]
    fn margin_decides_uncertainty() {
        assert!((margin(&[0.5, 0.3, 0.2]) - 0.2).abs() < 1e-6);
        assert!((margin(&[0.2, 0.3, 0.5]) - 0.2).abs() < 1e-6);
        assert!(is_uncertain(&[0.41, 0.39, 0.2], 0.1));
        assert!(!is_uncertain(&[0.7, 0.2, 0.1], 0.1));
        assert!(!is_uncertain(&[1.0], 0.1));
        assert!(is_uncertain(&[], 0.1));
    }
}
