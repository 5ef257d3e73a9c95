//! The runs of `spcap serve`: a bounded queue, a fixed number of worker
//! threads (never the async executor), and the store of runs by id.
//!
//! A run is a comparison, run by [`crate::compare::run::run`] exactly as
//! `spcap compare` runs one. It is written into `DATA/runs/.partial-<id>/` and
//! renamed to `DATA/runs/<id>/` only once everything, `result.json` last, is
//! written: a cancelled, failed or interrupted run leaves no folder that looks
//! complete, and a restarted server lists every finished run from its
//! `result.json` (and removes the partial ones). Ids are made here; no request
//! names a path.

use crate::compare::run::{Finished, RunError, Watch};
use crate::compare::threshold::{Exceedance, PlacedThreshold, Threshold};
use crate::compare::verdict::Direction;
use crate::experiment::{ExperimentError, Settings};
use crate::output::write_atomically;
use crate::scenario::LoadedScenario;
use crate::stats::aggregate::LevelCounts;
use crate::stats::metric;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

/// A run checked and ready: the scenarios (base first), their labels, and how to run them.
pub struct Prepared {
    pub loaded: Vec<LoadedScenario>,
    pub labels: Vec<String>,
    pub settings: Settings,
    pub thresholds: Vec<PlacedThreshold>,
}

