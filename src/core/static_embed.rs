//! A static token-embedding table distilled from the bundled MiniLM (the Model2Vec method): every vocabulary token
//! is run through the model once, alone, at build time; the vectors are centered, reduced by PCA and stored as int8.
//! A sentence's static vector is the weighted mean of its tokens' rows, the weight the token's inverse document
//! frequency among the texts embedded together (one page's sentences), so words every sentence shares count little.
//!
//! It costs microseconds per sentence and no model session: a candidate for choosing the few sentences worth the
//! real model's time. Measured in `examples/t1_budget`, it chose them only slightly better than the pipeline's cheap
//! score at the same size, so the pipeline does not use it.
//!
//! File layout (little-endian): magic `SCST`, u32 version (1), u32 rows, u32 dims, rows × f32 scale, then
//! rows × dims i8 (row `r`'s value `q` stands for `q × scale[r]`).

use std::collections::HashMap;

use super::error::{ErrorCode, ScoutError};

const MAGIC: &[u8; 4] = b"SCST";
const VERSION: u32 = 1;
const HEADER: usize = 16;

/// The distilled table: one int8 row per vocabulary id.
#[derive(Debug, Clone, PartialEq)]
pub struct StaticTable {
    rows: usize,
    dims: usize,
    scales: Vec<f32>,
    values: Vec<i8>,
}

