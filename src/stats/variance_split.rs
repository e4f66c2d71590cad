//! Assumptions against luck (spec §7): Var(Y) = Var(E[Y | θ]) + E[Var(Y | θ)].
//!
//! Given each trial's outcome Y and its conditional expectation E[Y | θ],
//! the sample variance of E[Y | θ] is the spread that better assumptions
//! could remove, and the sample variance of Y − E[Y | θ] is the luck of a
//! finite population that no research removes. The two are uncorrelated,
//! so their shares of the sum add up to the whole.
//!
//! Trials are dealt into groups by trial number, so the shares' standard
//! error comes from the spread between groups, and the result does not
//! depend on how trials were split between threads or machines.

use serde::{Deserialize, Serialize};

use super::ExactSum;

/// Groups for the standard error (trial i goes to group i mod GROUPS).
pub const GROUPS: usize = 20;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Moments {
    n: u64,
    sum: ExactSum,
    squares: ExactSum,
}

impl Moments {
    fn add(&mut self, x: f64) {
        self.n += 1;
        self.sum.add(x);
        self.squares.add(x * x);
    }

    fn merge(&mut self, other: &Moments) {
        self.n += other.n;
        self.sum.merge(&other.sum);
        self.squares.merge(&other.squares);
    }

    fn variance(&self) -> Option<f64> {
        (self.n >= 2).then(|| {
            let n = self.n as f64;
            let s = self.sum.value();
            ((self.squares.value() - s * s / n) / (n - 1.0)).max(0.0)
        })
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Group {
    expected: Moments,
    luck: Moments,
}

impl Group {
    fn merge(&mut self, other: &Group) {
        self.expected.merge(&other.expected);
        self.luck.merge(&other.luck);
    }

    fn assumptions_share(&self) -> Option<f64> {
        let (a, l) = (self.expected.variance()?, self.luck.variance()?);
        (a + l > 0.0).then(|| a / (a + l))
    }
}

/// The split of one metric's variance, accumulated over trials.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VarianceSplit {
    groups: Vec<Group>,
}

impl Default for VarianceSplit {
    fn default() -> Self {
        VarianceSplit {
            groups: vec![Group::default(); GROUPS],
        }
    }
}

/// Shares of the variance, each in [0, 1], summing to 1.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shares {
    pub assumptions: f64,
    pub luck: f64,
    /// Standard error of either share (between-group spread).
    pub se: f64,
}

impl VarianceSplit {
    /// Trial `trial`'s outcome `y` and its expectation given the trial's
    /// assumptions; undefined values are left out.
    pub fn add(&mut self, trial: u64, y: f64, expected: f64) {
        if !(y.is_finite() && expected.is_finite()) {
            return;
        }
        let g = &mut self.groups[(trial % GROUPS as u64) as usize];
        g.expected.add(expected);
        g.luck.add(y - expected);
    }

    pub fn merge(&mut self, other: &VarianceSplit) {
        for (a, b) in self.groups.iter_mut().zip(&other.groups) {
            a.merge(b);
        }
    }

    /// None with fewer than two trials or no variance at all.
    pub fn shares(&self) -> Option<Shares> {
        let mut all = Group::default();
        for g in &self.groups {
            all.merge(g);
        }
        let assumptions = all.assumptions_share()?;
        let per_group: Vec<f64> = self
            .groups
            .iter()
            .filter_map(Group::assumptions_share)
            .collect();
        let se = if per_group.len() >= 2 {
            let k = per_group.len() as f64;
            let mean = per_group.iter().sum::<f64>() / k;
            let var = per_group.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (k - 1.0);
            (var / k).sqrt()
        } else {
            f64::NAN
        };
        Some(Shares {
            assumptions,
            luck: 1.0 - assumptions,
            se,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};

    /// Y = A + L with A and L independent normals of known variances: the
    /// assumptions share must be Var(A)/(Var(A)+Var(L)) within its
    /// standard error, and splitting the trials in two and merging must
    /// give the same bits.
    #[test]
    fn recovers_a_known_split_and_merges_exactly() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        let (a, l) = (
            Normal::new(10.0, 3.0).unwrap(),
            Normal::new(0.0, 2.0).unwrap(),
        );
        let mut whole = VarianceSplit::default();
        let (mut first, mut second) = (VarianceSplit::default(), VarianceSplit::default());
        for trial in 0..20_000u64 {
            let e = a.sample(&mut rng);
            let y = e + l.sample(&mut rng);
            whole.add(trial, y, e);
            if trial % 3 == 0 {
                &mut first
            } else {
                &mut second
            }
            .add(trial, y, e);
        }
        first.merge(&second);
        let s = whole.shares().unwrap();
        assert_eq!(Some(s), first.shares());
        let want = 9.0 / 13.0;
        assert!((s.assumptions - want).abs() < 4.0 * s.se, "{s:?} vs {want}");
        assert!(s.se > 0.0 && s.se < 0.01, "{s:?}");
    }
}
