//! Many plans that each change one channel's spend, at the price of one
//! channel each (response curves).
//!
//! Paid channels do not interact within a trial: each draws from its own
//! streams and only adds its money and heads to the trial's ledger, which
//! the referral channel and the money then read. So a trial's paid
//! channels are simulated once at the base plan, each one's share kept;
//! a plan that changes channel c re-simulates c alone and puts the ledger
//! together from the channels before c, the new c, and the channels after
//! it. A sweep of every channel over P points then costs about
//! channels × P channel simulations per trial, not channels² × P.
//!
//! The ledger of a changed plan is summed as (before + c) + after rather
//! than channel by channel, so its money may differ from `simulate`'s in
//! the last bit; counts are exact either way. A plan equal to the base gets
//! the base's outcome, which is `simulate`'s to the bit.

use super::{
    EMPTY_ROW, Ledger, Outcome, PaidChannel, Position, Share, Totals, TrialMoney, Workspace,
    close_trial, paid_channel, referral_channel,
};
use crate::metrics::PerChannel;
use crate::scenario::{Scenario, money_total};

/// One trial's paid channels at the base plan, ready to be varied one
/// channel at a time. Buffers are reused from trial to trial.
#[derive(Debug, Default)]
pub struct Incremental {
    /// `before[c]`: the fixed cost and channels 0..c, added in `simulate`'s
    /// order (so `before[channels]` is `simulate`'s ledger).
    before: Vec<Ledger>,
    /// `after[c]`: channels c.. (`after[channels]` is empty).
    after: Vec<Ledger>,
    /// Each channel's spend at the base plan (0 for the referral channel).
    spends: Vec<f64>,
    spend_before: Vec<f64>,
    spend_after: Vec<f64>,
    /// Each channel's counts at the base plan.
    shares: Vec<Share>,
    /// Did a count of channel c hit the cap at the base plan?
    overflowed: Vec<bool>,
    /// `overflow_before[c]`: a count of channels 0..c hit the cap.
    overflow_before: Vec<bool>,
    overflow_after: Vec<bool>,
    totals: Totals,
    money: Option<TrialMoney>,
    /// The ledger of the plan being put together.
    ledger: Ledger,
    own: Ledger,
    position: Option<Position>,
}

impl Incremental {
    /// Simulates trial `trial` of the `base` plan given its assumption
    /// `draws`, keeping each paid channel's share; `out` (a full outcome)
    /// gets what `simulate` would give.
    #[allow(clippy::too_many_arguments)]
    pub fn prepare(
        &mut self,
        scenario: &Scenario,
        base: &[Vec<f64>],
        draws: &[f64],
        seed: u64,
        trial: u64,
        ws: &mut Workspace,
        out: &mut Outcome,
    ) {
        let horizon = scenario.horizon;
        let channels = scenario.channels.len();
        let at = Position { seed, trial };
        let money = TrialMoney::new(scenario, draws, ws);
        resize(&mut self.before, channels + 1);
        resize(&mut self.after, channels + 1);
        self.spends.clear();
        self.spend_before.clear();
        self.spend_after.clear();
        self.shares.clear();
        self.overflow_before.clear();
        self.overflow_after.clear();
        self.overflowed.clear();
        self.totals = Totals::default();
        money.open(&mut self.before[0], horizon);
        self.spend_before.push(0.0);
        self.overflow_before.push(false);
        for (ci, channel) in scenario.channels.iter().enumerate() {
            let row = &mut out.channels[ci];
            *row = EMPTY_ROW;
            // The channel's own ledger waits in `after[ci]` until the
            // suffixes are summed below.
            let own = &mut self.after[ci];
            own.reset(horizon);
            let (spend, share, overflow) = if channel.is_referral {
                (0.0, Share::default(), false)
            } else {
                let s = money_total(&base[ci]);
                row[PerChannel::Spend.index()] = s;
                ws.overflow = false;
                let paid = paid_channel(scenario, ci, &base[ci], s, draws, at, None, None, ws, own);
                if let Some(paid) = &paid {
                    paid.fill(row, money.gross_margin);
                }
                (
                    s,
                    paid.map_or_else(Share::default, |p| p.share),
                    ws.overflow,
                )
            };
            let (done, rest) = self.before.split_at_mut(ci + 1);
            rest[0].copy_from(&done[ci]);
            rest[0].add(&self.after[ci]);
            // The referral channel adds 0 to a sum that is never −0: the
            // same bits as `simulate`, which skips it.
            self.spend_before.push(self.spend_before[ci] + spend);
            self.spends.push(spend);
            self.overflow_before
                .push(self.overflow_before[ci] || overflow);
            self.overflowed.push(overflow);
            self.totals.add(&share);
            self.shares.push(share);
        }
        self.after[channels].reset(horizon);
        self.spend_after.resize(channels + 1, 0.0);
        self.overflow_after.resize(channels + 1, false);
        for ci in (0..channels).rev() {
            let (own, later) = self.after.split_at_mut(ci + 1);
            own[ci].add(&later[0]);
            self.spend_after[ci] = self.spends[ci] + self.spend_after[ci + 1];
            self.overflow_after[ci] = self.overflow_after[ci + 1] || self.overflowed[ci];
        }
        self.money = Some(money);
        self.position = Some(at);
        // The base plan itself: `simulate`'s ledger and totals.
        self.ledger.copy_from(&self.before[channels]);
        ws.overflow = self.overflow_before[channels];
        let totals = self.totals.clone();
        let spend = self.spend_before[channels];
        self.finish(scenario, draws, totals, spend, ws, out, true);
    }