fn corrupt(why: &str) -> ScoutError {
    ScoutError::new(
        ErrorCode::ModelUnavailable,
        format!("the static embedding table is not valid: {why}"),
    )
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

impl StaticTable {
    /// Quantize float rows (all of one length) to int8 with a scale per row.
    pub fn from_rows(rows: &[Vec<f32>]) -> Result<Self, ScoutError> {
        let dims = rows.first().map_or(0, Vec::len);
        if dims == 0 || rows.iter().any(|r| r.len() != dims) {
            return Err(corrupt("rows are empty or of different lengths"));
        }
        let mut scales = Vec::with_capacity(rows.len());
        let mut values = Vec::with_capacity(rows.len() * dims);
        for row in rows {
            let max = row.iter().filter(|x| x.is_finite()).fold(0.0f32, |m, x| m.max(x.abs()));
            let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
            scales.push(scale);
            values.extend(row.iter().map(|&x| {
                let q = if x.is_finite() { (x / scale).round() } else { 0.0 };
                q.clamp(-127.0, 127.0) as i8
            }));
        }
        Ok(StaticTable {
            rows: rows.len(),
            dims,
            scales,
            values,
        })
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ScoutError> {
        if bytes.get(..4) != Some(MAGIC.as_slice()) {
            return Err(corrupt("wrong magic"));
        }
        if u32_at(bytes, 4) != Some(VERSION) {
            return Err(corrupt("unknown version"));
        }
        let rows = u32_at(bytes, 8).ok_or_else(|| corrupt("short header"))? as usize;
        let dims = u32_at(bytes, 12).ok_or_else(|| corrupt("short header"))? as usize;
        let expected = rows
            .checked_mul(4 + dims)
            .and_then(|n| n.checked_add(HEADER))
            .ok_or_else(|| corrupt("sizes overflow"))?;
        if rows == 0 || dims == 0 || bytes.len() != expected {
            return Err(corrupt(&format!("{} bytes for {rows} rows of {dims}", bytes.len())));
        }
        let scale_end = HEADER + 4 * rows;
        let scales: Vec<f32> = bytes[HEADER..scale_end]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if scales.iter().any(|s| !s.is_finite()) {
            return Err(corrupt("a scale is not finite"));
        }
        let values = bytes[scale_end..].iter().map(|&b| b as i8).collect();
        Ok(StaticTable {
            rows,
            dims,
            scales,
            values,
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + self.rows * (4 + self.dims));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(self.rows as u32).to_le_bytes());
        out.extend_from_slice(&(self.dims as u32).to_le_bytes());
        for s in &self.scales {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out.extend(self.values.iter().map(|&v| v as u8));
        out
    }

    /// One vector per text (token ids without special tokens): the IDF-weighted mean of the tokens' rows, where the
    /// document frequency counts the texts given together. Ids outside the table are skipped; a text with no known
    /// id gets a zero vector (similar to nothing).
    pub fn embed(&self, texts: &[&[u32]]) -> Vec<Vec<f32>> {
        let mut df: HashMap<u32, u32> = HashMap::new();
        for ids in texts {
            let mut seen: Vec<u32> = ids.iter().copied().filter(|&i| (i as usize) < self.rows).collect();
            seen.sort_unstable();
            seen.dedup();
            for id in seen {
                *df.entry(id).or_default() += 1;
            }
        }
        let n = texts.len().max(1) as f32;
        texts
            .iter()
            .map(|ids| {
                let mut v = vec![0.0f32; self.dims];
                for &id in ids.iter() {
                    let r = id as usize;
                    if r >= self.rows {
                        continue;
                    }
                    let idf = (1.0 + n / df.get(&id).copied().unwrap_or(1) as f32).ln();
                    let w = idf * self.scales[r];
                    let row = &self.values[r * self.dims..(r + 1) * self.dims];
                    for (acc, &q) in v.iter_mut().zip(row) {
                        *acc += w * f32::from(q);
                    }
                }
                v
            })
            .collect()
    }
}

/// Center `vectors` and project them on their `dims` principal components (largest variance first): the table's
/// reduction. Eigenvectors of the covariance by cyclic Jacobi rotations (exact for a symmetric matrix, no
/// dependencies).
pub fn pca_reduce(vectors: &[Vec<f32>], dims: usize) -> Result<Vec<Vec<f32>>, ScoutError> {
    let d = vectors.first().map_or(0, Vec::len);
    if d == 0 || vectors.iter().any(|v| v.len() != d) {
        return Err(corrupt("vectors are empty or of different lengths"));
    }
    let dims = dims.min(d);
    let n = vectors.len() as f64;
    let mut mean = vec![0.0f64; d];
    for v in vectors {
        for (m, &x) in mean.iter_mut().zip(v) {
            *m += f64::from(x) / n;
        }
    }
    let mut cov = vec![0.0f64; d * d];
    let mut centered = vec![0.0f64; d];
    for v in vectors {
        for (c, (&x, m)) in centered.iter_mut().zip(v.iter().zip(&mean)) {
            *c = f64::from(x) - m;
        }
        for i in 0..d {
            let ci = centered[i];
            for j in i..d {
                cov[i * d + j] += ci * centered[j];
            }
        }
    }
    for i in 0..d {
        for j in 0..i {
            cov[i * d + j] = cov[j * d + i];
        }
    }
    let (values, vecs) = jacobi_eigen(cov, d);
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let components: Vec<Vec<f64>> = order[..dims]
        .iter()
        .map(|&k| (0..d).map(|i| vecs[i * d + k]).collect())
        .collect();
    Ok(vectors
        .iter()
        .map(|v| {
            components
                .iter()
                .map(|c| {
                    c.iter()
                        .zip(v.iter().zip(&mean))
                        .map(|(w, (&x, m))| w * (f64::from(x) - m))
                        .sum::<f64>() as f32
                })
                .collect()
        })
        .collect())
}

/// Eigenvalues and eigenvectors (columns of the returned row-major matrix) of a symmetric `d × d` matrix.
fn jacobi_eigen(mut a: Vec<f64>, d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0f64; d * d];
    for i in 0..d {
        v[i * d + i] = 1.0;
    }
    for _sweep in 0..60 {
        let off: f64 = (0..d)
            .flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * d + j] * a[i * d + j])
            .sum();
        let total: f64 = a.iter().map(|x| x * x).sum();
        if off <= 1e-22 * total.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = a[p * d + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..d {
                    let akp = a[k * d + p];
                    let akq = a[k * d + q];
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for k in 0..d {
                    let apk = a[p * d + k];
                    let aqk = a[q * d + k];
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                for k in 0..d {
                    let vkp = v[k * d + p];
                    let vkq = v[k * d + q];
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..d).map(|i| a[i * d + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_and_corruption_is_refused() {
        let t = StaticTable::from_rows(&[vec![1.0, -0.5, 0.0], vec![0.0, 0.0, 0.0], vec![0.25, 2.0, -2.0]]).unwrap();
        let bytes = t.to_bytes();
        assert_eq!(StaticTable::from_bytes(&bytes).unwrap(), t);
        assert!(StaticTable::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut wrong = bytes.clone();
        wrong[0] = b'X';
        assert!(StaticTable::from_bytes(&wrong).is_err());
        let mut nan = bytes;
        nan[HEADER..HEADER + 4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(StaticTable::from_bytes(&nan).is_err());
        assert!(StaticTable::from_rows(&[vec![1.0], vec![1.0, 2.0]]).is_err());
    }

    #[test]
    fn quantization_keeps_rows_close() {
        let rows = vec![vec![0.3, -1.2, 0.05, 0.9], vec![10.0, -20.0, 5.0, 0.0]];
        let t = StaticTable::from_rows(&rows).unwrap();
        for (r, row) in rows.iter().enumerate() {
            let v = t.embed(&[&[r as u32]]);
            // One text: idf is ln(2) for every token, so the vector is the row times ln(2).
            for (a, b) in v[0].iter().zip(row) {
                assert!((a / 2f32.ln() - b).abs() <= row.iter().fold(0.0f32, |m, x| m.max(x.abs())) / 127.0 + 1e-6);
            }
        }
    }

    #[test]
    fn shared_tokens_weigh_less_than_distinctive_ones() {
        // Token 0 is in every text, token 1 only in the first: the first text points mostly along row 1.
        let t = StaticTable::from_rows(&[vec![1.0, 0.0], vec![0.0, 1.0], vec![0.5, 0.5]]).unwrap();
        let v = t.embed(&[&[0, 1], &[0, 2], &[0], &[0, 99]]);
        assert!(v[0][1] > v[0][0], "{:?}", v[0]);
        assert_eq!(v[3], v[2], "an unknown id is skipped");
        assert!(t.embed(&[&[]])[0].iter().all(|&x| x == 0.0));
    }

    #[test]
    fn pca_finds_the_direction_of_largest_variance() {
        // Points along (1, 1, 0) with small noise on z: the first component is ±(1, 1, 0)/√2.
        let pts: Vec<Vec<f32>> = (0..50)
            .map(|i| {
                let t = i as f32 - 25.0;
                vec![t + 3.0, t - 1.0, 0.01 * ((i * 7) % 5) as f32]
            })
            .collect();
        let reduced = pca_reduce(&pts, 1).unwrap();
        // Projection of a point on the component equals its centered coordinate along (1,1,0)/√2 (up to sign).
        let s = (reduced[30][0] - reduced[20][0]) / (10.0 * 2f32.sqrt());
        assert!((s.abs() - 1.0).abs() < 1e-3, "{s}");
        assert!(reduced.iter().map(|r| r[0]).sum::<f32>().abs() < 1e-3, "centered");
    }
}
