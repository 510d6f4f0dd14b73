//! One seed from start to verdict: the plan's network is started, the workload submits transfers
//! between the funded accounts at the plan's rate to running validators while the plan's faults
//! strike at their times; then everything is healed and restarted, the workload stops, and the
//! run checks liveness (every validator catches up and finality moves on within a bound) and the
//! [`crate::invariants`].

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use commonware_runtime::{Clock, Runner as _, deterministic};
use sovra_types::{AccountsAction, Action, Transaction};

use crate::SimError;
use crate::invariants::{self, Violation};
use crate::net::{CHAIN, DEV_ACCOUNTS, SimNet, dev_did, dev_key, link};
use crate::plan::{FaultKind, Plan};

/// How long, in simulated time, a healed network has to catch up and finalize further.
pub const LIVENESS_BOUND: Duration = Duration::from_secs(120);

/// Blocks every validator must finalize past the highest height seen at healing.
const PROGRESS_AFTER_HEAL: u64 = 2;

/// The runtime's own limit on a run, in simulated time (a stuck run fails instead of hanging).
const RUN_TIMEOUT: Duration = Duration::from_secs(1_800);

/// What a run did and saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The plan it ran.
    pub plan: Plan,
    /// Faults injected, by kind.
    pub injected: BTreeMap<FaultKind, u64>,
    /// Transactions the validators admitted.
    pub admitted: u64,
    /// Submissions refused (the validator was behind, the sender's queue full, ...).
    pub refused: u64,
    /// The height every validator reached at the end.
    pub final_height: u64,
    /// Transactions in the finalized blocks.
    pub finalized_txs: u64,
    /// The runtime auditor's digest: the same seed gives the same digest.
    pub auditor: String,
}

/// Why a seed failed.
#[derive(Debug)]
pub enum Failure {
    /// An invariant broke.
    Violation(Violation),
    /// The network did not finalize past the healing point within [`LIVENESS_BOUND`].
    Liveness(String),
    /// The run could not be carried out.
    Setup(Box<SimError>),
    /// The run panicked (a bug in Sovra or in the simulator), with the panic's message.
    Panic(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Violation(v) => write!(f, "invariant violated: {v}"),
            Failure::Liveness(m) => write!(f, "liveness: {m}"),
            Failure::Setup(e) => write!(f, "setup: {e}"),
            Failure::Panic(m) => write!(f, "panic: {m}"),
        }
    }
}

impl From<SimError> for Failure {
    fn from(e: SimError) -> Self {
        Failure::Setup(Box::new(e))
    }
}

/// Runs `plan` with validator indexes in `dir`; a panic inside the run is a [`Failure::Panic`].
pub fn run(plan: &Plan, dir: &Path) -> Result<Report, Failure> {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_inner(plan, dir)));
    match outcome {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic without a message".into());
            Err(Failure::Panic(message))
        }
    }
}

/// Runs the plan of `seed` lasting `duration` in a fresh temporary directory.
pub fn run_seed(seed: u64, duration: Duration) -> Result<Report, Failure> {
    let dir = tempfile::tempdir().map_err(|e| Failure::from(SimError::TempDir(e)))?;
    run(&Plan::of(seed, duration), dir.path())
}

