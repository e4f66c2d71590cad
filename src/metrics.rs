//! The output metrics of spec §5. Their order here is the order of every
//! per-trial array and of the JSON and CSV output, so it is part of the
//! stable interface: append, never reorder.

/// Metrics of a whole trial (all channels together).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Total {
    Spend,
    Cost,
    Visitors,
    Leads,
    Customers,
    Orders,
    RepeatOrders,
    Revenue,
    GrossProfit,
    Profit,
    Roi,
    Roas,
    Cac,
    Ltv,
    PaybackMonth,
    ActiveCustomers,
    Referrals,
    // Stage KPIs beyond spec §5, for the table and for targets.
    CostPerVisit,
    LeadRate,
    CostPerLead,
    AverageOrderValue,
}

impl Total {
    pub const ALL: [Total; 21] = [
        Total::Spend,
        Total::Cost,
        Total::Visitors,
        Total::Leads,
        Total::Customers,
        Total::Orders,
        Total::RepeatOrders,
        Total::Revenue,
        Total::GrossProfit,
        Total::Profit,
        Total::Roi,
        Total::Roas,
        Total::Cac,
        Total::Ltv,
        Total::PaybackMonth,
        Total::ActiveCustomers,
        Total::Referrals,
        Total::CostPerVisit,
        Total::LeadRate,
        Total::CostPerLead,
        Total::AverageOrderValue,
    ];
    pub const COUNT: usize = Self::ALL.len();

    pub fn name(self) -> &'static str {
        match self {
            Total::Spend => "spend",
            Total::Cost => "cost",
            Total::Visitors => "visitors",
            Total::Leads => "leads",
            Total::Customers => "customers",
            Total::Orders => "orders",
            Total::RepeatOrders => "repeat_orders",
            Total::Revenue => "revenue",
            Total::GrossProfit => "gross_profit",
            Total::Profit => "profit",
            Total::Roi => "roi",
            Total::Roas => "roas",
            Total::Cac => "cac",
            Total::Ltv => "ltv",
            Total::PaybackMonth => "payback_month",
            Total::ActiveCustomers => "active_customers",
            Total::Referrals => "referrals",
            Total::CostPerVisit => "cost_per_visit",
            Total::LeadRate => "lead_rate",
            Total::CostPerLead => "cost_per_lead",
            Total::AverageOrderValue => "average_order_value",
        }
    }

    pub fn from_name(name: &str) -> Option<Total> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    pub fn kind(self) -> Kind {
        match self {
            Total::Visitors
            | Total::Leads
            | Total::Customers
            | Total::Orders
            | Total::RepeatOrders
            | Total::ActiveCustomers
            | Total::Referrals => Kind::Count,
            Total::PaybackMonth => Kind::Month,
            Total::Roi | Total::Roas | Total::LeadRate => Kind::Ratio,
            _ => Kind::Money,
        }
    }

    /// Where the metric is shown: the RACE stage it measures, or money.
    pub fn group(self) -> Group {
        match self {
            Total::Visitors | Total::CostPerVisit => Group::Reach,
            Total::Leads | Total::LeadRate | Total::CostPerLead => Group::Act,
            Total::Customers
            | Total::Cac
            | Total::Revenue
            | Total::AverageOrderValue
            | Total::Orders => Group::Convert,
            Total::RepeatOrders | Total::ActiveCustomers | Total::Ltv | Total::Referrals => {
                Group::Engage
            }
            Total::Cost
            | Total::GrossProfit
            | Total::Profit
            | Total::Roi
            | Total::Roas
            | Total::PaybackMonth
            | Total::Spend => Group::Money,
        }
    }

    /// The metric's name for people (the terminal table, the workbook's
    /// `label` column, the report), saying what a bare name would not:
    /// which amounts are present values.
    pub fn label(self) -> &'static str {
        match self {
            Total::Spend => "spend",
            Total::Cost => "cost (PV)",
            Total::Visitors => "visitors",
            Total::Leads => "leads",
            Total::Customers => "customers",
            Total::Orders => "orders",
            Total::RepeatOrders => "repeat orders",
            Total::Revenue => "revenue (PV)",
            Total::GrossProfit => "gross profit",
            Total::Profit => "profit (NPV)",
            Total::Roi => "ROI",
            Total::Roas => "ROAS",
            Total::Cac => "CAC",
            Total::Ltv => "LTV",
            Total::PaybackMonth => "payback month",
            Total::ActiveCustomers => "active at horizon",
            Total::Referrals => "referrals",
            Total::CostPerVisit => "cost per visit",
            Total::LeadRate => "lead rate",
            Total::CostPerLead => "cost per lead",
            Total::AverageOrderValue => "average order value",
        }
    }

    /// Whether every trial defines the metric (money and counts); a ratio
    /// such as ROI or CAC is undefined (NaN) when its denominator is zero,
    /// and payback when a trial never pays back.
    pub fn always_defined(self) -> bool {
        !matches!(
            self,
            Total::Roi
                | Total::Roas
                | Total::Cac
                | Total::Ltv
                | Total::PaybackMonth
                | Total::CostPerVisit
                | Total::LeadRate
                | Total::CostPerLead
                | Total::AverageOrderValue
        )
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// The groups every output shows the totals in: the four RACE stages in
/// funnel order, then what the four together cost and earn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Reach,
    Act,
    Convert,
    Engage,
    Money,
}

