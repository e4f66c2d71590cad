//! Reading an actuals file (spec §9 "Actuals"): what a running campaign
//! really spent and brought in, month by month and channel by channel,
//! `month,channel,metric,value[,note]`.
//!
//! The rows come from analytics and ad-platform exports, so the CSV layer
//! is the scenario reader's (any column order, BOM, CRLF, comments) and a
//! value may be written as an export writes it (`"1,234"`, `$1,234.50`).
//! Everything the update would otherwise have to guess at is refused here
//! with its line: a channel the scenario does not simulate, a month past
//! the horizon or a gap in the months, a count that is not a whole number,
//! a funnel that grows on the way down (more leads than visitors).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::error::{InputError, InputProblem, clip};
use crate::fit::data::{count, number};
use crate::metrics::Kind;
use crate::scenario::{MAX_MONEY, REFERRAL, Scenario};
use crate::suggest::did_you_mean;

const COLUMNS: [&str; 5] = ["month", "channel", "metric", "value", "note"];

/// What one actuals row measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActualMetric {
    /// Money spent on the channel in the month (nominal).
    Spend,
    /// New visitors the channel brought (§4.1's V_t).
    Visitors,
    Leads,
    /// New customers (first orders).
    Customers,
    /// Revenue booked in the month (nominal); checked, never learned from.
    Revenue,
}

impl ActualMetric {
    pub const ALL: [ActualMetric; 5] = [
        ActualMetric::Spend,
        ActualMetric::Visitors,
        ActualMetric::Leads,
        ActualMetric::Customers,
        ActualMetric::Revenue,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ActualMetric::Spend => "spend",
            ActualMetric::Visitors => "visitors",
            ActualMetric::Leads => "leads",
            ActualMetric::Customers => "customers",
            ActualMetric::Revenue => "revenue",
        }
    }

    pub fn from_name(name: &str) -> Option<ActualMetric> {
        ActualMetric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Head counts, which must be whole; the others are money.
    pub fn is_count(self) -> bool {
        matches!(
            self,
            ActualMetric::Visitors | ActualMetric::Leads | ActualMetric::Customers
        )
    }

    /// The unit of a name's values (money for a name that is none of these).
    pub fn kind_of(name: &str) -> Kind {
        match ActualMetric::from_name(name) {
            Some(m) if m.is_count() => Kind::Count,
            _ => Kind::Money,
        }
    }

    /// The funnel's counts, top to bottom.
    pub const FUNNEL: [ActualMetric; 3] = [
        ActualMetric::Visitors,
        ActualMetric::Leads,
        ActualMetric::Customers,
    ];
}

/// One observed value with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Actual {
    pub value: f64,
    pub line: u64,
    pub note: String,
}

/// The actuals of months 1..=`months`, by channel (`scenario.channels`
/// index), month and metric.
#[derive(Debug, Clone)]
pub struct Actuals {
    pub path: PathBuf,
    /// m: the last observed month (every month 1..=m has some row).
    pub months: usize,
    values: HashMap<(usize, usize, ActualMetric), Actual>,
}

impl Actuals {
    /// Reads and checks an actuals file against the scenario it tracks.
    pub fn load(path: &Path, scenario: &Scenario) -> Result<Actuals, InputError> {
        let bytes = std::fs::read(path).map_err(|e| {
            InputError::single(
                path,
                InputProblem::whole_file(format!("cannot read the actuals file: {e}")),
            )
        })?;
        let text = crate::scenario::decode_utf8(path, &bytes)?;
        Actuals::parse_str(path, text, scenario)
    }

    /// Actuals from text (`path` names the file in errors).
    pub fn parse_str(path: &Path, text: &str, scenario: &Scenario) -> Result<Actuals, InputError> {
        let rows = crate::scenario::read_table(
            path,
            text,
            &crate::scenario::TableSpec {
                columns: &COLUMNS,
                required: &COLUMNS[..4],
                number_column: "value",
            },
        )?;
        let mut reader = Reader {
            scenario,
            problems: Vec::new(),
            values: HashMap::new(),
            first_line_of_month: BTreeMap::new(),
        };
        for (line, cells) in rows {
            reader.row(line, cells);
        }
        reader.finish(path)
    }

    /// The observed value, if the file gives it.
    pub fn get(&self, channel: usize, month: usize, metric: ActualMetric) -> Option<f64> {
        self.values.get(&(channel, month, metric)).map(|a| a.value)
    }

