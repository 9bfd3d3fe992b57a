//! Coverage (便利圈): how long people walk to the nearest service point, and where a new
//! point would bring the most of them within reach.
//!
//! Walking time is either a straight-line estimate (great-circle distance × a detour factor ÷
//! a walking speed; defaults 1.3 and 4.8 km/h) or the shortest path on a walking network
//! imported from OpenStreetMap, found by one multi-source Dijkstra pass from every point.
//! Residents (clients, or cells of a population grid) reach the network at its nearest node,
//! found through a grid index. New points are chosen by maximal covering: exact enumeration
//! when the number of combinations is small, otherwise the greedy rule, which covers at least
//! (1 − 1/e) ≈ 63 % of the best possible weight because coverage is monotone and submodular.

use crate::error::{FieldError, Result, Validator};
use crate::ids::{OrgId, SiteId};
use crate::DomainError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use utoipa::ToSchema;

/// The vulnerable categories counted separately, by their default category codes.
pub const VULNERABLE: [&str; 4] = ["elderly_alone", "disabled", "low_income", "child_in_difficulty"];
/// The default detour factor: streets are rarely straight.
pub const DEFAULT_DETOUR: f64 = 1.3;
/// The default walking speed in km/h (an older adult's comfortable pace).
pub const DEFAULT_WALK_KMH: f64 = 4.8;
/// Residents count as served within this many minutes by default.
pub const DEFAULT_TARGET_MINUTES: i32 = 15;
/// A person further than this from the walking network is timed in a straight line.
pub const MAX_SNAP_KM: f64 = 0.5;
/// Map cells with fewer people are hidden from callers who may not see clients.
pub const SMALL_CELL: u64 = 5;
/// The H3 resolution of the map's hexagons (about 0.1 km² each).
pub const HEX_RESOLUTION: h3o::Resolution = h3o::Resolution::Nine;
/// Exact site choice is tried when there are at most this many combinations.
pub const EXACT_LIMIT: u128 = 20_000;
/// The most rows a population grid may have.
pub const MAX_GRID_ROWS: usize = 200_000;

const EARTH_KM: f64 = 6371.0;

/// Great-circle distance in kilometres.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * EARTH_KM * h.sqrt().asin()
}

/// The agency's coverage settings (the defaults until saved).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoverageSettings {
    /// Walking distance ÷ straight-line distance (1.0–3.0, default 1.3).
    pub detour_factor: f64,
    /// Walking speed in km/h (1.0–8.0, default 4.8).
    pub walk_kmh: f64,
    /// Within this many minutes a person counts as served; suggestions aim at it (5–60).
    pub target_minutes: i32,
    /// Extra weight of a person in each vulnerable category when choosing sites (0–10 each):
    /// a person weighs 1 plus the weights of their categories.
    pub weight_elderly_alone: f64,
    pub weight_disabled: f64,
    pub weight_low_income: f64,
    pub weight_child_in_difficulty: f64,
    pub version: i64,
}

impl Default for CoverageSettings {
    fn default() -> Self {
        Self {
            detour_factor: DEFAULT_DETOUR,
            walk_kmh: DEFAULT_WALK_KMH,
            target_minutes: DEFAULT_TARGET_MINUTES,
            weight_elderly_alone: 1.0,
            weight_disabled: 1.0,
            weight_low_income: 0.5,
            weight_child_in_difficulty: 1.0,
            version: 0,
        }
    }
}

impl CoverageSettings {
    pub fn walk(&self) -> Walk {
        Walk { detour: self.detour_factor, kmh: self.walk_kmh }
    }

    pub fn weights(&self) -> [f64; 4] {
        [self.weight_elderly_alone, self.weight_disabled, self.weight_low_income, self.weight_child_in_difficulty]
    }
}

/// Settings as a form or the API sends them (numbers as text, so a typo gets a field message).
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    pub detour_factor: String,
    pub walk_kmh: String,
    pub target_minutes: String,
    #[serde(default)]
    pub weight_elderly_alone: String,
    #[serde(default)]
    pub weight_disabled: String,
    #[serde(default)]
    pub weight_low_income: String,
    #[serde(default)]
    pub weight_child_in_difficulty: String,
    /// The version read.
    pub version: i64,
}

fn number(v: &mut Validator, field: &str, raw: &str, min: f64, max: f64, default: f64) -> f64 {
    let raw = raw.trim();
    if raw.is_empty() {
        return default;
    }
    match raw.parse::<f64>() {
        Ok(x) if x.is_finite() && (min..=max).contains(&x) => x,
        _ => {
            v.push(FieldError::new(field, "out-of-range").with("min", min).with("max", max));
            default
        }
    }
}

impl SettingsInput {
    /// Checks the ranges; blank weights are 0. The result carries the version read.
    pub fn validate(&self) -> Result<CoverageSettings> {
        let mut v = Validator::new();
        let d = CoverageSettings::default();
        let detour_factor = number(&mut v, "detour_factor", &self.detour_factor, 1.0, 3.0, d.detour_factor);
        let walk_kmh = number(&mut v, "walk_kmh", &self.walk_kmh, 1.0, 8.0, d.walk_kmh);
        let target = number(&mut v, "target_minutes", &self.target_minutes, 5.0, 60.0, f64::from(d.target_minutes));
        if target.fract() != 0.0 {
            v.push(FieldError::new("target_minutes", "out-of-range").with("min", 5).with("max", 60));
        }
        let w = |v: &mut Validator, f: &str, raw: &str| number(v, f, raw, 0.0, 10.0, 0.0);
        let s = CoverageSettings {
            detour_factor,
            walk_kmh,
            target_minutes: target as i32,
            weight_elderly_alone: w(&mut v, "weight_elderly_alone", &self.weight_elderly_alone),
            weight_disabled: w(&mut v, "weight_disabled", &self.weight_disabled),
            weight_low_income: w(&mut v, "weight_low_income", &self.weight_low_income),
            weight_child_in_difficulty: w(&mut v, "weight_child_in_difficulty", &self.weight_child_in_difficulty),
            version: self.version,
        };
        v.finish()?;
        Ok(s)
    }
}

impl From<&CoverageSettings> for SettingsInput {
    fn from(s: &CoverageSettings) -> Self {
        Self {
            detour_factor: s.detour_factor.to_string(),
            walk_kmh: s.walk_kmh.to_string(),
            target_minutes: s.target_minutes.to_string(),
            weight_elderly_alone: s.weight_elderly_alone.to_string(),
            weight_disabled: s.weight_disabled.to_string(),
            weight_low_income: s.weight_low_income.to_string(),
            weight_child_in_difficulty: s.weight_child_in_difficulty.to_string(),
            version: s.version,
        }
    }
}

/// How walking time is estimated without a network.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Walk {
    pub detour: f64,
    pub kmh: f64,
}

impl Walk {
    /// Minutes to walk a straight-line distance.
    pub fn minutes(&self, straight_km: f64) -> f64 {
        straight_km * self.detour / self.kmh * 60.0
    }

    /// Minutes to walk a distance measured along the network (no detour).
    pub fn network_minutes(&self, km: f64) -> f64 {
        km / self.kmh * 60.0
    }

    /// The straight-line distance that takes `minutes`.
    pub fn reach_km(&self, minutes: f64) -> f64 {
        minutes / 60.0 * self.kmh / self.detour
    }
}