fn run_inner(plan: &Plan, dir: &Path) -> Result<Report, Failure> {
    let runner = deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(plan.seed)
            .with_timeout(Some(RUN_TIMEOUT)),
    );
    let plan = plan.clone();
    let dir = dir.to_path_buf();
    runner.start(|context| async move {
        let healthy = link(plan.latency, plan.jitter, 100);
        let mut net = SimNet::start(&context, &dir, plan.validators, healthy).await?;
        let mut report = Report {
            plan: plan.clone(),
            injected: FaultKind::ALL.iter().map(|k| (*k, 0)).collect(),
            admitted: 0,
            refused: 0,
            final_height: 0,
            finalized_txs: 0,
            auditor: String::new(),
        };
        let started = context.current();
        let elapsed = |context: &deterministic::Context| {
            context
                .current()
                .duration_since(started)
                .unwrap_or_default()
        };
        let mut faults = plan.faults.iter().peekable();
        let mut turn = 0u64;
        while elapsed(&context) < plan.duration {
            while let Some(fault) = faults.next_if(|f| f.at <= elapsed(&context)) {
                inject(&mut net, &plan, fault.kind, fault.targets[0]).await?;
                *report.injected.entry(fault.kind).or_default() += 1;
            }
            submit(&net, turn, &mut report).await;
            turn += 1;
            context.sleep(plan.submit_every).await;
        }

        // Heal: every link restored, every crashed validator back (a restart from its stores,
        // counted with the plan's own).
        net.heal().await?;
        for v in 0..plan.validators {
            if net.validators[v].is_none() {
                net.restart(v).await?;
                *report.injected.entry(FaultKind::Restart).or_default() += 1;
            }
        }
        let healed_at = net
            .running()
            .iter()
            .map(|(_, l)| l.finalized().header.height)
            .max()
            .unwrap_or(0);
        let target = healed_at + PROGRESS_AFTER_HEAL;
        let heal_time = context.current();
        loop {
            let heights: Vec<u64> = net
                .running()
                .iter()
                .map(|(_, l)| l.finalized().header.height)
                .collect();
            if heights.iter().all(|h| *h >= target) {
                break;
            }
            let waited = context
                .current()
                .duration_since(heal_time)
                .unwrap_or_default();
            if waited > LIVENESS_BOUND {
                return Err(Failure::Liveness(format!(
                    "{} s after healing the validators are at {heights:?}, short of {target}",
                    LIVENESS_BOUND.as_secs()
                )));
            }
            context.sleep(Duration::from_millis(100)).await;
        }
        // Compare every validator at one committed height: the lowest reached.
        let ledgers = net.running();
        let mut height = u64::MAX;
        for (_, l) in &ledgers {
            height = height.min(l.committed_root().await.0);
        }
        // Stop where all are: wait until every committed height is equal (no workload now; at
        // most a few empty blocks more).
        let height = settle(&context, &net, height).await?;
        invariants::check(&net.running(), height)
            .await
            .map_err(Failure::Violation)?;
        report.final_height = height;
        for h in 1..=height {
            if let Ok(Some(b)) = net.running()[0].1.index().block(h) {
                report.finalized_txs += b.txs.len() as u64;
            }
        }
        report.auditor = context.auditor().state();
        Ok(report)
    })
}

/// Waits until every running validator's committed height is the same, from at least `from`,
/// and returns it. Consensus keeps finalizing (possibly empty blocks), so the heights are
/// compared at one instant of simulated time, which the single-threaded runtime makes exact.
async fn settle(context: &deterministic::Context, net: &SimNet, from: u64) -> Result<u64, Failure> {
    let started = context.current();
    loop {
        let mut heights = Vec::new();
        for (_, l) in net.running() {
            heights.push(l.committed_root().await.0);
        }
        let low = *heights.iter().min().unwrap_or(&0);
        if low >= from && heights.iter().all(|h| *h == low) {
            return Ok(low);
        }
        let waited = context
            .current()
            .duration_since(started)
            .unwrap_or_default();
        if waited > LIVENESS_BOUND {
            return Err(Failure::Liveness(format!(
                "the validators never stood at one height: {heights:?}"
            )));
        }
        context.sleep(Duration::from_millis(5)).await;
    }
}

/// Injects one fault.
async fn inject(net: &mut SimNet, plan: &Plan, kind: FaultKind, v: usize) -> Result<(), SimError> {
    match kind {
        FaultKind::Crash => net.crash(v).await,
        FaultKind::Restart => net.restart(v).await?,
        FaultKind::Partition => net.set_links(v, None).await?,
        FaultKind::Heal => net.heal().await?,
        FaultKind::LossyLinks => {
            net.set_links(
                v,
                Some(link(plan.latency, plan.jitter, 100 - plan.drop_percent)),
            )
            .await?
        }
        FaultKind::SlowLinks => {
            net.set_links(
                v,
                Some(link(
                    plan.latency * 10 + Duration::from_millis(200),
                    plan.jitter * 4 + Duration::from_millis(50),
                    100,
                )),
            )
            .await?
        }
    }
    Ok(())
}

/// Submits one transfer (turn `turn`) to a running validator: from account `turn % 4` to the
/// next, with the sender's next nonce as that validator sees it.
async fn submit(net: &SimNet, turn: u64, report: &mut Report) {
    let running = net.running();
    if running.is_empty() {
        return;
    }
    let (_, ledger) = running[(turn as usize / DEV_ACCOUNTS as usize) % running.len()];
    let from = turn % DEV_ACCOUNTS;
    let to = (from + 1 + turn / 7 % (DEV_ACCOUNTS - 1)) % DEV_ACCOUNTS;
    let Ok((_, nonce, height)) = ledger.account_with_next_nonce(&dev_did(from)).await else {
        report.refused += 1;
        return;
    };
    let tx = Transaction {
        chain_id: CHAIN.into(),
        signer: dev_did(from),
        nonce,
        fee: 1,
        expiry_height: height + 50,
        actions: vec![Action::Accounts(AccountsAction::Transfer {
            to: dev_did(to),
            amount: 1 + turn % 97,
        })],
    }
    .sign(&dev_key(from));
    match ledger.admit(vec![(tx, 200)]).await {
        Ok(results) if results.iter().all(|r| r.is_ok()) => report.admitted += 1,
        _ => report.refused += 1,
    }
}