    /// The line of the file that gives it, for messages.
    pub fn line(&self, channel: usize, month: usize, metric: ActualMetric) -> Option<usize> {
        self.values
            .get(&(channel, month, metric))
            .map(|a| a.line as usize)
    }

    /// The row's note, when it has one.
    pub fn note(&self, channel: usize, month: usize, metric: ActualMetric) -> Option<&str> {
        self.values
            .get(&(channel, month, metric))
            .map(|a| a.note.as_str())
            .filter(|n| !n.is_empty())
    }

    /// Every observed value: (channel, month, metric) and the row, sorted
    /// by channel, month, metric.
    pub fn iter(&self) -> Vec<((usize, usize, ActualMetric), &Actual)> {
        let mut all: Vec<_> = self.values.iter().map(|(k, v)| (*k, v)).collect();
        all.sort_by_key(|(k, _)| *k);
        all
    }

    /// Does some row give this channel's `metric` in any month?
    pub fn observes(&self, channel: usize, metric: ActualMetric) -> bool {
        (1..=self.months).any(|t| self.get(channel, t, metric).is_some())
    }

    /// Spend by channel and month (`[ci][t − 1]`, the horizon long): the
    /// actual spend of months 1..=m where given, `plan`'s elsewhere.
    pub fn spend_with(&self, plan: &[Vec<f64>]) -> Vec<Vec<f64>> {
        plan.iter()
            .enumerate()
            .map(|(ci, months)| {
                months
                    .iter()
                    .enumerate()
                    .map(|(i, s)| self.get(ci, i + 1, ActualMetric::Spend).unwrap_or(*s))
                    .collect()
            })
            .collect()
    }
}

struct Reader<'s> {
    scenario: &'s Scenario,
    problems: Vec<InputProblem>,
    values: HashMap<(usize, usize, ActualMetric), Actual>,
    first_line_of_month: BTreeMap<usize, u64>,
}