/// Where people live: one client (people = 1) or one cell of a population grid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Resident {
    pub lat: f64,
    pub lng: f64,
    pub people: u32,
    /// People in each vulnerable category, in [`VULNERABLE`] order.
    pub cats: [u32; 4],
}

impl Resident {
    pub fn at(&self) -> (f64, f64) {
        (self.lat, self.lng)
    }

    /// 1 per person plus the category weights.
    pub fn weight(&self, w: &[f64; 4]) -> f64 {
        f64::from(self.people) + self.cats.iter().zip(w).map(|(c, w)| f64::from(*c) * w).sum::<f64>()
    }
}

/// The four walking-time bands of the map and the tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Within10,
    Within15,
    Within20,
    Beyond20,
}

impl Band {
    pub const ALL: [Band; 4] = [Band::Within10, Band::Within15, Band::Within20, Band::Beyond20];

    pub fn of(minutes: f64) -> Band {
        if minutes <= 10.0 {
            Band::Within10
        } else if minutes <= 15.0 {
            Band::Within15
        } else if minutes <= 20.0 {
            Band::Within20
        } else {
            Band::Beyond20
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Band::Within10 => "within_10",
            Band::Within15 => "within_15",
            Band::Within20 => "within_20",
            Band::Beyond20 => "beyond_20",
        }
    }
}

/// People by walking time. `within_15` includes `within_10`, and `within_20` both: the
/// columns answer "how many live within N minutes"; `beyond_20` is the rest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct BandCounts {
    pub within_10: u64,
    pub within_15: u64,
    pub within_20: u64,
    pub beyond_20: u64,
    pub total: u64,
}

impl BandCounts {
    pub fn add(&mut self, minutes: f64, n: u64) {
        self.total += n;
        match Band::of(minutes) {
            Band::Within10 => {
                self.within_10 += n;
                self.within_15 += n;
                self.within_20 += n;
            }
            Band::Within15 => {
                self.within_15 += n;
                self.within_20 += n;
            }
            Band::Within20 => self.within_20 += n,
            Band::Beyond20 => self.beyond_20 += n,
        }
    }

    fn merge(&mut self, o: &BandCounts) {
        self.within_10 += o.within_10;
        self.within_15 += o.within_15;
        self.within_20 += o.within_20;
        self.beyond_20 += o.beyond_20;
        self.total += o.total;
    }
}

/// The coverage table: everyone, and each vulnerable category.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct CoverageTotals {
    pub all: BandCounts,
    /// In [`VULNERABLE`] order.
    pub categories: Vec<CategoryCounts>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct CategoryCounts {
    pub code: String,
    pub counts: BandCounts,
}

/// Counts people by their walking time (`minutes[i]` belongs to `residents[i]`).
pub fn tally(residents: &[Resident], minutes: &[f32]) -> CoverageTotals {
    let parts = parallel_chunks(residents.len(), |lo, hi| {
        let mut all = BandCounts::default();
        let mut cats = [BandCounts::default(); 4];
        for (r, m) in residents[lo..hi].iter().zip(&minutes[lo..hi]) {
            let m = f64::from(*m);
            all.add(m, u64::from(r.people));
            for (c, n) in cats.iter_mut().zip(r.cats) {
                if n > 0 {
                    c.add(m, u64::from(n));
                }
            }
        }
        (all, cats)
    });
    let mut all = BandCounts::default();
    let mut cats = [BandCounts::default(); 4];
    for (a, c) in &parts {
        all.merge(a);
        for (x, y) in cats.iter_mut().zip(c) {
            x.merge(y);
        }
    }
    CoverageTotals {
        all,
        categories: VULNERABLE.iter().zip(cats).map(|(code, counts)| CategoryCounts { code: (*code).into(), counts }).collect(),
    }
}

/// Runs `f(lo, hi)` over slices of `0..n` on the machine's cores, results in order.
fn parallel_chunks<T: Send>(n: usize, f: impl Fn(usize, usize) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map(|t| t.get()).unwrap_or(1).clamp(1, 16);
    if n < 50_000 || threads == 1 {
        return vec![f(0, n)];
    }
    let step = n.div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| (t * step, ((t + 1) * step).min(n)))
            .map(|(lo, hi)| {
                let f = &f;
                s.spawn(move || f(lo, hi))
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    })
}

/// A uniform latitude/longitude grid over a set of places, for nearest and within-radius
/// queries without scanning every place.
#[derive(Clone, Debug, Default)]
pub struct GridIndex {
    lat0: f64,
    lng0: f64,
    cell: f64,
    rows: usize,
    cols: usize,
    /// Start of each cell's items in `items` (rows × cols + 1 entries).
    starts: Vec<u32>,
    items: Vec<u32>,
    places: Vec<(f64, f64)>,
    /// A lower bound of one cell's width and height in km.
    cell_km: f64,
}

impl GridIndex {
    /// Indexes `places` (latitude, longitude); about two places per cell.
    pub fn new(places: &[(f64, f64)]) -> Self {
        let places: Vec<(f64, f64)> = places.to_vec();
        if places.is_empty() {
            return Self::default();
        }
        let (mut la_lo, mut la_hi, mut lo_lo, mut lo_hi) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (la, lo) in &places {
            la_lo = la_lo.min(*la);
            la_hi = la_hi.max(*la);
            lo_lo = lo_lo.min(*lo);
            lo_hi = lo_hi.max(*lo);
        }
        let area = ((la_hi - la_lo) * (lo_hi - lo_lo)).max(1e-8);
        let cell = (area / places.len() as f64 * 2.0).sqrt().clamp(0.0005, 1.0);
        let rows = (((la_hi - la_lo) / cell) as usize + 1).min(4096);
        let cols = (((lo_hi - lo_lo) / cell) as usize + 1).min(4096);
        let max_lat = la_lo.abs().max(la_hi.abs()).min(89.0);
        let cell_km = cell.to_radians() * EARTH_KM * max_lat.to_radians().cos() * 0.999;
        let mut g =
            Self { lat0: la_lo, lng0: lo_lo, cell, rows, cols, starts: vec![0; rows * cols + 1], items: Vec::new(), places, cell_km };
        let keys: Vec<usize> = g.places.iter().map(|p| g.key(g.cell_of(*p))).collect();
        for k in &keys {
            g.starts[k + 1] += 1;
        }
        for i in 1..g.starts.len() {
            g.starts[i] += g.starts[i - 1];
        }
        let mut fill = g.starts.clone();
        g.items = vec![0; keys.len()];
        for (i, k) in keys.iter().enumerate() {
            g.items[fill[*k] as usize] = i as u32;
            fill[*k] += 1;
        }
        g
    }

    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    fn cell_of(&self, p: (f64, f64)) -> (usize, usize) {
        let r = ((p.0 - self.lat0) / self.cell).floor().clamp(0.0, (self.rows - 1) as f64) as usize;
        let c = ((p.1 - self.lng0) / self.cell).floor().clamp(0.0, (self.cols - 1) as f64) as usize;
        (r, c)
    }

    fn key(&self, (r, c): (usize, usize)) -> usize {
        r * self.cols + c
    }

    fn bucket(&self, r: usize, c: usize) -> &[u32] {
        let k = self.key((r, c));
        &self.items[self.starts[k] as usize..self.starts[k + 1] as usize]
    }

