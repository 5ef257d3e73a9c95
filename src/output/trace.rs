//! The `--trace` event log: every event of one replicate as a CSV row, so a
//! modeller can follow one run by eye and check that every referral ends once.

use crate::model::Trace;
use crate::scenario::units;
use jiff::civil::Date;
use std::io::Write;

/// Writes trace rows to any writer; the first write error is kept and reported by [`CsvTrace::finish`].
pub struct CsvTrace<W: Write> {
    out: W,
    start: Date,
    error: Option<std::io::Error>,
}

impl<W: Write> CsvTrace<W> {
    pub fn new(mut out: W, start: Date) -> Self {
        let error = writeln!(out, "time_days,date,event,referral,person,link_worker,service").err();
        CsvTrace { out, start, error }
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

fn cell(x: Option<u32>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

impl<W: Write> Trace for CsvTrace<W> {
    const ENABLED: bool = true;

    fn event(
        &mut self,
        time: f64,
        what: &'static str,
        referral: Option<u32>,
        person: Option<u32>,
        link_worker: Option<u32>,
        service: Option<u32>,
    ) {
        if self.error.is_some() {
            return;
        }
        let date = units::date_after(self.start, time);
        let result = writeln!(
            self.out,
            "{time:.4},{date},{what},{},{},{},{}",
            cell(referral),
            cell(person),
            cell(link_worker),
            cell(service)
        );
        if let Err(e) = result {
            self.error = Some(e);
        }
    }
}