impl Reader<'_> {
    fn row(&mut self, line: u64, cells: Vec<String>) {
        let [month, channel, metric, value, note]: [String; 5] =
            cells.try_into().expect("one cell per column");
        let horizon = self.scenario.horizon;
        let month = match read_month(&month, horizon) {
            Ok(k) => k,
            Err(p) => {
                self.problems.push(p.at_line(line));
                return;
            }
        };
        let channel_name = channel.to_ascii_lowercase();
        let Some(ci) = self.scenario.channel_index(&channel_name) else {
            let names = || self.scenario.channels.iter().map(|c| c.name.as_str());
            let help = if channel_name == "*" {
                Some(format!(
                    "actuals are per channel: give each channel its own rows ({})",
                    crate::error::list(names())
                ))
            } else if channel_name == REFERRAL {
                Some(
                    "the scenario simulates no referrals (no referral_rate > 0), so it has no `referral` channel"
                        .to_string(),
                )
            } else {
                did_you_mean(&channel_name, names()).or_else(|| {
                    Some(format!(
                        "the scenario's channels are: {}",
                        crate::error::list(names())
                    ))
                })
            };
            self.problems.push(
                InputProblem::at(line, format!("unknown channel `{}`", clip(&channel)))
                    .help_opt(help),
            );
            return;
        };
        let metric_name = metric.to_ascii_lowercase();
        let Some(metric) = ActualMetric::from_name(&metric_name) else {
            let names = ActualMetric::ALL.map(ActualMetric::name);
            let help = did_you_mean(&metric_name, names)
                .unwrap_or_else(|| format!("the metrics are {}", names.join(", ")));
            self.problems.push(
                InputProblem::at(line, format!("unknown metric `{}`", clip(&metric))).help(help),
            );
            return;
        };
        let c = &self.scenario.channels[ci];
        let read = if metric.is_count() {
            count(line, metric.name(), &value).map(|n| n as f64)
        } else {
            number(line, metric.name(), &value).and_then(|x| money(line, metric, &value, x))
        };
        let x = match read {
            Ok(x) => x,
            Err(p) => {
                self.problems.push(p);
                return;
            }
        };
        if metric == ActualMetric::Spend && x > 0.0 {
            if c.is_referral {
                self.problems.push(
                    InputProblem::at(line, "the built-in `referral` channel has no spend")
                        .help("referred visitors come from customers, not from media spend; leave spend out for `referral`"),
                );
                return;
            }
            let mut months = vec![0.0; horizon];
            months[month - 1] = x;
            if let Err(why) = self.scenario.check_channel_spend(ci, &months) {
                self.problems.push(InputProblem::at(line, why).help(
                    "add the channel's missing assumptions to the scenario, so that racesim can turn its spend into visitors",
                ));
                return;
            }
        }
        if let Some(first) = self.values.get(&(ci, month, metric)) {
            self.problems.push(
                InputProblem::at(
                    line,
                    format!(
                        "{} of channel `{}` in month {month} is given twice (first on line {})",
                        metric.name(),
                        c.name,
                        first.line
                    ),
                )
                .help(
                    "keep one row per month, channel and metric (a month's total, not its parts)",
                ),
            );
            return;
        }
        self.first_line_of_month.entry(month).or_insert(line);
        self.values.insert(
            (ci, month, metric),
            Actual {
                value: x,
                line,
                note,
            },
        );
    }

    fn finish(mut self, path: &Path) -> Result<Actuals, InputError> {
        self.check_funnel();
        let months = self.first_line_of_month.keys().last().copied().unwrap_or(0);
        if months == 0 && self.problems.is_empty() {
            self.problems.push(
                InputProblem::whole_file("the actuals file has no rows").help(
                    "add rows such as `1,search,visitors,41000`: month, channel, metric, value",
                ),
            );
        }
        let missing: Vec<usize> = (1..months)
            .filter(|k| !self.first_line_of_month.contains_key(k))
            .collect();
        if let Some(&k) = missing.first() {
            let next = (k + 1..=months)
                .find_map(|j| self.first_line_of_month.get(&j).map(|&l| (j, l)))
                .expect("the last month has rows");
            let gap = if missing.len() == 1 {
                format!("month {k}")
            } else {
                format!(
                    "months {}",
                    missing
                        .iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            self.problems.push(
                InputProblem::at(
                    next.1,
                    format!(
                        "no actuals for {gap}, but month {} has some: actuals run from month 1 without gaps",
                        next.0
                    ),
                )
                .help(format!(
                    "add the rows of {gap} (months count from the campaign's start), or leave out the months after the gap"
                )),
            );
        }
        if !self.problems.is_empty() {
            self.problems.sort_by_key(|p| p.line.unwrap_or(u64::MAX));
            return Err(InputError {
                file: path.to_path_buf(),
                problems: self.problems,
            });
        }
        Ok(Actuals {
            path: path.to_path_buf(),
            months,
            values: self.values,
        })
    }

    /// The funnel only narrows: a month's leads are some of its visitors,
    /// its customers some of its leads (or of its visitors when the leads
    /// are not given).
    fn check_funnel(&mut self) {
        let mut found = Vec::new();
        for (&(ci, month, metric), below) in &self.values {
            let Some(pos) = ActualMetric::FUNNEL.iter().position(|&m| m == metric) else {
                continue;
            };
            let above = ActualMetric::FUNNEL[..pos]
                .iter()
                .rev()
                .find_map(|&m| self.values.get(&(ci, month, m)).map(|a| (m, a)));
            if let Some((upper, a)) = above
                && below.value > a.value
            {
                found.push(
                    InputProblem::at(
                        below.line,
                        format!(
                            "{} {} of channel `{}` in month {month} are more than its {} {} (line {})",
                            below.value,
                            metric.name(),
                            self.scenario.channels[ci].name,
                            a.value,
                            upper.name(),
                            a.line
                        ),
                    )
                    .help(format!(
                        "every one of a month's {} is one of its {}: check both rows come from the same channel, month and definition",
                        metric.name(),
                        upper.name()
                    )),
                );
            }
        }
        self.problems.append(&mut found);
    }
}

trait AtLine {
    fn at_line(self, line: u64) -> InputProblem;
}

impl AtLine for InputProblem {
    fn at_line(mut self, line: u64) -> InputProblem {
        self.line = Some(line);
        self
    }
}

/// Money: ≥ 0 and no more than any input allows.
fn money(line: u64, metric: ActualMetric, cell: &str, x: f64) -> Result<f64, InputProblem> {
    if x < 0.0 {
        return Err(InputProblem::at(
            line,
            format!("{} `{}` is negative", metric.name(), clip(cell)),
        )
        .help(format!(
            "{} is money, ≥ 0 (a refund belongs in the month's net revenue)",
            metric.name()
        )));
    }
    if x > MAX_MONEY {
        return Err(InputProblem::at(
            line,
            format!("{} `{}` is too large", metric.name(), clip(cell)),
        )
        .help(format!("money must be at most {MAX_MONEY:e}")));
    }
    Ok(x)
}

/// A whole month 1..=horizon, counted from the campaign's start.
fn read_month(cell: &str, horizon: usize) -> Result<usize, InputProblem> {
    let text = cell.trim();
    let allowed = format!(
        "a month is a whole number from 1 to {horizon} (the scenario's horizon_months), counted from the campaign's start"
    );
    if text.is_empty() {
        return Err(InputProblem::whole_file("the month is empty").help(allowed));
    }
    match crate::scenario::value::read_number(text) {
        Ok(k) if k.fract() == 0.0 && k >= 1.0 && k <= horizon as f64 => Ok(k as usize),
        Ok(k) if k.fract() == 0.0 && k > horizon as f64 => Err(InputProblem::whole_file(format!(
            "month `{}` is beyond the horizon of {horizon} months",
            clip(text)
        ))
        .help(allowed)),
        _ => Err(
            InputProblem::whole_file(format!("month `{}` is not a month number", clip(text)))
                .help(allowed),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const SCENARIO: &str = "stage,channel,metric,value\n\
plan,*,horizon_months,12\n\
plan,*,campaign_months,6\n\
reach,search,spend,60000\n\
reach,search,cost_per_visit,\"pert(0.9, 1.2, 1.8)\"\n\
reach,search,audience,400000\n\
reach,social,spend,30000\n\
reach,social,cost_per_visit,0.8\n\
reach,display,audience,1000\n\
act,*,rate,\"beta(42, 958)\"\n\
convert,*,rate,0.08\n\
convert,*,order_value,85\n";

    fn scenario() -> Scenario {
        crate::scenario::parse_str(Path::new("s.csv"), SCENARIO).unwrap()
    }

    fn read(text: &str) -> Result<Actuals, InputError> {
        Actuals::parse_str(Path::new("a.csv"), text, &scenario())
    }

    fn error(text: &str) -> String {
        read(text).unwrap_err().to_string()
    }

    #[test]
    fn reads_a_tolerant_file() {
        let a = read(
            "\u{feff}Month,Channel,Metric,Value,Note\r\n\
             # first month\r\n\
             1,Search,spend,\"10,000\",invoice 17\r\n\
             1,search,visitors,8100,\r\n\
             1,search,leads,610,\r\n\
             \r\n\
             2,search,visitors,7900,\r\n\
             2,social,revenue,$1234.50,\r\n",
        )
        .unwrap();
        assert_eq!(a.months, 2);
        let search = 0;
        assert_eq!(a.get(search, 1, ActualMetric::Spend), Some(10000.0));
        assert_eq!(a.note(search, 1, ActualMetric::Spend), Some("invoice 17"));
        assert_eq!(a.note(search, 1, ActualMetric::Visitors), None);
        assert_eq!(a.line(search, 1, ActualMetric::Leads), Some(5));
        assert_eq!(a.line(search, 2, ActualMetric::Visitors), Some(7));
        assert_eq!(a.get(1, 2, ActualMetric::Revenue), Some(1234.5));
        assert_eq!(a.get(search, 2, ActualMetric::Leads), None);
        let spend = a.spend_with(&scenario().baseline_spend());
        assert_eq!(spend[0][0], 10000.0);
        assert_eq!(spend[0][1], 10000.0);
        assert!(a.observes(search, ActualMetric::Leads));
        assert!(!a.observes(1, ActualMetric::Leads));
    }

    #[test]
    fn an_unknown_channel_is_named_with_a_suggestion() {
        let e = error("month,channel,metric,value\n1,serach,visitors,10\n");
        assert!(e.contains("a.csv:2: unknown channel `serach`"), "{e}");
        assert!(e.contains("did you mean `search`?"), "{e}");
        let e = error("month,channel,metric,value\n1,*,visitors,10\n");
        assert!(e.contains("actuals are per channel"), "{e}");
        let e = error("month,channel,metric,value\n1,referral,visitors,10\n");
        assert!(e.contains("no `referral` channel"), "{e}");
    }

    #[test]
    fn an_unknown_metric_is_named_with_a_suggestion() {
        let e = error("month,channel,metric,value\n1,search,visits,10\n");
        assert!(e.contains("a.csv:2: unknown metric `visits`"), "{e}");
        assert!(e.contains("did you mean `visitors`?"), "{e}");
    }

    #[test]
    fn a_month_beyond_the_horizon_or_not_a_month_is_refused() {
        let e = error("month,channel,metric,value\n13,search,visitors,10\n");
        assert!(
            e.contains("a.csv:2: month `13` is beyond the horizon of 12 months"),
            "{e}"
        );
        assert!(e.contains("from 1 to 12"), "{e}");
        for bad in ["0", "1.5", "jan", "-1"] {
            let e = error(&format!(
                "month,channel,metric,value\n{bad},search,visitors,10\n"
            ));
            assert!(e.contains("is not a month number"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_gap_in_the_months_is_refused() {
        let e = error(
            "month,channel,metric,value\n1,search,visitors,10\n3,search,visitors,10\n4,search,visitors,10\n",
        );
        assert!(
            e.contains("a.csv:3: no actuals for month 2, but month 3 has some"),
            "{e}"
        );
        let e = error("month,channel,metric,value\n3,search,visitors,10\n");
        assert!(e.contains("no actuals for months 1, 2"), "{e}");
    }

    #[test]
    fn a_duplicate_is_refused_with_the_first_line() {
        let e = error("month,channel,metric,value\n1,search,visitors,10\n1,SEARCH,Visitors,12\n");
        assert!(
            e.contains(
                "a.csv:3: visitors of channel `search` in month 1 is given twice (first on line 2)"
            ),
            "{e}"
        );
    }

    #[test]
    fn the_funnel_only_narrows() {
        let e = error("month,channel,metric,value\n1,search,visitors,100\n1,search,leads,120\n");
        assert!(
            e.contains("a.csv:3: 120 leads of channel `search` in month 1 are more than its 100 visitors (line 2)"),
            "{e}"
        );
        let e = error("month,channel,metric,value\n1,search,leads,10\n1,search,customers,11\n");
        assert!(e.contains("a.csv:3: 11 customers"), "{e}");
        assert!(e.contains("10 leads (line 2)"), "{e}");
        // Without leads, customers are checked against the visitors.
        let e = error("month,channel,metric,value\n1,search,visitors,10\n1,search,customers,11\n");
        assert!(e.contains("more than its 10 visitors"), "{e}");
        // Another month or channel is no constraint.
        read("month,channel,metric,value\n1,search,visitors,10\n2,search,leads,11\n1,social,leads,50\n")
            .unwrap();
    }

    #[test]
    fn counts_are_whole_and_not_negative() {
        let e = error("month,channel,metric,value\n1,search,visitors,-3\n");
        assert!(e.contains("a.csv:2: visitors `-3` is negative"), "{e}");
        let e = error("month,channel,metric,value\n1,search,leads,2.5\n");
        assert!(
            e.contains("a.csv:2: leads `2.5` is not a whole number"),
            "{e}"
        );
        let e = error("month,channel,metric,value\n1,search,spend,-5\n");
        assert!(e.contains("a.csv:2: spend `-5` is negative"), "{e}");
        let e = error("month,channel,metric,value\n1,search,revenue,1e300\n");
        assert!(e.contains("revenue `1e300` is too large"), "{e}");
    }

    #[test]
    fn non_finite_values_are_refused() {
        for bad in ["inf", "NaN", "1e400", ""] {
            let e = error(&format!(
                "month,channel,metric,value\n1,search,spend,{bad}\n"
            ));
            assert!(e.contains("a.csv:2: spend"), "{bad}: {e}");
            let e = error(&format!(
                "month,channel,metric,value\n1,search,visitors,{bad}\n"
            ));
            assert!(e.contains("a.csv:2: visitors"), "{bad}: {e}");
        }
    }

    #[test]
    fn spend_needs_a_channel_that_can_turn_it_into_visitors() {
        let e = error("month,channel,metric,value\n1,display,spend,500\n");
        assert!(
            e.contains("a.csv:2: channel `display` gets spend 500 in month 1"),
            "{e}"
        );
        assert!(e.contains("reach.cost_per_visit"), "{e}");
        // Zero spend needs nothing.
        read("month,channel,metric,value\n1,display,spend,0\n").unwrap();
    }

    #[test]
    fn an_empty_file_or_a_bad_header_is_refused() {
        let e = error("month,channel,metric,value\n");
        assert!(e.contains("a.csv: the actuals file has no rows"), "{e}");
        let e = error("month,channel,metrc,value\n1,search,visitors,3\n");
        assert!(e.contains("did you mean `metric`?"), "{e}");
    }

    #[test]
    fn every_problem_of_the_file_is_reported_at_once() {
        let e = read("month,channel,metric,value\n1,serach,visitors,10\n2,search,leads,x\n")
            .unwrap_err();
        assert_eq!(e.problems.len(), 2, "{e}");
        assert_eq!(
            crate::error::Error::from(e).exit_code(),
            crate::error::EXIT_INPUT
        );
    }
}
