//! Expected visitors of a spend pattern (spec §7, §4.1), and how they move
//! when the channel's whole pattern is scaled.
//!
//! A channel's plan spends S_t = σ·w_t in month t, σ its total and w its
//! shape. Without an audience E[V_t] = σ·w_t/v_t. With an audience A,
//! E[U_t] = A·exp(−σ·X_{t−1}) people are not yet reached at month t, with
//! X_t = Σ_{j≤t} w_j/(v_j·A), so E[V_t] = E[U_t] − E[U_{t+1}]: both are
//! smooth in σ and their derivative is exact.

/// One channel's expected visitors as a function of its spend scale σ.
#[derive(Debug, Clone, Default)]
pub struct SpendResponse {
    /// σ: the pattern's total.
    total: f64,
    audience: Option<f64>,
    /// Per month (index t − 1): w_t/v_t without an audience, w_t/(v_t·A)
    /// with one.
    rate: Vec<f64>,
    /// X_t (cumulative `rate`) with an audience; X_0 = 0 at index 0.
    cumulative: Vec<f64>,
}

impl SpendResponse {
    /// `pattern[t − 1]` is the spend of month t; `cost_per_visit(t)` the
    /// month's cost of a visit.
    pub fn build(
        &mut self,
        pattern: &[f64],
        audience: Option<f64>,
        cost_per_visit: impl Fn(usize) -> f64,
    ) {
        let total: f64 = pattern.iter().sum();
        self.total = total;
        self.audience = audience;
        self.rate.clear();
        self.cumulative.clear();
        self.cumulative.push(0.0);
        let people = audience.unwrap_or(1.0);
        let mut x = 0.0;
        for (i, &s) in pattern.iter().enumerate() {
            let r = if s > 0.0 && total > 0.0 {
                s / total / (cost_per_visit(i + 1) * people)
            } else {
                0.0
            };
            x += r;
            self.rate.push(r);
            self.cumulative.push(x);
        }
    }

    /// E[V_t] at scale `sigma`.
    pub fn visitors_at(&self, sigma: f64, t: usize) -> f64 {
        let r = self.rate[t - 1];
        if r == 0.0 {
            return 0.0;
        }
        match self.audience {
            None => sigma * r,
            Some(a) => a * (-sigma * self.cumulative[t - 1]).exp() * -(-sigma * r).exp_m1(),
        }
    }

    /// ∂E[V_t]/∂σ at scale `sigma`.
    pub fn visitors_derivative_at(&self, sigma: f64, t: usize) -> f64 {
        let r = self.rate[t - 1];
        if r == 0.0 {
            return 0.0;
        }
        match self.audience {
            None => r,
            Some(a) => {
                let (before, after) = (self.cumulative[t - 1], self.cumulative[t]);
                a * (after * (-sigma * after).exp() - before * (-sigma * before).exp())
            }
        }
    }

    /// E[V_t] at the plan's own spend.
    pub fn visitors(&self, t: usize) -> f64 {
        self.visitors_at(self.total, t)
    }

    /// w_t/v_t (per person of the audience, with one): 0 in a month
    /// without spend.
    pub fn rate(&self, t: usize) -> f64 {
        self.rate[t - 1]
    }

    pub fn months(&self) -> usize {
        self.rate.len()
    }

    pub fn total(&self) -> f64 {
        self.total
    }

    /// Σ_t value(t)·E[V_t] as a function of σ, in the form
    /// slope·σ + Σ c·exp(−σ·r): returns the slope (channels without an
    /// audience) and hands each exponential term (c, r) to `emit`
    /// (channels with one; E[V_t] = A·(e^{−σX_{t−1}} − e^{−σX_t})).
    pub fn decompose(&self, value: impl Fn(usize) -> f64, mut emit: impl FnMut(f64, f64)) -> f64 {
        let mut slope = 0.0;
        for t in (1..=self.months()).filter(|&t| self.rate[t - 1] != 0.0) {
            let w = value(t);
            match self.audience {
                None => slope += w * self.rate[t - 1],
                Some(a) => {
                    emit(w * a, self.cumulative[t - 1]);
                    emit(-w * a, self.cumulative[t]);
                }
            }
        }
        slope
    }

    /// Σ_t value(t)·E[V_t] at scale `sigma`, and its derivative in σ.
    pub fn value_at(&self, sigma: f64, value: impl Fn(usize) -> f64) -> (f64, f64) {
        (1..=self.months())
            .filter(|&t| self.rate[t - 1] != 0.0)
            .fold((0.0, 0.0), |(v, d), t| {
                let w = value(t);
                (
                    v + w * self.visitors_at(sigma, t),
                    d + w * self.visitors_derivative_at(sigma, t),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(pattern: &[f64], audience: Option<f64>) -> SpendResponse {
        let mut r = SpendResponse::default();
        r.build(pattern, audience, |t| 1.0 + 0.25 * t as f64);
        r
    }

    #[test]
    fn audience_total_does_not_depend_on_phasing_at_one_cost() {
        // Spec §4.1: with one cost per visit the expected total is
        // A·(1 − exp(−ΣS/(v·A))) however the spend is phased.
        for pattern in [
            vec![300.0, 0.0, 700.0],
            vec![1000.0, 0.0, 0.0],
            vec![0.0, 500.0, 500.0],
        ] {
            let mut r = SpendResponse::default();
            r.build(&pattern, Some(800.0), |_| 1.5);
            let total: f64 = (1..=3).map(|t| r.visitors(t)).sum();
            let want = 800.0 * -(-1000.0f64 / (1.5 * 800.0)).exp_m1();
            assert!(
                (total - want).abs() < 1e-9 * want,
                "{pattern:?}: {total} vs {want}"
            );
        }
    }

    #[test]
    fn derivative_matches_a_fine_difference() {
        for audience in [None, Some(900.0)] {
            let r = response(&[200.0, 0.0, 500.0, 300.0], audience);
            for t in 1..=4 {
                let h = 1e-3;
                let fd = (r.visitors_at(1000.0 + h, t) - r.visitors_at(1000.0 - h, t)) / (2.0 * h);
                let exact = r.visitors_derivative_at(1000.0, t);
                assert!(
                    (fd - exact).abs() <= 1e-6 * exact.abs().max(1e-9),
                    "{audience:?} month {t}: {fd} vs {exact}"
                );
            }
        }
    }
}
