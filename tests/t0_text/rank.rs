use scout::core::text::{LexicalSimilarity, MatrixSimilarity, Similarity, centroid_scores, mmr_select, textrank};

#[test]
fn textrank_toy_matrix_hub_wins() {
    // Item 0 is similar to everyone; 1..3 only to 0; 4 is isolated.
    let m = vec![
        vec![1.0, 0.8, 0.7, 0.9, 0.0],
        vec![0.8, 1.0, 0.0, 0.0, 0.0],
        vec![0.7, 0.0, 1.0, 0.0, 0.0],
        vec![0.9, 0.0, 0.0, 1.0, 0.0],
        vec![0.0, 0.0, 0.0, 0.0, 1.0],
    ];
    let sim = MatrixSimilarity::from_matrix(&m);
    let r = textrank(&sim, 0.85, 100);
    assert_eq!(r.len(), 5);
    assert!((r.iter().sum::<f32>() - 1.0).abs() < 1e-3);
    for i in 1..5 {
        assert!(r[0] > r[i], "{r:?}");
    }
    assert!(r[3] > r[2], "stronger edge ranks higher: {r:?}");
    assert!(r[4] < r[2], "isolated node ranks lowest: {r:?}");
    // Deterministic.
    assert_eq!(r, textrank(&sim, 0.85, 100));
    let c = centroid_scores(&sim);
    assert!(c[0] > c[1] && c[4] == 0.0);
}

#[test]
fn matrix_similarity_from_embeddings() {
    let v = vec![
        vec![1.0, 0.0, 0.0],
        vec![10.0, 0.0, 0.0],
        vec![0.0, 2.0, 0.0],
        vec![1.0, 1.0, 0.0],
        vec![0.0, 0.0, 0.0],
        vec![f32::NAN, 1.0, 0.0],
    ];
    let s = MatrixSimilarity::from_embeddings(&v);
    assert_eq!(s.len(), 6);
    assert!((s.sim(0, 1) - 1.0).abs() < 1e-6);
    assert!(s.sim(0, 2).abs() < 1e-6);
    assert!((s.sim(0, 3) - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-5);
    assert_eq!(s.sim(0, 4), 0.0);
    assert!((s.sim(2, 5) - 1.0).abs() < 1e-6);
    assert_eq!(s.sim(0, 100), 0.0);
    let r = textrank(&s, 0.85, 50);
    assert!(r.iter().all(|x| x.is_finite()));
}

#[test]
fn mmr_never_picks_near_duplicates() {
    let sents = [
        "The council approved the new bridge over the river.",
        "The council approved the new bridge over the river!",
        "The city council approved a new bridge over the river.",
        "Construction will start next spring and cost 40 million dollars.",
        "Residents near the river worry about traffic during construction.",
        "The mayor praised the decision in a short speech.",
    ];
    let sim = LexicalSimilarity::new(&sents);
    let scores = [1.0, 0.99, 0.98, 0.5, 0.4, 0.3];
    let picked = mmr_select(&scores, &sim, 4, 0.7);
    assert_eq!(picked.len(), 4);
    assert_eq!(picked[0], 0);
    for (a, &i) in picked.iter().enumerate() {
        for &j in &picked[a + 1..] {
            assert!(sim.sim(i, j) < 0.8, "picked near-duplicates {i} and {j}");
        }
    }
    assert!(!picked.contains(&1) && !picked.contains(&2));
    // k larger than available distinct items: no duplicates, fewer results.
    let all = mmr_select(&scores, &sim, 10, 0.7);
    let mut dedup = all.clone();
    dedup.sort_unstable();
    dedup.dedup();
    assert_eq!(dedup.len(), all.len());
    assert!(all.len() <= 4);
    // Degenerate inputs.
    assert!(mmr_select(&[], &sim, 3, 0.7).is_empty());
    assert!(mmr_select(&scores, &sim, 0, 0.7).is_empty());
    assert_eq!(mmr_select(&[f32::NAN; 6], &sim, 2, f32::NAN).len(), 2);
}

#[test]
fn mmr_lambda_one_is_pure_relevance() {
    let v: Vec<Vec<f32>> = (0..5).map(|i| vec![1.0, i as f32 * 10.0]).collect();
    let sim = MatrixSimilarity::from_embeddings(&v);
    let scores = [0.1, 0.9, 0.5, 0.7, 0.3];
    let p = mmr_select(&scores, &sim, 2, 1.0);
    assert_eq!(p[0], 1);
}
