//! Native timing of the article extractor over the Readability corpus.
//!
//! ```text
//! cargo run --release --example extract_bench -- [RUNS] [--dump DIR] [--only NAME]
//! ```
//!
//! For every `tests/corpus/readability/*/source.html` (or
//! `$SCOUT_CORPUS_DIR`), runs `extract` RUNS times (default 20) and prints
//! the median per page, the sum of the per-page medians, and a per-phase
//! breakdown (median per page and phase, summed over pages). `--dump DIR`
//! writes each page's article as JSON for before/after comparisons.

use std::path::PathBuf;
use std::time::Instant;

use scout::core::extract::{ExtractOptions, extract_phased};

fn corpus_dir() -> PathBuf {
    if let Ok(d) = std::env::var("SCOUT_CORPUS_DIR") {
        return PathBuf::from(d);
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/readability"))
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() {
    let mut runs = 20usize;
    let mut dump: Option<PathBuf> = None;
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--dump" => dump = args.next().map(PathBuf::from),
            "--only" => only = args.next(),
            n => runs = n.parse().expect("RUNS must be a number"),
        }
    }
    let mut pages: Vec<(String, String)> = std::fs::read_dir(corpus_dir())
        .expect("corpus dir")
        .filter_map(|e| e.ok())
        .filter(|e| only.as_deref().is_none_or(|o| e.file_name().to_string_lossy() == o))
        .filter_map(|e| {
            let html = std::fs::read_to_string(e.path().join("source.html")).ok()?;
            Some((e.file_name().to_string_lossy().into_owned(), html))
        })
        .collect();
    pages.sort();
    if let Some(d) = &dump {
        std::fs::create_dir_all(d).expect("dump dir");
    }

    let opts = ExtractOptions {
        url: Some("http://fakehost/test/page.html".into()),
        ..Default::default()
    };
    let mut phase_names: Vec<&'static str> = Vec::new();
    let mut phase_sums: Vec<f64> = Vec::new();
    let mut per_page: Vec<(f64, &str)> = Vec::new();
    for (name, html) in &pages {
        let mut totals = Vec::with_capacity(runs);
        let mut phases: Vec<Vec<f64>> = Vec::new();
        for r in 0..runs.max(1) {
            let mut marks: Vec<(&'static str, Instant)> = Vec::with_capacity(8);
            let t0 = Instant::now();
            let out = extract_phased(html, &opts, &mut |p| marks.push((p, Instant::now())));
            let total = t0.elapsed().as_secs_f64() * 1e3;
            totals.push(total);
            let mut prev = t0;
            for (i, (p, t)) in marks.iter().enumerate() {
                if phases.len() <= i {
                    phases.push(Vec::new());
                }
                if phase_names.len() <= i {
                    phase_names.push(p);
                    phase_sums.push(0.0);
                }
                phases[i].push((*t - prev).as_secs_f64() * 1e3);
                prev = *t;
            }
            if r == 0
                && let Some(d) = &dump
            {
                let json = match &out {
                    Ok(a) => serde_json::to_string_pretty(a).unwrap_or_default(),
                    Err(e) => format!("error: {e}"),
                };
                std::fs::write(d.join(format!("{name}.json")), json).expect("dump write");
            }
        }
        for (i, mut v) in phases.into_iter().enumerate() {
            phase_sums[i] += median(&mut v);
        }
        per_page.push((median(&mut totals), name));
    }
    let mut meds: Vec<f64> = per_page.iter().map(|p| p.0).collect();
    let total: f64 = meds.iter().sum();
    per_page.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("slowest pages (median ms):");
    for (t, n) in per_page.iter().take(8) {
        println!("  {t:8.3}  {n}");
    }
    println!("phases (sum over pages of per-page medians, ms):");
    for (n, s) in phase_names.iter().zip(&phase_sums) {
        println!("  {n:<10} {s:9.2}  ({:4.1} %)", 100.0 * s / total.max(1e-9));
    }
    println!(
        "pages {}  runs {}  median/page {:.3} ms  mean/page {:.3} ms  total {:.1} ms",
        pages.len(),
        runs,
        median(&mut meds),
        total / pages.len().max(1) as f64,
        total
    );
}