impl Group {
    pub const ALL: [Group; 5] = [
        Group::Reach,
        Group::Act,
        Group::Convert,
        Group::Engage,
        Group::Money,
    ];

    /// As running text names it ("Reach: visitors"); headings write it in
    /// capitals.
    pub fn name(self) -> &'static str {
        match self {
            Group::Reach => "Reach",
            Group::Act => "Act",
            Group::Convert => "Convert",
            Group::Engage => "Engage",
            Group::Money => "Money",
        }
    }

    /// The people a stage ends with, its bar in a funnel chart: `None` for
    /// money, which is no stage of the funnel.
    pub fn people(self) -> Option<Total> {
        match self {
            Group::Reach => Some(Total::Visitors),
            Group::Act => Some(Total::Leads),
            Group::Convert => Some(Total::Customers),
            Group::Engage => Some(Total::ActiveCustomers),
            Group::Money => None,
        }
    }
}

/// Metrics of one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PerChannel {
    Spend,
    Visitors,
    Leads,
    Customers,
    Orders,
    Revenue,
    GrossProfit,
    Roi,
    /// Customers of the channel still active in the last month (racesim's
    /// addition to spec §5's per-channel list: the Engage end of a
    /// channel's funnel).
    ActiveCustomers,
    /// Present value of the channel's spend (its share of `cost`, without
    /// the fixed cost, which belongs to no channel).
    Cost,
    /// `cost` over the channel's customers; undefined without spend or
    /// without customers.
    Cac,
}

impl PerChannel {
    pub const ALL: [PerChannel; 11] = [
        PerChannel::Spend,
        PerChannel::Visitors,
        PerChannel::Leads,
        PerChannel::Customers,
        PerChannel::Orders,
        PerChannel::Revenue,
        PerChannel::GrossProfit,
        PerChannel::Roi,
        PerChannel::ActiveCustomers,
        PerChannel::Cost,
        PerChannel::Cac,
    ];
    pub const COUNT: usize = Self::ALL.len();

    pub fn name(self) -> &'static str {
        match self {
            PerChannel::Spend => "spend",
            PerChannel::Visitors => "visitors",
            PerChannel::Leads => "leads",
            PerChannel::Customers => "customers",
            PerChannel::Orders => "orders",
            PerChannel::Revenue => "revenue",
            PerChannel::GrossProfit => "gross_profit",
            PerChannel::Roi => "roi",
            PerChannel::ActiveCustomers => "active_customers",
            PerChannel::Cost => "cost",
            PerChannel::Cac => "cac",
        }
    }

    pub fn from_name(name: &str) -> Option<PerChannel> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    pub fn kind(self) -> Kind {
        match self {
            PerChannel::Visitors
            | PerChannel::Leads
            | PerChannel::Customers
            | PerChannel::Orders
            | PerChannel::ActiveCustomers => Kind::Count,
            PerChannel::Roi => Kind::Ratio,
            _ => Kind::Money,
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Month-by-month series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Monthly {
    Revenue,
    Cost,
    CumulativeProfit,
    ActiveCustomers,
    Customers,
}

impl Monthly {
    pub const ALL: [Monthly; 5] = [
        Monthly::Revenue,
        Monthly::Cost,
        Monthly::CumulativeProfit,
        Monthly::ActiveCustomers,
        Monthly::Customers,
    ];
    pub const COUNT: usize = Self::ALL.len();

    pub fn name(self) -> &'static str {
        match self {
            Monthly::Revenue => "revenue",
            Monthly::Cost => "cost",
            Monthly::CumulativeProfit => "cumulative_profit",
            Monthly::ActiveCustomers => "active_customers",
            Monthly::Customers => "customers",
        }
    }

    pub fn kind(self) -> Kind {
        match self {
            Monthly::ActiveCustomers | Monthly::Customers => Kind::Count,
            _ => Kind::Money,
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// A number's unit, the one description every output formats it by (the
/// terminal, CSV, workbook and report each write a unit their own way) and
/// quantile rounding reads: counts and months are whole numbers, so their
/// quantiles are too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Money,
    Count,
    Month,
    /// A ratio or a share: a terminal writes 0.250, a report 25.0 %.
    Ratio,
    /// A difference of two ratios (ROI 25 % against 20 %: 0.05), which a
    /// report writes in percentage points (5.0 pp) so it is not read as a
    /// relative change.
    Points,
}

impl Kind {
    pub fn is_whole(self) -> bool {
        matches!(self, Kind::Count | Kind::Month)
    }

    /// The unit of a difference of two values of this unit.
    pub fn difference(self) -> Kind {
        match self {
            Kind::Ratio => Kind::Points,
            kind => kind,
        }
    }
}

pub fn total_names() -> impl Iterator<Item = &'static str> {
    Total::ALL.into_iter().map(Total::name)
}

pub fn channel_names() -> impl Iterator<Item = &'static str> {
    PerChannel::ALL.into_iter().map(PerChannel::name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stage_ends_with_people_of_its_own_group() {
        for group in Group::ALL {
            match group.people() {
                Some(people) => {
                    assert_eq!(people.group(), group, "{people:?}");
                    assert_eq!(people.kind(), Kind::Count, "{people:?}");
                }
                None => assert_eq!(group, Group::Money),
            }
        }
    }
}
