//! The input metrics of spec §2.2: which stage owns each, its domain, its
//! default, and whether it must be a plain number.

use super::value::{Support, ValueSpec};

/// The largest amount of money an input may state (a spend, a cost, an
/// order value): far beyond any real budget, yet small enough that no sum
/// or product of such amounts over a simulation can overflow.
pub const MAX_MONEY: f64 = 1e12;

/// The largest coefficient of variation of order values: beyond it almost
/// every order is worth nearly nothing and a rare one almost everything,
/// which the gamma sums can no longer represent.
pub const MAX_ORDER_VALUE_CV: f64 = 100.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    Plan,
    Reach,
    Act,
    Convert,
    Engage,
    Target,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Plan,
        Stage::Reach,
        Stage::Act,
        Stage::Convert,
        Stage::Engage,
        Stage::Target,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Plan => "plan",
            Stage::Reach => "reach",
            Stage::Act => "act",
            Stage::Convert => "convert",
            Stage::Engage => "engage",
            Stage::Target => "target",
        }
    }

    pub fn from_name(name: &str) -> Option<Stage> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Input {
    HorizonMonths,
    CampaignMonths,
    GrossMargin,
    DiscountRate,
    FixedCost,
    Trials,
    Seed,
    Spend,
    CostPerVisit,
    Audience,
    ActRate,
    ConvertRate,
    OrderValue,
    OrderValueCv,
    RepeatRate,
    RepeatOrderValue,
    Churn,
    ChurnPolarization,
    ReferralRate,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Domain {
    /// In [0, 1].
    Rate,
    /// ≥ 0.
    NonNegative,
    /// > 0.
    Positive,
    /// An amount of money: ≥ 0 (> 0 if `positive`) and at most
    /// [`MAX_MONEY`]. A log-normal's unbounded tail is allowed, but its
    /// mean must be at most [`MAX_MONEY`].
    Money { positive: bool },
    /// In [0, max].
    UpTo(f64),
    /// In [0, 1): a polarization of 1 would make every customer churn at
    /// once or never, which the sBG model cannot express.
    Polarization,
    /// A whole number in [min, max].
    Whole { min: f64, max: f64 },
    /// A head count ≥ 1 (rounded to whole in each draw).
    Audience,
}

impl Domain {
    pub fn describe(self) -> String {
        match self {
            Domain::Rate => "a rate in [0, 1]".into(),
            Domain::NonNegative => "a value ≥ 0".into(),
            Domain::Positive => "a value > 0".into(),
            Domain::Money { positive } => format!(
                "an amount {} 0 and at most {MAX_MONEY:e}",
                if positive { ">" } else { "≥" }
            ),
            Domain::UpTo(max) => format!("a value from 0 to {max}"),
            Domain::Polarization => "a value in [0, 1)".into(),
            Domain::Whole { min, max } if max.is_finite() => {
                format!("a whole number from {min} to {max}")
            }
            Domain::Whole { min, .. } => format!("a whole number ≥ {min}"),
            Domain::Audience => "a head count ≥ 1".into(),
        }
    }

    /// Spec §2.2: a distribution is accepted only if its whole support lies
    /// inside the domain, so no draw can ever be out of range.
    pub fn contains(self, spec: &ValueSpec) -> bool {
        let Support {
            low,
            low_open,
            high,
            high_open,
        } = spec.support();
        let whole = |x: f64| x.fract() == 0.0;
        match self {
            Domain::Rate => low >= 0.0 && high <= 1.0,
            Domain::NonNegative => low >= 0.0,
            Domain::Positive => low > 0.0 || (low == 0.0 && low_open),
            Domain::Money { positive } => {
                let low_ok = if positive {
                    low > 0.0 || (low == 0.0 && low_open)
                } else {
                    low >= 0.0
                };
                let high_ok = match *spec {
                    ValueSpec::LogNormal { mean, .. } => mean <= MAX_MONEY,
                    _ => high <= MAX_MONEY,
                };
                low_ok && high_ok
            }
            Domain::UpTo(max) => low >= 0.0 && high <= max,
            Domain::Polarization => low >= 0.0 && (high < 1.0 || (high == 1.0 && high_open)),
            Domain::Whole { min, max } => {
                spec.is_number() && whole(low) && low >= min && low <= max
            }
            Domain::Audience => low >= 1.0,
        }
    }
}

pub struct InputDef {
    pub input: Input,
    pub stage: Stage,
    pub name: &'static str,
    pub domain: Domain,
    /// Fixed metrics take plain numbers only: they shape the simulation
    /// itself (horizon, budget) rather than describe an uncertain market.
    pub fixed: bool,
    pub meaning: &'static str,
}

const fn def(
    input: Input,
    stage: Stage,
    name: &'static str,
    domain: Domain,
    fixed: bool,
    meaning: &'static str,
) -> InputDef {
    InputDef {
        input,
        stage,
        name,
        domain,
        fixed,
        meaning,
    }
}

pub const INPUTS: [InputDef; 19] = [
    def(
        Input::HorizonMonths,
        Stage::Plan,
        "horizon_months",
        Domain::Whole {
            min: 1.0,
            max: 600.0,
        },
        true,
        "months simulated",
    ),
    def(
        Input::CampaignMonths,
        Stage::Plan,
        "campaign_months",
        Domain::Whole {
            min: 1.0,
            max: 600.0,
        },
        true,
        "months over which spend is spread",
    ),
    def(
        Input::GrossMargin,
        Stage::Plan,
        "gross_margin",
        Domain::Rate,
        false,
        "share of revenue that is gross profit",
    ),
    def(
        Input::DiscountRate,
        Stage::Plan,
        "discount_rate",
        Domain::NonNegative,
        false,
        "annual discount rate",
    ),
    def(
        Input::FixedCost,
        Stage::Plan,
        "fixed_cost",
        Domain::Money { positive: false },
        false,
        "one-off cost in month 1",
    ),
    def(
        Input::Trials,
        Stage::Plan,
        "trials",
        Domain::Whole {
            min: 1.0,
            max: 4_294_967_295.0,
        },
        true,
        "number of trials",
    ),
    def(
        Input::Seed,
        Stage::Plan,
        "seed",
        // Any u64 (spec §2): values past 2^53 are read exactly from their
        // digits by the parser, not through f64.
        Domain::Whole {
            min: 0.0,
            max: u64::MAX as f64,
        },
        true,
        "random seed",
    ),
    def(
        Input::Spend,
        Stage::Reach,
        "spend",
        Domain::Money { positive: false },
        true,
        "channel budget over the campaign",
    ),
    def(
        Input::CostPerVisit,
        Stage::Reach,
        "cost_per_visit",
        Domain::Money { positive: true },
        false,
        "cost of one visit at low spend",
    ),
    def(
        Input::Audience,
        Stage::Reach,
        "audience",
        Domain::Audience,
        false,
        "distinct people the channel can reach",
    ),
    def(
        Input::ActRate,
        Stage::Act,
        "rate",
        Domain::Rate,
        false,
        "visitor → lead probability",
    ),
    def(
        Input::ConvertRate,
        Stage::Convert,
        "rate",
        Domain::Rate,
        false,
        "lead → customer probability",
    ),
    def(
        Input::OrderValue,
        Stage::Convert,
        "order_value",
        Domain::Money { positive: true },
        false,
        "mean value of one order",
    ),
    def(
        Input::OrderValueCv,
        Stage::Convert,
        "order_value_cv",
        Domain::UpTo(MAX_ORDER_VALUE_CV),
        false,
        "coefficient of variation of order values",
    ),
    def(
        Input::RepeatRate,
        Stage::Engage,
        "repeat_rate",
        Domain::NonNegative,
        false,
        "orders per active customer per month",
    ),
    def(
        Input::RepeatOrderValue,
        Stage::Engage,
        "repeat_order_value",
        Domain::Money { positive: true },
        false,
        "mean value of a repeat order",
    ),
    def(
        Input::Churn,
        Stage::Engage,
        "churn",
        Domain::Rate,
        false,
        "mean monthly churn probability",
    ),
    def(
        Input::ChurnPolarization,
        Stage::Engage,
        "churn_polarization",
        Domain::Polarization,
        false,
        "customer heterogeneity in churn",
    ),
    def(
        Input::ReferralRate,
        Stage::Engage,
        "referral_rate",
        Domain::NonNegative,
        false,
        "referred visitors per active customer per month",
    ),
];

impl Input {
    pub fn def(self) -> &'static InputDef {
        INPUTS
            .iter()
            .find(|d| d.input == self)
            .expect("every input has a definition")
    }

    pub fn lookup(stage: Stage, name: &str) -> Option<Input> {
        INPUTS
            .iter()
            .find(|d| d.stage == stage && d.name == name)
            .map(|d| d.input)
    }

    pub fn names_for(stage: Stage) -> impl Iterator<Item = &'static str> {
        INPUTS
            .iter()
            .filter(move |d| d.stage == stage)
            .map(|d| d.name)
    }

    /// The stages that do have a metric of this name, to explain a row that
    /// put it under the wrong stage.
    pub fn stages_with(name: &str) -> Vec<&'static str> {
        INPUTS
            .iter()
            .filter(|d| d.name == name)
            .map(|d| d.stage.name())
            .collect()
    }

    /// Spec §2.2 defaults; `None` means required (or, for `audience`, absent).
    pub fn default_value(self) -> Option<f64> {
        match self {
            Input::HorizonMonths => Some(12.0),
            Input::CampaignMonths => Some(1.0),
            Input::GrossMargin => Some(1.0),
            Input::DiscountRate => Some(0.0),
            Input::FixedCost => Some(0.0),
            Input::Trials => Some(10_000.0),
            Input::Seed => Some(0.0),
            Input::Spend => Some(0.0),
            Input::OrderValueCv => Some(0.0),
            Input::RepeatRate => Some(0.0),
            Input::Churn => Some(1.0),
            Input::ChurnPolarization => Some(0.0),
            Input::ReferralRate => Some(0.0),
            Input::CostPerVisit
            | Input::Audience
            | Input::ActRate
            | Input::ConvertRate
            | Input::OrderValue
            | Input::RepeatOrderValue => None,
        }
    }
}

/// The inputs a channel carries, in display order.
pub const CHANNEL_INPUTS: [Input; 12] = [
    Input::Spend,
    Input::CostPerVisit,
    Input::Audience,
    Input::ActRate,
    Input::ConvertRate,
    Input::OrderValue,
    Input::OrderValueCv,
    Input::RepeatRate,
    Input::RepeatOrderValue,
    Input::Churn,
    Input::ChurnPolarization,
    Input::ReferralRate,
];

pub const PLAN_INPUTS: [Input; 7] = [
    Input::HorizonMonths,
    Input::CampaignMonths,
    Input::GrossMargin,
    Input::DiscountRate,
    Input::FixedCost,
    Input::Trials,
    Input::Seed,
];
