//! Makes a synthetic observed file for `spcap calibrate`: the monthly
//! figures of one replicate of a scenario, whose values are therefore known.
//! It is how `scenarios/calibration/observed.csv` was made (docs/calibrate.md):
//!
//! ```sh
//! cargo run --release --example synthetic_observed -- \
//!     scenarios/calibration/truth.toml scenarios/calibration/observed.csv \
//!     referrals,waiting_list,caseload,held,discharged_reneged 7 0
//! ```
//!
//! Arguments: SCENARIO OUT METRICS [SEED] [REPLICATE], the metrics separated by commas.

use spcap::calibrate::observed;
use spcap::model::MONTHLY_METRICS;
use std::path::Path;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: synthetic_observed SCENARIO OUT METRICS [SEED] [REPLICATE]");
        return std::process::ExitCode::from(2);
    }
    match make(&args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

fn make(args: &[String]) -> Result<(), String> {
    let loaded = spcap::scenario::load(Path::new(&args[0])).map_err(|e| e.to_string())?;
    let metrics = args[2]
        .split(',')
        .map(|m| {
            MONTHLY_METRICS
                .iter()
                .position(|name| *name == m.trim())
                .ok_or_else(|| format!("unknown metric {m}; the metrics are {}", MONTHLY_METRICS.join(", ")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let number = |i: usize, default: u64| -> Result<u64, String> {
        args.get(i).map_or(Ok(default), |t| {
            t.parse().map_err(|_| format!("{t} is not a whole number"))
        })
    };
    let (seed, replicate) = (number(3, 1)?, number(4, 0)?);
    let points = observed::synthesise(&loaded.scenario, seed, replicate, &metrics).map_err(|e| e.to_string())?;
    let comment = format!(
        "SYNTHETIC DATA, not a real service's figures: made by spcap (examples/synthetic_observed.rs)\n\
         from {}, seed {seed}, replicate {replicate}, so that a calibration can be checked\n\
         against the values it was made from.",
        args[0]
    );
    observed::write(Path::new(&args[1]), &points, &loaded.scenario.month_labels(), &comment).map_err(|e| e.to_string())
}