    /// The prepared trial with channel `ci` spending `months` instead:
    /// `out`'s totals and months (its per-channel rows are left alone; an
    /// outcome made by `Outcome::totals_only` has none).
    #[allow(clippy::too_many_arguments)]
    pub fn vary(
        &mut self,
        scenario: &Scenario,
        ci: usize,
        months: &[f64],
        draws: &[f64],
        ws: &mut Workspace,
        out: &mut Outcome,
    ) {
        let Some(at) = self.position else {
            panic!("Incremental::vary before prepare");
        };
        let horizon = scenario.horizon;
        ws.overflow = false;
        self.own.reset(horizon);
        let total = money_total(months);
        let paid = paid_channel(
            scenario,
            ci,
            months,
            total,
            draws,
            at,
            None,
            None,
            ws,
            &mut self.own,
        );
        let share = paid
            .as_ref()
            .map_or_else(Share::default, |p: &PaidChannel| p.share);
        ws.overflow |= self.overflow_before[ci] || self.overflow_after[ci + 1];
        self.ledger.copy_from(&self.before[ci]);
        self.ledger.add(&self.own);
        self.ledger.add(&self.after[ci + 1]);
        let mut totals = self.totals.clone();
        totals.remove(&self.shares[ci]);
        totals.add(&share);
        let spend = (self.spend_before[ci] + total) + self.spend_after[ci + 1];
        self.finish(scenario, draws, totals, spend, ws, out, false);
    }
}

impl Incremental {
    /// The referral channel and the money of the plan whose paid channels
    /// are in `self.ledger` and `totals` (`with_row`: fill the referral
    /// channel's row too, for a full outcome).
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &mut self,
        scenario: &Scenario,
        draws: &[f64],
        mut totals: Totals,
        spend: f64,
        ws: &mut Workspace,
        out: &mut Outcome,
        with_row: bool,
    ) {
        let (Some(money), Some(at)) = (self.money, self.position) else {
            panic!("Incremental used before prepare");
        };
        let row = scenario
            .referral_index()
            .filter(|_| with_row)
            .map(|ri| &mut out.channels[ri]);
        referral_channel(
            scenario,
            draws,
            at,
            None,
            &money,
            &mut totals,
            ws,
            &mut self.ledger,
            row,
            None,
        );
        close_trial(&money, &totals, spend, ws, &self.ledger, out);
    }
}

fn resize(ledgers: &mut Vec<Ledger>, len: usize) {
    ledgers.resize_with(len, Ledger::default);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{draw_assumptions, simulate};
    use crate::metrics::{Monthly, Total};
    use std::path::Path;

    /// Three paid channels (one with an audience that saturates, one
    /// flighted), referrals feeding back, and drawn assumptions.
    const SCENARIO: &str = "stage,channel,metric,value
plan,*,horizon_months,9
plan,*,campaign_months,4
reach,a,spend,4000
reach,a,cost_per_visit,\"pert(0.8, 1.0, 1.4)\"
reach,a,audience,6000
reach,b,spend@1,3000
reach,b,spend@2,2500
reach,b,cost_per_visit,0.7
reach,c,spend,2000
reach,c,cost_per_visit,\"uniform(1, 2)\"
act,*,rate,\"beta(20, 80)\"
act,referral,rate,0.3
convert,*,rate,0.2
convert,*,order_value,\"lognormal(50, 10)\"
engage,*,churn,0.2
engage,*,repeat_rate,0.3
engage,*,repeat_order_value,40
engage,*,referral_rate,0.2
";

    /// A plan that changes one channel, put together from the others'
    /// shares, equals the same plan simulated whole: counts exactly, money
    /// to rounding. The base plan itself is `simulate`'s to the bit.
    #[test]
    fn a_varied_plan_is_the_whole_simulation_of_that_plan() {
        let s = crate::scenario::parse_str(Path::new("s.csv"), SCENARIO).expect("valid");
        let base = s.baseline_spend();
        let (mut ws, mut draws) = (Workspace::default(), Vec::new());
        let mut inc = Incremental::default();
        let (mut prepared, mut whole) = (Outcome::new(&s), Outcome::new(&s));
        let mut varied = Outcome::totals_only(&s);
        let mut compared = 0;
        for trial in 0..40 {
            draw_assumptions(&s, 7, trial, &mut draws);
            inc.prepare(&s, &base, &draws, 7, trial, &mut ws, &mut prepared);
            simulate(&s, &base, &draws, 7, trial, &mut ws, &mut whole);
            // Debug text prints every bit that matters (and NaN as NaN).
            assert_eq!(
                format!("{prepared:?}"),
                format!("{whole:?}"),
                "the base plan of trial {trial}"
            );
            for ci in 0..3 {
                for months in [
                    vec![0.0; 9],
                    s.spend_pattern(ci, 1234.5),
                    s.spend_pattern(ci, 9000.0),
                ] {
                    let mut plan = base.clone();
                    plan[ci] = months.clone();
                    inc.vary(&s, ci, &months, &draws, &mut ws, &mut varied);
                    simulate(&s, &plan, &draws, 7, trial, &mut ws, &mut whole);
                    for m in Total::ALL {
                        let (a, b) = (varied.total(m), whole.total(m));
                        let close = (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0);
                        assert!(
                            close || (a.is_nan() && b.is_nan()),
                            "{} of trial {trial}, channel {ci}: {a} against {b}",
                            m.name()
                        );
                    }
                    for (a, b) in varied.monthly.iter().zip(&whole.monthly) {
                        for k in [Monthly::ActiveCustomers, Monthly::Customers] {
                            assert_eq!(a[k.index()], b[k.index()]);
                        }
                    }
                    assert_eq!(varied.overflow, whole.overflow);
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, 40 * 9);
    }
}
