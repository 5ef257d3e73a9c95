//! The `--trace` event log: every event of one replicate as a CSV row, so a
//! modeller can follow one run by eye and check that every referral ends once.

use crate::model::Trace;
use crate::scenario::units;
use jiff::civil::Date;
use serde::Serialize;
use std::io::Write;

pub const HEADER: [&str; 7] = [
    "time_days",
    "date",
    "event",
    "referral",
    "person",
    "link_worker",
    "service",
];

/// One line of the trace; an id that does not apply to the event is an empty cell.
#[derive(Serialize)]
pub struct TraceLine {
    /// Days since the start, to four decimals.
    pub time_days: String,
    pub date: String,
    pub event: &'static str,
    pub referral: Option<u32>,
    pub person: Option<u32>,
    pub link_worker: Option<u32>,
    pub service: Option<u32>,
}

/// Writes trace rows to any writer; the first write error is kept and reported by [`CsvTrace::finish`].
pub struct CsvTrace<W: Write> {
    out: csv::Writer<W>,
    start: Date,
    error: Option<csv::Error>,
}

impl<W: Write> CsvTrace<W> {
    pub fn new(out: W, start: Date) -> Self {
        let mut out = csv::WriterBuilder::new().has_headers(false).from_writer(out);
        let error = out.write_record(HEADER).err();
        CsvTrace { out, start, error }
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e.into());
        }
        self.out.into_inner().map_err(|e| e.into_error())
    }
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
        let line = TraceLine {
            time_days: format!("{time:.4}"),
            date: units::date_after(self.start, time).to_string(),
            event: what,
            referral,
            person,
            link_worker,
            service,
        };
        if let Err(e) = self.out.serialize(line) {
            self.error = Some(e);
        }
    }
}
