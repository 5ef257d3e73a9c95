//! `spcap serve`: the web page for commissioners (see `spcap::serve`). This
//! file only reads the options; the server and its limits are in the library.

use spcap::serve::{self, Limits};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on. The default answers this machine only; 0.0.0.0:8080 answers every network.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDRESS:PORT")]
    bind: SocketAddr,
    /// Folder of the scenario files offered; uploads may `extends` only files in it.
    #[arg(long, default_value = "scenarios", value_name = "DIR")]
    scenarios: PathBuf,
    /// Folder that keeps the runs (in runs/); finished runs are listed again after a restart.
    #[arg(long, default_value = "outputs/serve", value_name = "DIR")]
    data: PathBuf,
    /// Runs simulated at the same time; others wait in the queue.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    runs_at_once: u64,
    /// Runs that may wait in the queue; a run beyond it is refused.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    queue: u64,
    /// Most replicates of each option a run may ask for.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(2..=100_000_000))]
    max_replicates: u64,
    /// Most referrals one replicate of a scenario may expect (its size).
    #[arg(long, default_value_t = 250_000, value_parser = clap::value_parser!(u64).range(1..))]
    max_referrals: u64,
    /// Largest uploaded scenario file, in bytes.
    #[arg(long, default_value_t = 256 * 1024, value_parser = clap::value_parser!(u64).range(1..=64 * 1024 * 1024))]
    max_upload: u64,
    /// Worker threads of each run (0 = one per core). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

pub fn run(args: Args) -> super::Result {
    let limits = Limits {
        runs_at_once: args.runs_at_once as usize,
        queue: args.queue as usize,
        replicates: args.max_replicates,
        referrals: args.max_referrals,
        upload_bytes: args.max_upload as usize,
        threads: args.threads,
        ..Limits::default()
    };
    serve::serve(args.bind, &args.scenarios, &args.data, limits)?;
    Ok(())
}
