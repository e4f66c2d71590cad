//! `run --samples FILE`: every simulated trial as a CSV row, streamed.
//!
//! The rows come from the very blocks of trials the summary is built from
//! (the writer is one more collector of the same run), so each column's
//! mean is the summary's mean. Workers finish blocks out of order; the
//! writer puts them back in trial order with a reorder buffer whose memory
//! is bounded: a block that arrives early while the buffer is full is
//! parked in an anonymous temporary file instead, so memory stays flat
//! however many trials run (the file on disk grows, not the process).

use std::collections::BTreeMap;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result, anyhow};

use crate::metrics::Total;
use crate::output::AtomicFile;
use crate::scenario::Scenario;
use crate::simulation::{Block, Collector};

/// Bytes of early blocks kept in memory before they go to disk.
pub const MAX_BUFFERED_BYTES: usize = 8 << 20;

/// The columns: `plan`, `trial`, each drawn assumption as `drivers` names
/// it, then every total metric.
pub fn header(scenario: &Scenario) -> Vec<String> {
    ["plan".to_string(), "trial".to_string()]
        .into_iter()
        .chain(crate::drivers::inputs(scenario).into_iter().map(|i| i.name))
        .chain(Total::ALL.iter().map(|m| m.name().to_string()))
        .collect()
}

/// A block's rows, waiting for the blocks before it.
enum Parked {
    Memory(Vec<u8>),
    Disk(std::fs::File),
}

/// Puts chunks of output keyed by their first trial back in trial order.
pub struct Reorder<W: Write> {
    out: W,
    /// The first trial not yet written.
    next: u64,
    /// Early chunks by first trial, with their trial counts.
    parked: BTreeMap<u64, (u64, Parked)>,
    buffered: usize,
    limit: usize,
    /// The most bytes ever held in memory, for the bound's test.
    pub peak_buffered: usize,
}

impl<W: Write> Reorder<W> {
    pub fn new(out: W, first_trial: u64, limit: usize) -> Self {
        Reorder {
            out,
            next: first_trial,
            parked: BTreeMap::new(),
            buffered: 0,
            limit,
            peak_buffered: 0,
        }
    }

    /// Takes the rows of trials `first..first + trials`.
    pub fn push(&mut self, first: u64, trials: u64, bytes: Vec<u8>) -> Result<()> {
        if first != self.next {
            let parked = if self.buffered + bytes.len() > self.limit {
                let mut f = tempfile::tempfile().context("cannot create a temporary file")?;
                f.write_all(&bytes)
                    .context("cannot write a temporary file")?;
                Parked::Disk(f)
            } else {
                self.buffered += bytes.len();
                self.peak_buffered = self.peak_buffered.max(self.buffered);
                Parked::Memory(bytes)
            };
            self.parked.insert(first, (trials, parked));
            return Ok(());
        }
        self.out.write_all(&bytes).context("cannot write")?;
        self.next += trials;
        while let Some((trials, parked)) = self.parked.remove(&self.next) {
            match parked {
                Parked::Memory(b) => {
                    self.buffered -= b.len();
                    self.out.write_all(&b).context("cannot write")?;
                }
                Parked::Disk(mut f) => {
                    f.seek(SeekFrom::Start(0))
                        .and_then(|_| std::io::copy(&mut f, &mut self.out))
                        .context("cannot read back a temporary file")?;
                }
            }
            self.next += trials;
        }
        Ok(())
    }

    /// The output, once trials up to `end` were all written.
    pub fn finish(self, end: u64) -> Result<W> {
        if self.next != end || !self.parked.is_empty() {
            return Err(anyhow!(
                "the samples stop at trial {} of {end}: some trials were never written",
                self.next
            ));
        }
        Ok(self.out)
    }
}

/// The samples file being written while a run goes on.
pub struct SampleWriter {
    state: Mutex<State>,
}

struct State {
    rows: Reorder<BufWriter<AtomicFile>>,
    /// The first failure; later blocks are dropped, `finish` reports it.
    error: Option<anyhow::Error>,
}