    /// Calls `f` with every cell at ring distance `ring` from `(r, c)`.
    fn ring(&self, (r, c): (usize, usize), ring: usize, mut f: impl FnMut(usize, usize)) {
        let (r, c, k) = (r as i64, c as i64, ring as i64);
        let (rows, cols) = (self.rows as i64, self.cols as i64);
        for dr in -k..=k {
            let rr = r + dr;
            if rr < 0 || rr >= rows {
                continue;
            }
            let edge = dr.abs() == k;
            let mut dc = -k;
            while dc <= k {
                let cc = c + dc;
                if cc >= 0 && cc < cols {
                    f(rr as usize, cc as usize);
                }
                dc += if edge || k == 0 { 1 } else { 2 * k };
            }
        }
    }

    /// The nearest place and its great-circle distance in km. Places are compared in a local
    /// equirectangular metric around `p` (exact to well under a metre at city distances), so
    /// only the winner needs the great-circle formula.
    pub fn nearest(&self, p: (f64, f64)) -> Option<(usize, f64)> {
        if self.places.is_empty() {
            return None;
        }
        let kx = p.0.to_radians().cos().max(0.01);
        let home = self.cell_of(p);
        let mut best: Option<(usize, f64)> = None;
        let max_ring = self.rows.max(self.cols);
        for ring in 0..=max_ring {
            self.ring(home, ring, |r, c| {
                for i in self.bucket(r, c) {
                    let q = self.places[*i as usize];
                    let (dy, dx) = (q.0 - p.0, (q.1 - p.1) * kx);
                    let d = dy * dy + dx * dx;
                    if best.is_none_or(|(_, b)| d < b) {
                        best = Some((*i as usize, d));
                    }
                }
            });
            if let Some((_, d)) = best {
                // Every place outside this ring is at least `ring` cells away in one direction.
                let bound = ring as f64 * self.cell * kx;
                if d <= bound * bound {
                    break;
                }
            }
        }
        best.map(|(i, _)| (i, distance_km(p, self.places[i])))
    }

    /// Every place within `km` of `p`, with its distance.
    pub fn within(&self, p: (f64, f64), km: f64) -> Vec<(usize, f64)> {
        let mut out = Vec::new();
        if self.places.is_empty() {
            return out;
        }
        let home = self.cell_of(p);
        let rings = if self.cell_km > 0.0 { (km / self.cell_km).ceil() as usize + 1 } else { self.rows.max(self.cols) };
        for ring in 0..=rings.min(self.rows.max(self.cols)) {
            self.ring(home, ring, |r, c| {
                for i in self.bucket(r, c) {
                    let d = distance_km(p, self.places[*i as usize]);
                    if d <= km {
                        out.push((*i as usize, d));
                    }
                }
            });
        }
        out
    }
}

/// Straight-line walking minutes from each resident to the nearest of `points`
/// (infinite when there is no point).
pub fn straight_minutes(residents: &[Resident], points: &[(f64, f64)], walk: Walk) -> Vec<f32> {
    let index = GridIndex::new(points);
    parallel_chunks(residents.len(), |lo, hi| {
        residents[lo..hi].iter().map(|r| index.nearest(r.at()).map_or(f32::INFINITY, |(_, d)| walk.minutes(d) as f32)).collect::<Vec<_>>()
    })
    .concat()
}

/// A walking network: nodes with coordinates and undirected edges with their length, kept
/// as adjacency arrays (each edge appears in both directions).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WalkGraph {
    nodes: Vec<(f64, f64)>,
    starts: Vec<u32>,
    targets: Vec<u32>,
    metres: Vec<f32>,
}

const GRAPH_MAGIC: &[u8; 8] = b"SGWALK1\0";

