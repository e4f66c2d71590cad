//! Money (spec §4.5): discounting and the financial metrics of a trial.

/// Monthly discount factors (1 + r)^(−t/12) for t in 0..=horizon.
pub fn discount_factors(annual_rate: f64, horizon: usize, out: &mut Vec<f64>) {
    out.clear();
    let log_rate = annual_rate.ln_1p();
    out.extend((0..=horizon).map(|t| (-log_rate * t as f64 / 12.0).exp()));
}

/// `numerator / denominator`, or undefined (NaN) when the denominator is 0.
#[inline]
pub fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator > 0.0 {
        numerator / denominator
    } else {
        f64::NAN
    }
}

/// The first month whose cumulative discounted profit is ≥ 0, or NaN.
pub fn payback_month(cumulative_profit: &[f64]) -> f64 {
    cumulative_profit
        .iter()
        .position(|&p| p >= 0.0)
        .map_or(f64::NAN, |i| (i + 1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discount_factors_match_closed_form() {
        let mut d = Vec::new();
        discount_factors(0.1, 24, &mut d);
        for (t, f) in d.iter().enumerate() {
            let want = 1.1f64.powf(-(t as f64) / 12.0);
            assert!((f - want).abs() < 1e-14, "month {t}: {f} vs {want}");
        }
        discount_factors(0.0, 3, &mut d);
        assert_eq!(d, vec![1.0; 4]);
    }

    #[test]
    fn payback_is_first_nonnegative_month() {
        assert_eq!(payback_month(&[-3.0, -1.0, 0.0, 2.0]), 3.0);
        assert!(payback_month(&[-3.0, -1.0]).is_nan());
    }
}