/// What a finished run found, as the page shows it; saved as `result.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunResult {
    pub id: String,
    pub created: String,
    pub seed: u64,
    pub replicates: usize,
    pub names: Vec<String>,
    pub labels: Vec<String>,
    pub period: String,
    pub verdicts: Vec<Verdict>,
    pub key_figures: Vec<KeyFigure>,
    pub thresholds: Vec<ThresholdAnswer>,
    pub figures: Vec<FigureInfo>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Verdict {
    pub option: usize,
    pub metric: String,
    /// "better", "worse" or "" (no clear difference, or a metric with no better side).
    pub judgement: String,
    pub direction: String,
    pub sentence: String,
    pub difference: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyFigure {
    pub metric: String,
    pub label: String,
    /// One per option, base first.
    pub values: Vec<Figure>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Figure {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    /// The mean and its interval as the report writes them.
    pub text: String,
    pub interval: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ThresholdAnswer {
    pub question: String,
    pub snapshot: String,
    /// One per option, base first: (probability, low, high).
    pub answers: Vec<(f64, f64, f64)>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FigureInfo {
    pub name: String,
    pub title: String,
    pub reading: String,
}

/// Where a run is.
#[derive(Clone)]
enum State {
    Queued,
    Running,
    Complete {
        result: Arc<RunResult>,
        /// Every file of the run folder, as a path relative to it: the only files served.
        files: Arc<BTreeSet<String>>,
    },
    Cancelled,
    Failed(String),
}

/// One run, queued, running or done.
pub struct Run {
    pub id: String,
    pub names: Vec<String>,
    pub total: u64,
    done: AtomicU64,
    cancel: AtomicBool,
    state: Mutex<State>,
    started: Mutex<Option<Instant>>,
}

/// A run as the page polls it.
#[derive(Debug, Serialize)]
pub struct Status {
    pub id: String,
    /// "queued", "running", "complete", "cancelled" or "failed".
    pub state: &'static str,
    pub names: Vec<String>,
    pub done: u64,
    pub total: u64,
    /// Runs ahead of this one in the queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds_left: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<RunResult>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A worker that panicked leaves the data as it was; the store stays usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Run {
    fn new(id: String, names: Vec<String>, total: u64, state: State) -> Run {
        Run {
            id,
            names,
            total,
            done: AtomicU64::new(0),
            cancel: AtomicBool::new(false),
            state: Mutex::new(state),
            started: Mutex::new(None),
        }
    }

    fn set(&self, state: State) {
        *lock(&self.state) = state;
    }

    /// The finished run's result and files, if it is complete.
    pub fn complete(&self) -> Option<(Arc<RunResult>, Arc<BTreeSet<String>>)> {
        match &*lock(&self.state) {
            State::Complete { result, files } => Some((result.clone(), files.clone())),
            _ => None,
        }
    }
}

impl Watch for Run {
    fn scenario_starts(&self, _index: usize, _loaded: &LoadedScenario) {}

    fn replicate_done(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    fn scenario_ends(&self, _index: usize) {}
}

/// Why a run could not be queued or cancelled.
#[derive(Debug)]
pub enum QueueError {
    Full(usize),
    NotFound,
    Finished,
}

/// Every run, and the queue of those waiting.
pub struct Store {
    dir: PathBuf,
    queue_limit: usize,
    runs: Mutex<BTreeMap<String, Arc<Run>>>,
    queue: Mutex<VecDeque<(Arc<Run>, Prepared)>>,
    wake: Condvar,
    counter: AtomicU64,
}

impl Store {
    /// Opens the store in `dir` (made if missing), lists its finished runs,
    /// removes partial ones, and starts `workers` threads.
    pub fn open(dir: &Path, workers: usize, queue_limit: usize) -> std::io::Result<Arc<Store>> {
        std::fs::create_dir_all(dir)?;
        let mut runs = BTreeMap::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if name.starts_with(".partial-") {
                // A run the server was stopped in the middle of.
                let _ = std::fs::remove_dir_all(&path);
                continue;
            }
            if !valid_id(&name) || !path.is_dir() {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(path.join("result.json")) else {
                continue;
            };
            let Ok(result) = serde_json::from_str::<RunResult>(&text) else {
                continue;
            };
            let files = Arc::new(list_files(&path));
            let run = Run::new(
                name.clone(),
                result.names.clone(),
                0,
                State::Complete {
                    result: Arc::new(result),
                    files,
                },
            );
            runs.insert(name, Arc::new(run));
        }
        let store = Arc::new(Store {
            dir: dir.to_path_buf(),
            queue_limit,
            runs: Mutex::new(runs),
            queue: Mutex::new(VecDeque::new()),
            wake: Condvar::new(),
            counter: AtomicU64::new(0),
        });
        for i in 0..workers.max(1) {
            let store = Arc::clone(&store);
            std::thread::Builder::new()
                .name(format!("spcap-serve-run-{i}"))
                .spawn(move || store.work())?;
        }
        Ok(store)
    }

    /// The folder of a finished run.
    pub fn folder(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }

    /// Queues a run, or refuses it when the queue is full.
    pub fn submit(&self, prepared: Prepared) -> Result<Arc<Run>, QueueError> {
        let mut queue = lock(&self.queue);
        if queue.len() >= self.queue_limit {
            return Err(QueueError::Full(self.queue_limit));
        }
        let id = self.new_id();
        let names = prepared.loaded.iter().map(|l| l.scenario.name.clone()).collect();
        let total = prepared.settings.replicates * prepared.loaded.len() as u64;
        let run = Arc::new(Run::new(id.clone(), names, total, State::Queued));
        lock(&self.runs).insert(id, Arc::clone(&run));
        queue.push_back((Arc::clone(&run), prepared));
        self.wake.notify_one();
        Ok(run)
    }

    pub fn get(&self, id: &str) -> Option<Arc<Run>> {
        lock(&self.runs).get(id).cloned()
    }

    /// Every run, newest first.
    pub fn list(&self) -> Vec<Status> {
        let runs: Vec<Arc<Run>> = lock(&self.runs).values().cloned().collect();
        let mut out: Vec<Status> = runs
            .iter()
            .map(|r| {
                let mut s = self.status(r);
                s.result = None;
                s
            })
            .collect();
        out.reverse();
        out
    }

    /// Asks a run to stop: a queued one is taken off the queue at once, a
    /// running one stops within a replicate.
    pub fn cancel(&self, id: &str) -> Result<(), QueueError> {
        let run = self.get(id).ok_or(QueueError::NotFound)?;
        let state = lock(&run.state).clone();
        match state {
            State::Complete { .. } | State::Failed(_) | State::Cancelled => Err(QueueError::Finished),
            State::Queued | State::Running => {
                run.cancel.store(true, Ordering::Relaxed);
                let mut queue = lock(&self.queue);
                if let Some(i) = queue.iter().position(|(r, _)| r.id == id) {
                    queue.remove(i);
                    run.set(State::Cancelled);
                }
                Ok(())
            }
        }
    }

    /// Where a run is, with its result once complete.
    pub fn status(&self, run: &Run) -> Status {
        let state = lock(&run.state).clone();
        let done = run.done.load(Ordering::Relaxed).min(run.total);
        let mut status = Status {
            id: run.id.clone(),
            state: "queued",
            names: run.names.clone(),
            done,
            total: run.total,
            position: None,
            seconds_left: None,
            message: None,
            result: None,
        };
        match state {
            State::Queued => {
                status.position = lock(&self.queue).iter().position(|(r, _)| r.id == run.id);
            }
            State::Running => {
                status.state = "running";
                let started = *lock(&run.started);
                if let (Some(started), true) = (started, done > 0) {
                    let elapsed = started.elapsed().as_secs_f64();
                    status.seconds_left = Some(elapsed / done as f64 * (run.total - done) as f64);
                }
            }
            State::Complete { result, .. } => {
                status.state = "complete";
                status.done = status.total;
                status.result = Some((*result).clone());
            }
            State::Cancelled => {
                status.state = "cancelled";
                status.message = Some("cancelled: nothing was kept".into());
            }
            State::Failed(message) => {
                status.state = "failed";
                status.message = Some(message);
            }
        }
        status
    }

    fn new_id(&self) -> String {
        loop {
            let n = self.counter.fetch_add(1, Ordering::Relaxed);
            let now = jiff::Timestamp::now();
            let id = format!(
                "{}-{:04x}",
                now.strftime("%Y%m%d-%H%M%S"),
                (now.subsec_nanosecond() as u64 ^ n.wrapping_mul(0x9e37)) & 0xffff
            );
            let taken = lock(&self.runs).contains_key(&id) || self.dir.join(&id).exists();
            if !taken {
                return id;
            }
        }
    }

    /// A worker thread: takes the next queued run, forever.
    fn work(&self) {
        loop {
            let (run, prepared) = {
                let mut queue = lock(&self.queue);
                loop {
                    if let Some(job) = queue.pop_front() {
                        break job;
                    }
                    queue = self.wake.wait(queue).unwrap_or_else(|e| e.into_inner());
                }
            };
            if run.cancel.load(Ordering::Relaxed) {
                run.set(State::Cancelled);
                continue;
            }
            run.set(State::Running);
            *lock(&run.started) = Some(Instant::now());
            // A panic in a run fails that run, not the worker.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.execute(&run, prepared)));
            let state = match outcome {
                Ok(Ok(state)) => state,
                Ok(Err(RunError::Experiment(ExperimentError::Interrupted))) => State::Cancelled,
                Ok(Err(e)) => State::Failed(e.to_string()),
                Err(_) => State::Failed("internal error: the run stopped unexpectedly".into()),
            };
            if !matches!(state, State::Complete { .. }) {
                let _ = std::fs::remove_dir_all(self.partial(&run.id));
            }
            run.set(state);
        }
    }

    fn partial(&self, id: &str) -> PathBuf {
        self.dir.join(format!(".partial-{id}"))
    }

    fn execute(&self, run: &Run, p: Prepared) -> Result<State, RunError> {
        let partial = self.partial(&run.id);
        let io = |e: std::io::Error| RunError::Output(crate::output::OutputError::new(&partial, e));
        if partial.exists() {
            std::fs::remove_dir_all(&partial).map_err(io)?;
        }
        let scenarios = partial.join("scenarios");
        std::fs::create_dir_all(&scenarios).map_err(io)?;
        for (loaded, label) in p.loaded.iter().zip(&p.labels) {
            let text = loaded.resolved_toml();
            write_atomically(&scenarios.join(format!("{label}.toml")), |w| {
                w.write_all(text.as_bytes())
            })?;
        }
        let created = jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M UTC").to_string();
        let dir = partial.join("comparison");
        let request = crate::compare::run::Request {
            dir: &dir,
            loaded: &p.loaded,
            labels: &p.labels,
            settings: &p.settings,
            thresholds: p.thresholds,
            template: None,
            posterior: None,
        };
        let finished = crate::compare::run::run(request, run, &run.cancel)?;
        // The weekly counts, so that a threshold question asked after the run is answered exactly.
        let levels = serde_json::to_string(&finished.levels).unwrap_or_default();
        write_atomically(&partial.join(LEVELS), |w| w.write_all(levels.as_bytes()))?;
        let result = result_of(&run.id, created, &finished, &p.loaded[0], p.settings.seed);
        let json = serde_json::to_string_pretty(&result).unwrap_or_default();
        write_atomically(&partial.join("result.json"), |w| w.write_all(json.as_bytes()))?;
        let done = self.folder(&run.id);
        std::fs::rename(&partial, &done).map_err(io)?;
        Ok(State::Complete {
            result: Arc::new(result),
            files: Arc::new(list_files(&done)),
        })
    }
}

/// The file of a run's weekly counts: per option, per level, each week's
/// counts of replicates by value ([`LevelCounts`] as serde writes it).
pub const LEVELS: &str = "levels.json";

/// Answers a threshold question from a finished run's folder, one answer per
/// option, as the run itself would have: placed on the base scenario's weeks.
pub fn answer_threshold(folder: &Path, result: &RunResult, threshold: &Threshold) -> Result<ThresholdAnswer, String> {
    let base = folder.join("scenarios").join(format!("{}.toml", result.labels[0]));
    let base = crate::scenario::load(&base).map_err(|e| e.to_string())?;
    let placed = crate::compare::threshold::place(threshold, &base.scenario).map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(folder.join(LEVELS)).map_err(|e| e.to_string())?;
    let levels: Vec<Vec<LevelCounts>> = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let answers = levels
        .into_iter()
        .map(|counts| {
            let e = Exceedance::of(&placed, &counts);
            (e.probability, e.ci_low, e.ci_high)
        })
        .collect();
    Ok(ThresholdAnswer {
        question: question(&placed),
        snapshot: placed.snapshot.to_string(),
        answers,
    })
}

fn question(placed: &PlacedThreshold) -> String {
    let th = &placed.threshold;
    format!(
        "{} above {} on {}",
        th.metric_name().replace('_', " "),
        th.value,
        th.date
    )
}

/// The page's view of a finished comparison.
fn result_of(id: &str, created: String, f: &Finished, base: &LoadedScenario, seed: u64) -> RunResult {
    let c = &f.comparison;
    let s = &base.scenario;
    let period = format!(
        "{} to {}",
        s.snapshot_date(0),
        crate::scenario::units::date_after(s.start, s.end() - 1.0)
    );
    let verdicts = c
        .verdicts()
        .into_iter()
        .map(|(i, w, d, sentence)| {
            let direction = Direction::of(&d);
            Verdict {
                option: i,
                metric: w.column.to_string(),
                judgement: direction.judgement(w).to_string(),
                direction: direction.as_str().to_string(),
                sentence,
                difference: d.mean,
                low: d.ci_low,
                high: d.ci_high,
            }
        })
        .collect();
    let key_figures = metric::key_metrics()
        .map(|k| KeyFigure {
            metric: k.column.to_string(),
            label: k.label_with_unit(),
            values: (0..c.names.len())
                .filter_map(|i| c.get(k.column, i))
                .map(|m| Figure {
                    mean: m.summary.mean,
                    low: m.summary.ci_low,
                    high: m.summary.ci_high,
                    text: k.format(m.summary.mean),
                    interval: format!("{} to {}", k.format(m.summary.ci_low), k.format(m.summary.ci_high)),
                })
                .collect(),
        })
        .collect();
    let thresholds = c
        .thresholds
        .iter()
        .enumerate()
        .map(|(t, placed)| ThresholdAnswer {
            question: question(placed),
            snapshot: placed.snapshot.to_string(),
            answers: c
                .exceedances
                .iter()
                .filter(|(ti, _, _)| *ti == t)
                .map(|(_, _, e)| (e.probability, e.ci_low, e.ci_high))
                .collect(),
        })
        .collect();
    RunResult {
        id: id.to_string(),
        created,
        seed,
        replicates: c.replicates,
        names: c.names.clone(),
        labels: c.labels.clone(),
        period,
        verdicts,
        key_figures,
        thresholds,
        figures: f
            .figures
            .iter()
            .map(|fig| FigureInfo {
                name: fig.name.to_string(),
                title: fig.title.clone(),
                reading: fig.reading.clone(),
            })
            .collect(),
    }
}

/// An id this server could have made: letters, digits and dashes.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Every file under `dir`, as `/`-separated paths relative to it.
pub fn list_files(dir: &Path) -> BTreeSet<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            match entry.file_type() {
                Ok(t) if t.is_dir() => walk(&entry.path(), &path, out),
                Ok(t) if t.is_file() => {
                    out.insert(path);
                }
                _ => {}
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, "", &mut out);
    out
}