impl SampleWriter {
    /// Starts `path` (put in place by `finish`, not before) with its header.
    pub fn create(path: &Path, scenario: &Scenario) -> Result<SampleWriter> {
        let mut out = BufWriter::with_capacity(1 << 16, AtomicFile::create(path)?);
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(header(scenario))?;
        out.write_all(&w.into_inner().map_err(|e| anyhow!("{e}"))?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(SampleWriter {
            state: Mutex::new(State {
                rows: Reorder::new(out, 0, MAX_BUFFERED_BYTES),
                error: None,
            }),
        })
    }

    /// A collector feeding this writer (one per worker).
    pub fn collector(&self) -> SampleRows<'_> {
        SampleRows { writer: self }
    }

    /// Puts the file in place once all `trials` are written.
    pub fn finish(self, path: &Path, trials: u64) -> Result<()> {
        let state = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = state.error {
            return Err(e.context(format!("cannot write the samples {}", path.display())));
        }
        let out = state.rows.finish(trials)?;
        out.into_inner()
            .map_err(|e| anyhow!("cannot write {}: {}", path.display(), e.error()))?
            .commit()
    }
}

/// One worker's handle on the samples file.
pub struct SampleRows<'a> {
    writer: &'a SampleWriter,
}

/// The rows of a block: for each trial, one row per plan in plan order.
/// Numbers are in shortest round-trip form, so they read back as the very
/// values summarised; an undefined value (a CAC without customers) is an
/// empty cell, as the summary leaves it out.
fn render(block: &Block) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let number = |x: f64| {
        if x.is_finite() {
            x.to_string()
        } else {
            String::new()
        }
    };
    for (i, draws) in block.draws.iter().enumerate() {
        let trial = (block.first_trial + i as u64 + 1).to_string();
        for (p, plan) in block.plans.iter().enumerate() {
            let o = &block.outcomes(p)[i];
            let record = [plan.name.clone(), trial.clone()]
                .into_iter()
                .chain(draws.iter().map(|x| number(*x)))
                .chain(Total::ALL.iter().map(|m| {
                    if o.overflow {
                        String::new()
                    } else {
                        number(o.total(*m))
                    }
                }));
            w.write_record(record)?;
        }
    }
    w.into_inner().map_err(|e| anyhow!("{e}"))
}

impl Collector for SampleRows<'_> {
    fn add(&mut self, block: &Block) {
        let rendered = render(block);
        let mut state = self.writer.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.error.is_some() {
            return;
        }
        let result = rendered.and_then(|bytes| {
            state
                .rows
                .push(block.first_trial, block.draws.len() as u64, bytes)
        });
        if let Err(e) = result {
            state.error = Some(e);
        }
    }

    /// Every worker writes to the same file: nothing to merge.
    fn merge(&mut self, _: Self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(first: u64, trials: u64) -> Vec<u8> {
        (first..first + trials)
            .map(|t| format!("{t}\n"))
            .collect::<String>()
            .into_bytes()
    }

    #[test]
    fn chunks_come_out_in_trial_order_whatever_order_they_arrive_in() {
        let mut r = Reorder::new(Vec::new(), 0, usize::MAX);
        for first in [20, 10, 40, 0, 30] {
            r.push(first, 10, chunk(first, 10)).unwrap();
        }
        let out = r.finish(50).unwrap();
        assert_eq!(out, chunk(0, 50));
    }

    /// Memory holds at most `limit` bytes of early chunks: the rest wait
    /// on disk, and the output is the same.
    #[test]
    fn early_chunks_beyond_the_limit_wait_on_disk() {
        let size = chunk(100, 10).len();
        let limit = 3 * size;
        let mut r = Reorder::new(Vec::new(), 0, limit);
        // Trial 0's block is the slow one: every other block arrives first.
        for first in (10..1000).step_by(10) {
            r.push(first, 10, chunk(first, 10)).unwrap();
            assert!(r.buffered <= limit);
        }
        assert_eq!(r.peak_buffered, limit);
        r.push(0, 10, chunk(0, 10)).unwrap();
        assert_eq!(r.buffered, 0);
        assert_eq!(r.finish(1000).unwrap(), chunk(0, 1000));
    }

    #[test]
    fn a_missing_chunk_is_an_error_not_a_short_file() {
        let mut r = Reorder::new(Vec::new(), 0, usize::MAX);
        r.push(10, 10, chunk(10, 10)).unwrap();
        assert!(r.finish(20).is_err());
    }
}