impl WalkGraph {
    /// Builds the graph; edges are `(a, b, metres)`, and self-loops, unknown ends and
    /// negative or non-finite lengths are left out.
    pub fn new(nodes: Vec<(f64, f64)>, edges: &[(u32, u32, f32)]) -> Self {
        let n = nodes.len();
        let ok: Vec<&(u32, u32, f32)> =
            edges.iter().filter(|(a, b, m)| a != b && (*a as usize) < n && (*b as usize) < n && m.is_finite() && *m >= 0.0).collect();
        let mut starts = vec![0u32; n + 1];
        for (a, b, _) in &ok {
            starts[*a as usize + 1] += 1;
            starts[*b as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut fill = starts.clone();
        let mut targets = vec![0u32; ok.len() * 2];
        let mut metres = vec![0f32; ok.len() * 2];
        for (a, b, m) in ok {
            for (x, y) in [(*a, *b), (*b, *a)] {
                let at = fill[x as usize] as usize;
                targets[at] = y;
                metres[at] = *m;
                fill[x as usize] += 1;
            }
        }
        Self { nodes, starts, targets, metres }
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Undirected edges.
    pub fn edge_count(&self) -> usize {
        self.targets.len() / 2
    }

    pub fn nodes(&self) -> &[(f64, f64)] {
        &self.nodes
    }

    /// Shortest distance in metres from the nearest source to every node; a source is a node
    /// and the metres already walked to reach it. Nodes further than `limit` metres (or
    /// unreachable) are infinite.
    pub fn multi_source(&self, sources: &[(u32, f64)], limit: f64) -> Vec<f64> {
        let mut dist = vec![f64::INFINITY; self.nodes.len()];
        let mut heap = BinaryHeap::new();
        for (s, d0) in sources {
            let s = *s as usize;
            if s < dist.len() && *d0 < dist[s] && *d0 <= limit {
                dist[s] = *d0;
                heap.push(Entry(*d0, s as u32));
            }
        }
        while let Some(Entry(d, u)) = heap.pop() {
            let u = u as usize;
            if d > dist[u] {
                continue;
            }
            for e in self.starts[u] as usize..self.starts[u + 1] as usize {
                let v = self.targets[e] as usize;
                let nd = d + f64::from(self.metres[e]);
                if nd < dist[v] && nd <= limit {
                    dist[v] = nd;
                    heap.push(Entry(nd, v as u32));
                }
            }
        }
        dist
    }

    /// A compact binary form for storage: magic, counts, then the arrays, little-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(16 + self.nodes.len() * 20 + self.targets.len() * 8);
        b.extend_from_slice(GRAPH_MAGIC);
        b.extend_from_slice(&(self.nodes.len() as u32).to_le_bytes());
        b.extend_from_slice(&(self.targets.len() as u32).to_le_bytes());
        for (la, lo) in &self.nodes {
            b.extend_from_slice(&la.to_le_bytes());
            b.extend_from_slice(&lo.to_le_bytes());
        }
        for s in &self.starts {
            b.extend_from_slice(&s.to_le_bytes());
        }
        for t in &self.targets {
            b.extend_from_slice(&t.to_le_bytes());
        }
        for m in &self.metres {
            b.extend_from_slice(&m.to_le_bytes());
        }
        b
    }

    /// Reads [`WalkGraph::to_bytes`]; anything malformed is refused.
    pub fn from_bytes(b: &[u8]) -> Result<Self> {
        let bad = || DomainError::Storage("walking network is damaged".into());
        let mut r = Reader { b, at: 0 };
        if r.take(8).ok_or_else(bad)? != GRAPH_MAGIC {
            return Err(bad());
        }
        let n = r.u32().ok_or_else(bad)? as usize;
        let m = r.u32().ok_or_else(bad)? as usize;
        if b.len() != 16 + n * 16 + (n + 1) * 4 + m * 8 {
            return Err(bad());
        }
        let mut nodes = Vec::with_capacity(n);
        for _ in 0..n {
            nodes.push((r.f64().ok_or_else(bad)?, r.f64().ok_or_else(bad)?));
        }
        let starts = (0..=n).map(|_| r.u32()).collect::<Option<Vec<_>>>().ok_or_else(bad)?;
        let targets = (0..m).map(|_| r.u32()).collect::<Option<Vec<_>>>().ok_or_else(bad)?;
        let metres = (0..m).map(|_| r.f32()).collect::<Option<Vec<_>>>().ok_or_else(bad)?;
        let consistent = starts.first() == Some(&0)
            && starts.last().map(|l| *l as usize) == Some(m)
            && starts.windows(2).all(|w| w[0] <= w[1])
            && targets.iter().all(|t| (*t as usize) < n);
        if !consistent {
            return Err(bad());
        }
        Ok(Self { nodes, starts, targets, metres })
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.b.get(self.at..self.at + n)?;
        self.at += n;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn f32(&mut self) -> Option<f32> {
        Some(f32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn f64(&mut self) -> Option<f64> {
        Some(f64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

/// A heap entry ordered so the smallest distance pops first.
#[derive(PartialEq)]
struct Entry(f64, u32);

impl Eq for Entry {}

impl Ord for Entry {
    fn cmp(&self, o: &Self) -> Ordering {
        o.0.total_cmp(&self.0).then_with(|| o.1.cmp(&self.1))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// Walking times on a network: residents and points reach it at their nearest node.
pub struct Network<'a> {
    pub graph: &'a WalkGraph,
    index: GridIndex,
}

impl<'a> Network<'a> {
    pub fn new(graph: &'a WalkGraph) -> Self {
        Self { graph, index: GridIndex::new(&graph.nodes) }
    }

    /// The nearest node and the straight-line km to it.
    pub fn snap(&self, p: (f64, f64)) -> Option<(u32, f64)> {
        self.index.nearest(p).map(|(i, d)| (i as u32, d))
    }

    /// Dijkstra sources for points (metres to their node, with the detour factor).
    fn sources(&self, points: &[(f64, f64)], walk: Walk) -> Vec<(u32, f64)> {
        points.iter().filter_map(|p| self.snap(*p)).filter(|(_, d)| *d <= MAX_SNAP_KM).map(|(n, d)| (n, d * 1000.0 * walk.detour)).collect()
    }

    /// Minutes from each resident to the nearest point: along the network when both are near
    /// it (within [`MAX_SNAP_KM`]), in a straight line for a resident off the network.
    pub fn minutes(&self, residents: &[Resident], points: &[(f64, f64)], walk: Walk) -> Vec<f32> {
        let dist = self.graph.multi_source(&self.sources(points, walk), f64::INFINITY);
        let straight = GridIndex::new(points);
        parallel_chunks(residents.len(), |lo, hi| {
            residents[lo..hi]
                .iter()
                .map(|r| match self.snap(r.at()) {
                    Some((n, d)) if d <= MAX_SNAP_KM => walk.network_minutes((dist[n as usize] + d * 1000.0 * walk.detour) / 1000.0) as f32,
                    _ => straight.nearest(r.at()).map_or(f32::INFINITY, |(_, d)| walk.minutes(d) as f32),
                })
                .collect::<Vec<_>>()
        })
        .concat()
    }

    /// Minutes from one place to each resident, up to `limit` minutes (beyond: infinite).
    pub fn minutes_from(&self, from: (f64, f64), residents: &[Resident], walk: Walk, limit: f64) -> Vec<f32> {
        let limit_m = limit / 60.0 * walk.kmh * 1000.0;
        let dist = self.graph.multi_source(&self.sources(&[from], walk), limit_m);
        residents
            .iter()
            .map(|r| match self.snap(r.at()) {
                Some((n, d)) if d <= MAX_SNAP_KM => walk.network_minutes((dist[n as usize] + d * 1000.0 * walk.detour) / 1000.0) as f32,
                _ => walk.minutes(distance_km(from, r.at())) as f32,
            })
            .collect()
    }
}

/// Whether an OpenStreetMap way with these tags can be walked.
pub fn walkable(highway: &str, foot: Option<&str>, access: Option<&str>) -> bool {
    const WALK: [&str; 20] = [
        "footway",
        "path",
        "pedestrian",
        "steps",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "track",
        "cycleway",
        "corridor",
        "road",
        "bridleway",
        "elevator",
    ];
    let allowed_foot = matches!(foot, Some("yes" | "designated" | "permissive"));
    if matches!(foot, Some("no" | "private")) {
        return false;
    }
    if matches!(access, Some("no" | "private")) && !allowed_foot {
        return false;
    }
    WALK.contains(&highway) || (allowed_foot && !highway.is_empty())
}

/// Builds a walking graph from OpenStreetMap nodes (id → latitude, longitude) and walkable
/// ways (their node ids in order). Only nodes on a way are kept; edges are measured along
/// the great circle.
pub fn graph_from_osm(nodes: &HashMap<i64, (f64, f64)>, ways: &[Vec<i64>]) -> WalkGraph {
    let mut index: HashMap<i64, u32> = HashMap::new();
    let mut coords = Vec::new();
    let mut edges = Vec::new();
    for way in ways {
        let mut prev: Option<(u32, (f64, f64))> = None;
        for id in way {
            let Some(at) = nodes.get(id) else {
                prev = None;
                continue;
            };
            let n = *index.entry(*id).or_insert_with(|| {
                coords.push(*at);
                (coords.len() - 1) as u32
            });
            if let Some((p, pat)) = prev {
                edges.push((p, n, (distance_km(pat, *at) * 1000.0) as f32));
            }
            prev = Some((n, *at));
        }
    }
    WalkGraph::new(coords, &edges)
}

/// How the sites were chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChoiceMethod {
    /// Every combination was tried: the best possible.
    Exact,
    /// One site at a time, each the one that adds the most: at least (1 − 1/e) of the best.
    Greedy,
}

/// The sites chosen (indices into the candidates, in order of choice) and the weight covered.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub sites: Vec<usize>,
    pub covered: f64,
    pub method: ChoiceMethod,
}

/// Weight covered by a set of candidates (`covers[c]` lists the demand each would cover).
fn covered_by(weights: &[f64], covers: &[Vec<u32>], chosen: &[usize], seen: &mut [u32], stamp: u32) -> f64 {
    let mut total = 0.0;
    for c in chosen {
        for d in &covers[*c] {
            let d = *d as usize;
            if seen[d] != stamp {
                seen[d] = stamp;
                total += weights[d];
            }
        }
    }
    total
}

/// Greedy maximal covering: `k` times, take the candidate that covers the most weight not yet
/// covered (ties: the earlier candidate). Stops early when nothing more can be covered.
pub fn greedy_cover(weights: &[f64], covers: &[Vec<u32>], k: usize) -> Choice {
    let mut done = vec![false; weights.len()];
    let mut sites = Vec::new();
    let mut covered = 0.0;
    for _ in 0..k {
        let best = covers
            .iter()
            .enumerate()
            .filter(|(c, _)| !sites.contains(c))
            .map(|(c, ds)| (c, ds.iter().filter(|d| !done[**d as usize]).map(|d| weights[*d as usize]).sum::<f64>()))
            .fold(None::<(usize, f64)>, |best, (c, g)| match best {
                Some((_, bg)) if bg >= g => best,
                _ => Some((c, g)),
            });
        let Some((c, gain)) = best else { break };
        if gain <= 0.0 {
            break;
        }
        for d in &covers[c] {
            done[*d as usize] = true;
        }
        covered += gain;
        sites.push(c);
    }
    Choice { sites, covered, method: ChoiceMethod::Greedy }
}

/// The number of ways to choose `k` of `n`, saturating.
pub fn combinations(n: usize, k: usize) -> u128 {
    if k > n {
        return 0;
    }
    let k = k.min(n - k);
    let mut r: u128 = 1;
    for i in 0..k {
        r = r.saturating_mul((n - i) as u128) / (i as u128 + 1);
    }
    r
}

/// The best `k` candidates by trying every combination; `None` when there are more than
/// [`EXACT_LIMIT`] of them. Ties go to the first combination in lexicographic order.
pub fn exact_cover(weights: &[f64], covers: &[Vec<u32>], k: usize) -> Option<Choice> {
    let n = covers.len();
    let k = k.min(n);
    if combinations(n, k) > EXACT_LIMIT {
        return None;
    }
    let mut seen = vec![0u32; weights.len()];
    let mut idx: Vec<usize> = (0..k).collect();
    let mut best = (Vec::new(), 0.0);
    let mut stamp = 0u32;
    loop {
        stamp += 1;
        let w = covered_by(weights, covers, &idx, &mut seen, stamp);
        if w > best.1 + 1e-9 {
            best = (idx.clone(), w);
        }
        // Next combination.
        let mut i = k;
        loop {
            if i == 0 {
                let (sites, covered) = best;
                return Some(Choice { sites, covered, method: ChoiceMethod::Exact });
            }
            i -= 1;
            if idx[i] < n - k + i {
                idx[i] += 1;
                for j in i + 1..k {
                    idx[j] = idx[j - 1] + 1;
                }
                break;
            }
        }
    }
}

/// Exact when small enough, greedy otherwise.
pub fn choose_sites(weights: &[f64], covers: &[Vec<u32>], k: usize) -> Choice {
    exact_cover(weights, covers, k).unwrap_or_else(|| greedy_cover(weights, covers, k))
}

/// One hexagon of the map: how many live there and how far they walk.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct HexCell {
    /// The H3 index, e.g. `89411c0a8a3ffff`.
    pub cell: String,
    pub people: u64,
    /// People in each vulnerable category, in [`VULNERABLE`] order.
    pub cats: [u64; 4],
    /// Mean minutes of the people in the cell (capped at 999 for the unreachable).
    pub mean_minutes: f64,
    pub band: Band,
    /// Corners (latitude, longitude).
    #[schema(value_type = Vec<Vec<f64>>)]
    pub boundary: Vec<(f64, f64)>,
}

/// Groups residents into H3 cells at [`HEX_RESOLUTION`], largest cells first by index order.
pub fn hex_cells(residents: &[Resident], minutes: &[f32]) -> Vec<HexCell> {
    let mut acc: HashMap<h3o::CellIndex, (u64, [u64; 4], f64)> = HashMap::new();
    for (r, m) in residents.iter().zip(minutes) {
        let Ok(ll) = h3o::LatLng::new(r.lat, r.lng) else { continue };
        let e = acc.entry(ll.to_cell(HEX_RESOLUTION)).or_insert((0, [0; 4], 0.0));
        e.0 += u64::from(r.people);
        for (x, y) in e.1.iter_mut().zip(r.cats) {
            *x += u64::from(y);
        }
        e.2 += f64::from(m.min(999.0)) * f64::from(r.people);
    }
    let mut out: Vec<HexCell> = acc
        .into_iter()
        .filter(|(_, (p, _, _))| *p > 0)
        .map(|(c, (people, cats, sum))| {
            let mean = sum / people as f64;
            HexCell {
                cell: c.to_string(),
                people,
                cats,
                mean_minutes: (mean * 10.0).round() / 10.0,
                band: Band::of(mean),
                boundary: c.boundary().iter().map(|ll| (ll.lat(), ll.lng())).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.cell.cmp(&b.cell));
    out
}

/// Hides cells of fewer than [`SMALL_CELL`] people; returns how many were hidden.
pub fn suppress_small(cells: &mut Vec<HexCell>) -> usize {
    let before = cells.len();
    cells.retain(|c| c.people >= SMALL_CELL);
    before - cells.len()
}

/// One row of an imported population grid.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct GridCell {
    pub district: String,
    pub latitude: f64,
    pub longitude: f64,
    pub people: u32,
    /// People in each vulnerable category, in [`VULNERABLE`] order.
    pub cats: [u32; 4],
}

impl GridCell {
    pub fn resident(&self) -> Resident {
        Resident { lat: self.latitude, lng: self.longitude, people: self.people, cats: self.cats }
    }
}

/// Reads a population grid: a header row, then one cell per row. Columns (any order, names
/// case-insensitive): `lat`/`latitude` and `lng`/`lon`/`longitude`, or `h3` (a cell index,
/// whose centre is used); `count`/`people`/`population`; optionally `district` and the
/// category codes of [`VULNERABLE`] (each at most the row's count).
pub fn parse_grid_csv(text: &str) -> Result<Vec<GridCell>> {
    let text = text.trim_start_matches('\u{feff}');
    let mut rd = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let header: Vec<String> = match rd.headers() {
        Ok(h) => h.iter().map(|s| s.to_lowercase()).collect(),
        Err(_) => return Err(DomainError::invalid("file", "file-format")),
    };
    let col = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let lat = col(&["lat", "latitude"]);
    let lng = col(&["lng", "lon", "longitude"]);
    let h3 = col(&["h3", "cell"]);
    let count = col(&["count", "people", "population"]);
    let district = col(&["district"]);
    let cats: Vec<Option<usize>> = VULNERABLE.iter().map(|c| col(&[c])).collect();
    if count.is_none() || (h3.is_none() && (lat.is_none() || lng.is_none())) {
        return Err(DomainError::invalid("file", "grid-columns"));
    }
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for (i, rec) in rd.records().enumerate() {
        let row = i + 2;
        let Ok(rec) = rec else {
            errs.push(FieldError::new("file", "grid-row").with("row", row).with("column", "-"));
            continue;
        };
        if rec.iter().all(|f| f.is_empty()) {
            continue;
        }
        if out.len() >= MAX_GRID_ROWS {
            return Err(DomainError::Invalid(vec![FieldError::new("file", "too-many-rows").with("max", MAX_GRID_ROWS)]));
        }
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("");
        let mut bad = |name: &str| errs.push(FieldError::new("file", "grid-row").with("row", row).with("column", name.to_string()));
        let at = match h3.map(|c| get(Some(c))).filter(|s| !s.is_empty()) {
            Some(s) => match s.parse::<h3o::CellIndex>() {
                Ok(c) => {
                    let ll = h3o::LatLng::from(c);
                    Some((ll.lat(), ll.lng()))
                }
                Err(_) => {
                    bad("h3");
                    None
                }
            },
            None => {
                let la = get(lat).parse::<f64>().ok().filter(|x| x.is_finite() && x.abs() <= 90.0);
                let lo = get(lng).parse::<f64>().ok().filter(|x| x.is_finite() && x.abs() <= 180.0);
                if la.is_none() {
                    bad("lat");
                }
                if lo.is_none() {
                    bad("lng");
                }
                la.zip(lo)
            }
        };
        let people = get(count).parse::<u32>().ok().filter(|n| *n <= 1_000_000);
        if people.is_none() {
            bad("count");
        }
        let mut cs = [0u32; 4];
        for (k, c) in cats.iter().enumerate() {
            let raw = get(*c);
            if raw.is_empty() {
                continue;
            }
            match raw.parse::<u32>() {
                Ok(n) if people.is_none_or(|p| n <= p) => cs[k] = n,
                _ => bad(VULNERABLE[k]),
            }
        }
        let d = get(district);
        if d.chars().count() > 100 {
            bad("district");
        }
        if let (Some((latitude, longitude)), Some(people)) = (at, people) {
            out.push(GridCell { district: d.to_string(), latitude, longitude, people, cats: cs });
        }
        if errs.len() >= 20 {
            break;
        }
    }
    if !errs.is_empty() {
        return Err(DomainError::Invalid(errs));
    }
    if out.is_empty() {
        return Err(DomainError::invalid("file", "file-no-rows"));
    }
    Ok(out)
}

/// A candidate site for a new service point (a vacant shop, a community hall, an estate office).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Site {
    pub id: SiteId,
    pub org_id: OrgId,
    pub name: String,
    pub district: String,
    pub latitude: f64,
    pub longitude: f64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteInput {
    pub name: String,
    #[serde(default)]
    pub district: String,
    /// Decimal degrees, e.g. `22.2783`.
    pub latitude: String,
    pub longitude: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SiteFields {
    pub name: String,
    pub district: String,
    pub latitude: f64,
    pub longitude: f64,
}

impl SiteInput {
    pub fn validate(&self) -> Result<SiteFields> {
        let mut v = Validator::new();
        let name = v.text("name", &self.name, true, 200);
        let district = v.text("district", &self.district, false, 100);
        let latitude = v.coordinate("latitude", &self.latitude, 90.0);
        let longitude = v.coordinate("longitude", &self.longitude, 180.0);
        if self.latitude.trim().is_empty() {
            v.push(FieldError::new("latitude", "required"));
        }
        if self.longitude.trim().is_empty() {
            v.push(FieldError::new("longitude", "required"));
        }
        v.finish()?;
        match (latitude, longitude) {
            (Some(latitude), Some(longitude)) => Ok(SiteFields { name, district, latitude, longitude }),
            _ => Err(DomainError::invalid("latitude", "required")),
        }
    }
}

/// The walking network an agency imported.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct NetworkInfo {
    /// The file it came from.
    pub source: String,
    pub nodes: u64,
    pub edges: u64,
    pub imported_at: DateTime<Utc>,
}

/// What adding the chosen sites would change.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[schema(as = SiteSuggestion)]
pub struct Suggestion {
    pub k: usize,
    pub target_minutes: i32,
    pub method: ChoiceMethod,
    /// The chosen candidates, in order of choice.
    pub sites: Vec<SuggestedSite>,
    /// Weighted people newly within the target.
    pub covered_weight: f64,
    pub before: CoverageTotals,
    pub after: CoverageTotals,
    /// People within the target time before and after: everyone, then each category in
    /// [`VULNERABLE`] order.
    pub within_target_before: [u64; 5],
    pub within_target_after: [u64; 5],
}

/// People within `target` minutes: everyone, then each vulnerable category.
pub fn within_target(residents: &[Resident], minutes: &[f32], target: f64) -> [u64; 5] {
    let mut out = [0u64; 5];
    for (r, m) in residents.iter().zip(minutes) {
        if f64::from(*m) <= target {
            out[0] += u64::from(r.people);
            for (o, c) in out[1..].iter_mut().zip(r.cats) {
                *o += u64::from(c);
            }
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct SuggestedSite {
    pub id: Option<SiteId>,
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
    /// People newly within the target thanks to this site (counted once, for the first site
    /// that reaches them).
    pub people: u64,
}

/// Picks `k` of `candidates` to add to `points`, weighted by vulnerability, and counts the
/// people before and after. Times use the network when one is given.
pub fn suggest(
    residents: &[Resident],
    points: &[(f64, f64)],
    candidates: &[(Option<SiteId>, String, f64, f64)],
    k: usize,
    settings: &CoverageSettings,
    network: Option<&Network<'_>>,
) -> Suggestion {
    let walk = settings.walk();
    let target = f64::from(settings.target_minutes);
    let before_minutes = match network {
        Some(n) => n.minutes(residents, points, walk),
        None => straight_minutes(residents, points, walk),
    };
    // Demand: people now beyond the target.
    let demand: Vec<usize> = (0..residents.len()).filter(|i| f64::from(before_minutes[*i]) > target).collect();
    let w = settings.weights();
    let weights: Vec<f64> = demand.iter().map(|i| residents[*i].weight(&w)).collect();
    let demand_residents: Vec<Resident> = demand.iter().map(|i| residents[*i]).collect();
    let covers: Vec<Vec<u32>> = match network {
        Some(n) => candidates
            .iter()
            .map(|(_, _, la, lo)| {
                let m = n.minutes_from((*la, *lo), &demand_residents, walk, target);
                m.iter().enumerate().filter(|(_, t)| f64::from(**t) <= target).map(|(i, _)| i as u32).collect()
            })
            .collect(),
        None => {
            let index = GridIndex::new(&demand_residents.iter().map(|r| r.at()).collect::<Vec<_>>());
            let reach = walk.reach_km(target);
            candidates
                .iter()
                .map(|(_, _, la, lo)| {
                    let mut v: Vec<u32> = index.within((*la, *lo), reach).into_iter().map(|(i, _)| i as u32).collect();
                    v.sort_unstable();
                    v
                })
                .collect()
        }
    };
    let choice = choose_sites(&weights, &covers, k);
    let mut counted = vec![false; demand.len()];
    let sites = choice
        .sites
        .iter()
        .map(|c| {
            let mut people = 0u64;
            for d in &covers[*c] {
                if !counted[*d as usize] {
                    counted[*d as usize] = true;
                    people += u64::from(demand_residents[*d as usize].people);
                }
            }
            let (id, name, la, lo) = &candidates[*c];
            SuggestedSite { id: *id, name: name.clone(), latitude: *la, longitude: *lo, people }
        })
        .collect::<Vec<_>>();
    let mut after_points = points.to_vec();
    after_points.extend(sites.iter().map(|s| (s.latitude, s.longitude)));
    let after_minutes = match network {
        Some(n) => n.minutes(residents, &after_points, walk),
        None => straight_minutes(residents, &after_points, walk),
    };
    Suggestion {
        k,
        target_minutes: settings.target_minutes,
        method: choice.method,
        sites,
        covered_weight: (choice.covered * 10.0).round() / 10.0,
        before: tally(residents, &before_minutes),
        after: tally(residents, &after_minutes),
        within_target_before: within_target(residents, &before_minutes, target),
        within_target_after: within_target(residents, &after_minutes, target),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(lat: f64, lng: f64, people: u32) -> Resident {
        Resident { lat, lng, people, cats: [0; 4] }
    }

    /// Metres east of (22.3, 114.17) as a coordinate on the same latitude.
    fn east(m: f64) -> (f64, f64) {
        (22.3, 114.17 + (m / 1000.0 / (EARTH_KM * 22.3f64.to_radians().cos())).to_degrees())
    }

    fn codes(r: Result<impl std::fmt::Debug>) -> Vec<(String, &'static str)> {
        match r {
            Err(DomainError::Invalid(e)) => e.into_iter().map(|e| (e.field, e.code)).collect(),
            other => unreachable!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn straight_line_time_uses_detour_and_speed() {
        let w = CoverageSettings::default().walk();
        // 1 km straight × 1.3 = 1.3 km at 4.8 km/h = 16.25 minutes.
        assert!((w.minutes(1.0) - 16.25).abs() < 1e-9);
        assert!((w.reach_km(16.25) - 1.0).abs() < 1e-9);
        let (a, b) = (east(0.0), east(1000.0));
        assert!((distance_km(a, b) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn the_grid_index_finds_what_a_scan_finds() {
        let mut seed = 7u64;
        let mut rnd = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let pts: Vec<(f64, f64)> = (0..300).map(|_| (22.2 + rnd() * 0.3, 113.9 + rnd() * 0.4)).collect();
        let idx = GridIndex::new(&pts);
        for _ in 0..500 {
            // Some queries fall outside the indexed area.
            let q = (22.1 + rnd() * 0.5, 113.8 + rnd() * 0.6);
            let scan = pts.iter().map(|p| distance_km(q, *p)).fold(f64::INFINITY, f64::min);
            let (_, d) = idx.nearest(q).unwrap_or((0, f64::NAN));
            assert!((d - scan).abs() < 1e-5, "{q:?}: {d} vs {scan}");
            let near: usize = pts.iter().filter(|p| distance_km(q, **p) <= 2.0).count();
            assert_eq!(idx.within(q, 2.0).len(), near);
        }
        assert_eq!(GridIndex::new(&[]).nearest((22.3, 114.1)), None);
    }

    #[test]
    fn bands_are_cumulative_up_to_twenty_minutes() {
        let rs = [res(0.0, 0.0, 2), res(0.0, 0.0, 3), res(0.0, 0.0, 5), res(0.0, 0.0, 7), res(0.0, 0.0, 11)];
        let mut rs = rs.to_vec();
        rs[1].cats = [1, 0, 0, 3];
        let t = tally(&rs, &[5.0, 10.0, 14.9, 20.0, f32::INFINITY]);
        assert_eq!(t.all, BandCounts { within_10: 5, within_15: 10, within_20: 17, beyond_20: 11, total: 28 });
        assert_eq!(t.categories[0].code, "elderly_alone");
        assert_eq!(t.categories[0].counts, BandCounts { within_10: 1, within_15: 1, within_20: 1, beyond_20: 0, total: 1 });
        assert_eq!(t.categories[3].counts.within_10, 3);
        assert_eq!(t.categories[1].counts.total, 0);
    }

    /// A hand-made network (metres):
    ///
    /// ```text
    ///   0 --100-- 1 --100-- 2
    ///   |                   |
    ///  300                  50
    ///   |                   |
    ///   3 -------500------- 4      5 (no edges)
    /// ```
    fn small_graph() -> WalkGraph {
        let nodes = (0..6).map(|i| east(f64::from(i) * 100.0)).collect();
        WalkGraph::new(nodes, &[(0, 1, 100.0), (1, 2, 100.0), (0, 3, 300.0), (2, 4, 50.0), (3, 4, 500.0), (4, 4, 1.0), (2, 9, 1.0)])
    }

    #[test]
    fn dijkstra_from_several_sources_gives_each_node_its_nearest() {
        let g = small_graph();
        assert_eq!(g.edge_count(), 5);
        let d = g.multi_source(&[(0, 0.0)], f64::INFINITY);
        assert_eq!(&d[..5], &[0.0, 100.0, 200.0, 300.0, 250.0]);
        assert!(d[5].is_infinite());
        // From 0 and 4 at once: 3 is 300 from 0, 500 from 4.
        let d = g.multi_source(&[(0, 0.0), (4, 0.0)], f64::INFINITY);
        assert_eq!(&d[..5], &[0.0, 100.0, 50.0, 300.0, 0.0]);
        // A source that starts with metres already walked.
        let d = g.multi_source(&[(0, 0.0), (4, 260.0)], f64::INFINITY);
        assert_eq!(d[4], 250.0);
        // The limit cuts the search.
        let d = g.multi_source(&[(0, 0.0)], 150.0);
        assert_eq!(d[1], 100.0);
        assert!(d[2].is_infinite());
    }

    #[test]
    fn a_graph_survives_its_bytes_and_damage_is_refused() {
        let g = small_graph();
        let b = g.to_bytes();
        assert_eq!(WalkGraph::from_bytes(&b).ok(), Some(g));
        assert!(WalkGraph::from_bytes(&b[..b.len() - 1]).is_err());
        let mut bad = b.clone();
        bad[0] = b'X';
        assert!(WalkGraph::from_bytes(&bad).is_err());
    }

    #[test]
    fn network_times_follow_the_streets() {
        let g = small_graph();
        let net = Network::new(&g);
        let walk = Walk { detour: 1.3, kmh: 6.0 };
        // A point at node 0; residents at nodes 1, 3 and 4 (on the network: 0 m off).
        let rs = [res(east(100.0).0, east(100.0).1, 1), res(east(300.0).0, east(300.0).1, 1), res(east(400.0).0, east(400.0).1, 1)];
        let m = net.minutes(&rs, &[east(0.0)], walk);
        // 6 km/h = 100 m per minute: 1, 3 and 2.5 minutes.
        let want = [1.0, 3.0, 2.5];
        for (a, b) in m.iter().zip(want) {
            assert!((f64::from(*a) - b).abs() < 1e-3, "{m:?}");
        }
        // A resident 2 km away from everything is timed in a straight line.
        let far = east(2500.0);
        let m = net.minutes(&[res(far.0, far.1, 1)], &[east(0.0)], walk);
        assert!((f64::from(m[0]) - walk.minutes(2.5)).abs() < 1e-2);
        let from = net.minutes_from(east(0.0), &rs, walk, 2.0);
        assert!((f64::from(from[0]) - 1.0).abs() < 1e-3);
        assert!(from[1].is_infinite());
    }

    #[test]
    fn osm_ways_become_edges_between_consecutive_nodes() {
        let nodes: HashMap<i64, (f64, f64)> = [(10, east(0.0)), (11, east(100.0)), (12, east(250.0)), (13, east(900.0))].into();
        let g = graph_from_osm(&nodes, &[vec![10, 11, 12], vec![12, 99, 13]]);
        assert_eq!(g.node_count(), 4);
        assert_eq!(g.edge_count(), 2);
        let d = g.multi_source(&[(0, 0.0)], f64::INFINITY);
        assert!((d[2] - 250.0).abs() < 0.1);
        assert!(d[3].is_infinite(), "a missing node breaks the way");
        assert!(walkable("footway", None, None));
        assert!(!walkable("motorway", None, None));
        assert!(!walkable("residential", Some("no"), None));
        assert!(!walkable("service", None, Some("private")));
        assert!(walkable("service", Some("yes"), Some("private")));
    }

    #[test]
    fn greedy_and_exact_choose_known_sites() {
        // Demand 0..6 with weights; candidates cover:
        //   A: {0,1,2} = 3    B: {3,4} = 4    C: {2,3} = 3.5    D: {5} = 2.5
        let weights = [1.0, 1.0, 1.0, 2.0, 2.0, 2.5];
        let covers = vec![vec![0, 1, 2], vec![3, 4], vec![2, 3], vec![5]];
        let g = greedy_cover(&weights, &covers, 2);
        assert_eq!(g.sites, vec![1, 0]);
        assert_eq!(g.covered, 7.0);
        let e = exact_cover(&weights, &covers, 2).unwrap_or_else(|| unreachable!("small"));
        assert_eq!(e.sites, vec![0, 1]);
        assert_eq!(e.covered, 7.0);
        assert_eq!(e.method, ChoiceMethod::Exact);
        // A case where greedy is not optimal: the big middle set tempts it.
        //   A: {0,1,2,3}    B: {0,1,4}    C: {2,3,5}
        let w = [1.0; 6];
        let covers = vec![vec![0, 1, 2, 3], vec![0, 1, 4], vec![2, 3, 5]];
        assert_eq!(greedy_cover(&w, &covers, 2).covered, 5.0);
        let e = exact_cover(&w, &covers, 2).unwrap_or_else(|| unreachable!("small"));
        assert_eq!((e.sites, e.covered), (vec![1, 2], 6.0));
        assert_eq!(choose_sites(&w, &covers, 2).covered, 6.0);
        // Greedy stops when nothing more is covered; k above n is fine.
        assert_eq!(greedy_cover(&w, &covers, 5).sites, vec![0, 1, 2]);
        assert_eq!(greedy_cover(&w, &[vec![0], vec![0]], 2).sites, vec![0]);
        assert_eq!(exact_cover(&w, &covers, 5).map(|c| c.covered), Some(6.0));
    }

    #[test]
    fn exact_gives_way_to_greedy_for_many_combinations() {
        assert_eq!(combinations(5, 2), 10);
        assert_eq!(combinations(100, 3), 161_700);
        let covers: Vec<Vec<u32>> = (0..100).map(|i| vec![i]).collect();
        assert!(exact_cover(&[1.0; 100], &covers, 3).is_none());
        assert_eq!(choose_sites(&[1.0; 100], &covers, 3).method, ChoiceMethod::Greedy);
    }

    #[test]
    fn suggestions_weigh_vulnerable_people_and_count_before_and_after() {
        let settings = CoverageSettings { weight_elderly_alone: 3.0, ..CoverageSettings::default() };
        // One point at 0 m. Two clusters 3 km away (beyond 15 minutes): west has 10 people,
        // east 6 people of whom 4 live alone and are elderly (weight 6 + 12 = 18 > 10).
        let (w, e) = ((22.3, 114.17 - 0.029), east(3000.0));
        let mut rs = vec![res(w.0, w.1, 10), res(e.0, e.1, 6), res(22.3, 114.17, 5)];
        rs[1].cats = [4, 0, 0, 0];
        let cands = vec![(None, "west".to_string(), w.0, w.1), (None, "east".to_string(), e.0, e.1)];
        let s = suggest(&rs, &[east(0.0)], &cands, 1, &settings, None);
        assert_eq!(s.sites.len(), 1);
        assert_eq!(s.sites[0].name, "east");
        assert_eq!(s.sites[0].people, 6);
        assert_eq!(s.before.all.within_15, 5);
        assert_eq!(s.after.all.within_15, 11);
        assert_eq!(s.after.categories[0].counts.within_10, 4);
        assert_eq!(s.method, ChoiceMethod::Exact);
        assert_eq!((s.within_target_before, s.within_target_after), ([5, 0, 0, 0, 0], [11, 4, 0, 0, 0]));
        let s = suggest(&rs, &[east(0.0)], &cands, 2, &settings, None);
        assert_eq!(s.after.all.within_10, 21);
    }

    #[test]
    fn hexagons_sum_people_and_small_ones_can_be_hidden() {
        let rs = [res(22.3, 114.17, 3), res(22.3, 114.17, 4), res(22.35, 114.2, 2)];
        let mut cells = hex_cells(&rs, &[4.0, 12.0, 30.0]);
        assert_eq!(cells.len(), 2);
        let big = cells.iter().find(|c| c.people == 7).map(|c| (c.mean_minutes, c.band, c.boundary.len()));
        assert_eq!(big, Some((8.6, Band::Within10, 6)));
        assert_eq!(suppress_small(&mut cells), 1);
        assert_eq!(cells.len(), 1);
    }

    #[test]
    fn a_grid_is_read_from_csv_with_clear_row_errors() {
        let ok = "\u{feff}District,lat,lng,count,elderly_alone\n觀塘,22.31,114.22,120,8\nKwun Tong,22.32,114.23,5,\n";
        let g = parse_grid_csv(ok).unwrap_or_default();
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].district, "觀塘");
        assert_eq!((g[0].people, g[0].cats), (120, [8, 0, 0, 0]));
        let cell = h3o::LatLng::new(22.3, 114.17).map(|l| l.to_cell(HEX_RESOLUTION).to_string()).unwrap_or_default();
        let g = parse_grid_csv(&format!("h3,population\n{cell},40\n")).unwrap_or_default();
        assert_eq!(g.len(), 1);
        assert!((g[0].latitude - 22.3).abs() < 0.01 && (g[0].longitude - 114.17).abs() < 0.01);
        assert_eq!(codes(parse_grid_csv("a,b\n1,2\n")), [("file".into(), "grid-columns")]);
        assert_eq!(codes(parse_grid_csv("lat,lng,count\n")), [("file".into(), "file-no-rows")]);
        let e = parse_grid_csv("lat,lng,count,disabled\n99,114,3,1\n22.3,114.1,x,0\n22.3,114.1,2,5\n");
        let Err(DomainError::Invalid(e)) = e else { unreachable!("rows are wrong") };
        let got: Vec<(String, String)> = e.iter().map(|e| (e.args[0].1.clone(), e.args[1].1.clone())).collect();
        assert_eq!(got, [("2".into(), "lat".into()), ("3".into(), "count".into()), ("4".into(), "disabled".into())]);
    }

    #[test]
    fn settings_and_sites_are_validated() {
        let s = SettingsInput {
            detour_factor: "1.4".into(),
            walk_kmh: "4".into(),
            target_minutes: "20".into(),
            weight_disabled: "2".into(),
            version: 3,
            ..SettingsInput::default()
        };
        let v = s.validate().unwrap_or_default();
        assert_eq!(
            (v.detour_factor, v.walk_kmh, v.target_minutes, v.weight_disabled, v.weight_low_income, v.version),
            (1.4, 4.0, 20, 2.0, 0.0, 3)
        );
        let bad = SettingsInput { detour_factor: "0.5".into(), walk_kmh: "fast".into(), target_minutes: "7.5".into(), ..s };
        assert_eq!(
            codes(bad.validate()),
            [("detour_factor".into(), "out-of-range"), ("walk_kmh".into(), "out-of-range"), ("target_minutes".into(), "out-of-range")]
        );
        let site = SiteInput { name: "  Hall ".into(), district: "".into(), latitude: "22.3".into(), longitude: "114.2".into() };
        assert_eq!(site.validate().map(|f| f.name).ok(), Some("Hall".into()));
        let bad = SiteInput { name: "".into(), latitude: "".into(), longitude: "200".into(), ..site };
        assert_eq!(
            codes(bad.validate()),
            [("name".into(), "required"), ("longitude".into(), "out-of-range"), ("latitude".into(), "required")]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// Any population grid text is read or refused with a message; never a panic, and
        /// what is read has coordinates on the globe.
        #[test]
        fn arbitrary_grid_csv_never_panics(text in "[a-z_0-9,.\"\n -]{0,400}") {
            if let Ok(cells) = parse_grid_csv(&text) {
                for c in cells {
                    proptest::prop_assert!(c.latitude.abs() <= 90.0 && c.longitude.abs() <= 180.0);
                }
            }
        }
    }
}
