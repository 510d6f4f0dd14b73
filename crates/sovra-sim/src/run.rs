//! One seed from start to verdict: the plan's network is started (its Byzantine validators
//! attacking from the start, its skewed clocks off), the [`crate::workload`] submits at the
//! plan's rate to running validators while the plan's faults strike at their times, and at every
//! fault the running validators' finalized blocks are checked for agreement; then everything is
//! healed and restarted, the workload stops, and the run checks liveness (every honest validator
//! catches up and finality moves on within a bound), the [`crate::invariants`] of the chain, and
//! those of the data outside it ([`crate::replicas`]: replicas placed, erasure everywhere).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use commonware_runtime::{Clock, deterministic};
use sovra_types::ReceiptStatus;

use crate::SimError;
use crate::invariants::{self, Violation};
use crate::net::{SimNet, link};
use crate::plan::{FaultKind, Plan};
use crate::replicas;
use crate::workload::{TxKind, Workload};

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
    /// Transactions admitted, by kind.
    pub admitted_by_kind: BTreeMap<TxKind, u64>,
    /// Admitted transactions finalized with every action applied, by kind.
    pub completed_by_kind: BTreeMap<TxKind, u64>,
    /// Admitted transactions finalized as failed, by kind and failure code.
    pub failed_by_kind: BTreeMap<(TxKind, String), u64>,
    /// Submissions refused, by kind and reason.
    pub refusals: BTreeMap<(TxKind, String), u64>,
    /// The height every validator reached at the end.
    pub final_height: u64,
    /// Transactions in the finalized blocks.
    pub finalized_txs: u64,
    /// Replicas of pinned files and live vault roots found on their assigned holders.
    pub replicas: u64,
    /// Pinned files and live vault roots no honest validator held at the end (lost before
    /// they were replicated).
    pub lost_roots: u64,
    /// Absences of erased blocks confirmed (block x validator).
    pub erased_blocks: u64,
    /// With a joining validator: the epoch of the first set that held it (`None` if none did
    /// by the end).
    pub joined_epoch: Option<u64>,
    /// Byzantine validators that could equivocate (equivocating or nullify-and-finalize), and
    /// of them those slashed by the end (evidence reported by the workload).
    pub equivocators: (u64, u64),
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

/// What a run has done so far, carried from one life of the runtime to the next across a power
/// loss (everything else lived in the runtime and is rebuilt from its storage).
struct Progress {
    workload: Workload,
    report: Report,
    /// Faults of the plan already injected.
    next_fault: usize,
    /// Submissions so far.
    turn: u64,
    /// Height up to which the running validators were found to agree.
    agreed: u64,
    /// When the workload started, on the runtime's clock (which a power loss does not reset).
    started: Option<std::time::SystemTime>,
    /// Per validator: how many times its disk was wiped.
    disks: Vec<u32>,
}

/// How one life of the runtime ended.
enum Life {
    /// The run is over.
    Done(Box<Report>),
    /// Every validator lost power: the runtime is recovered from its storage.
    PowerLoss(Box<Progress>),
}

fn run_inner(plan: &Plan, dir: &Path) -> Result<Report, Failure> {
    let mut config = deterministic::Config::new()
        .with_seed(plan.seed)
        .with_timeout(Some(RUN_TIMEOUT));
    if let Some(torn) = &plan.torn_writes {
        config = config.with_storage_fault_config(torn.fault_config());
    }
    let mut runner = deterministic::Runner::new(config);
    let mut progress = Box::new(Progress {
        workload: Workload::new(plan.seed),
        report: Report {
            plan: plan.clone(),
            injected: plan.role_counts(),
            admitted: 0,
            refused: 0,
            admitted_by_kind: BTreeMap::new(),
            completed_by_kind: BTreeMap::new(),
            failed_by_kind: BTreeMap::new(),
            refusals: BTreeMap::new(),
            final_height: 0,
            finalized_txs: 0,
            replicas: 0,
            lost_roots: 0,
            erased_blocks: 0,
            joined_epoch: None,
            equivocators: (0, 0),
            auditor: String::new(),
        },
        next_fault: 0,
        turn: 0,
        agreed: 0,
        started: None,
        disks: vec![0; plan.validators],
    });
    loop {
        let (plan, dir) = (plan.clone(), dir.to_path_buf());
        // When the root task returns, the runtime drops every task and crashes its storage:
        // what was not synced is lost (or torn, per the plan's storage faults).
        let (life, checkpoint) =
            runner.start_and_recover(|context| live(context, plan, dir, progress));
        match life? {
            Life::Done(report) => return Ok(*report),
            Life::PowerLoss(carried) => {
                progress = carried;
                runner = deterministic::Runner::from(checkpoint);
            }
        }
    }
}

/// Submits the joining validator's registration and bond to `ledger` unless its state already
/// holds the candidate (a refusal, such as a nonce already used, is retried at the next turn).
async fn join(ledger: &sovra_consensus::Ledger<deterministic::Context>, validators: usize) {
    let operator = crate::net::operator_did(validators - 1);
    if let Ok(None) = ledger
        .state_value(&sovra_types::StateKey::Validator(operator))
        .await
    {
        let tx = crate::net::join_transaction(validators);
        let size = commonware_codec::Encode::encode(&tx).len();
        let _ = ledger.admit(vec![(tx, size)]).await;
    }
}

/// How many of the plan's Byzantine validators sign conflicting votes, and how many of them
/// `ledger`'s state says were slashed.
async fn equivocators_slashed(
    ledger: &sovra_consensus::Ledger<deterministic::Context>,
    plan: &Plan,
) -> (u64, u64) {
    use sovra_consensus::byzantine::Attack;
    let (mut equivocators, mut slashed) = (0, 0);
    for (i, attack) in plan.roles.byzantine.iter().enumerate() {
        if !matches!(
            attack,
            Some(Attack::Equivocate | Attack::NullifyAndFinalize)
        ) {
            continue;
        }
        equivocators += 1;
        let key = sovra_types::StateKey::Validator(crate::net::operator_did(i));
        if let Ok(Some(bytes)) = ledger.state_value(&key).await
            && sovra_types::ValidatorRecord::decode(&bytes).is_ok_and(|r| r.slash.is_some())
        {
            slashed += 1;
        }
    }
    (equivocators, slashed)
}

/// The epoch of the oldest kept validator set that holds the joining validator.
async fn joined_epoch(
    ledger: &sovra_consensus::Ledger<deterministic::Context>,
    validators: usize,
) -> Option<u64> {
    let operator = crate::net::operator_did(validators - 1);
    let bytes = ledger
        .state_value(&sovra_types::StateKey::ValidatorSets)
        .await
        .ok()??;
    let sets = sovra_types::staking::ValidatorSets::decode(&bytes).ok()?;
    sets.sets
        .iter()
        .find(|s| s.members.iter().any(|m| m.validator == operator))
        .map(|s| s.epoch)
}

/// One life of the runtime: starts the network from its storage and carries on with the plan,
/// until a power loss or the end of the run.
async fn live(
    context: deterministic::Context,
    plan: Plan,
    dir: std::path::PathBuf,
    mut progress: Box<Progress>,
) -> Result<Life, Failure> {
    let healthy = link(plan.latency, plan.jitter, 100);
    let mut net = SimNet::start(
        &context,
        &dir,
        plan.roles.clone(),
        progress.disks.clone(),
        healthy,
    )
    .await?;
    let started = *progress.started.get_or_insert(context.current());
    let elapsed = |context: &deterministic::Context| {
        context
            .current()
            .duration_since(started)
            .unwrap_or_default()
    };
    loop {
        // Every fault that is due (all of them once the duration is over).
        while let Some(fault) = plan
            .faults
            .get(progress.next_fault)
            .filter(|f| f.at <= elapsed(&context))
        {
            progress.next_fault += 1;
            progress.agreed = check_agreement(&net, progress.agreed)?;
            *progress.report.injected.entry(fault.kind).or_default() += 1;
            if fault.kind == FaultKind::PowerLoss {
                progress.disks = net.disks().to_vec();
                return Ok(Life::PowerLoss(progress));
            }
            inject(&mut net, &plan, fault.kind, fault.targets[0]).await?;
        }
        if elapsed(&context) >= plan.duration {
            break;
        }
        let running = net.running_nodes();
        if plan.join_at.is_some_and(|at| at <= elapsed(&context)) && !running.is_empty() {
            let (_, node) = &running[progress.turn as usize % running.len()];
            join(&node.ledger, plan.validators).await;
        }
        if !running.is_empty() {
            // Each funded identity in turn, each time at another validator.
            let (_, node) = &running[(progress.turn as usize / 4) % running.len()];
            let now_ms = sovra_node::housekeeping::clock_ms(&context);
            progress
                .workload
                .submit(&node.ledger, &node.stores, now_ms, progress.turn)
                .await;
        }
        progress.turn += 1;
        context.sleep(plan.submit_every).await;
    }
    let (workload, mut report) = (&progress.workload, progress.report.clone());

    // Heal: every link restored, every crashed validator back (a restart from its stores,
    // counted with the plan's own).
    net.heal().await?;
    for v in 0..plan.validators {
        if net.validators[v].is_none() && net.is_honest(v) {
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
                "{} s after healing the validators are at {heights:?}, short of {target} \
                     (blocked peers: {}); {}",
                LIVENESS_BOUND.as_secs(),
                net.blocked().await,
                consensus_snapshot(&context)
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
    invariants::check(&net.running(), height, workload)
        .await
        .map_err(Failure::Violation)?;
    // The data outside the ledger: replicas reach their holders, dead data is gone everywhere.
    let replicas = replicas::replicas_placed(&context, &net)
        .await
        .map_err(Failure::Violation)?;
    let erased = replicas::erasure_holds(&context, &net, workload)
        .await
        .map_err(Failure::Violation)?;
    report.replicas = replicas.replicas;
    report.lost_roots = replicas.lost;
    report.erased_blocks = erased;
    if plan.roles.joiner {
        report.joined_epoch = joined_epoch(net.running()[0].1, plan.validators).await;
    }
    report.equivocators = equivocators_slashed(net.running()[0].1, &plan).await;
    // Honest validators never give each other cause to block them; only Byzantine ones are.
    let blocked = net.blocked_pairs().await?;
    if let Some((by, whom)) = blocked.iter().find(|(_, whom)| net.is_honest(*whom)) {
        return Err(Failure::Violation(Violation(format!(
            "validator {by} blocked honest validator {whom} (all blocked: {blocked:?})"
        ))));
    }
    report.admitted = workload.admitted.len() as u64;
    report.refused = workload.refused;
    report.admitted_by_kind = workload.by_kind.clone();
    report.refusals = workload.refusals.clone();
    report.final_height = height;
    let first = net.running()[0].1;
    for h in 1..=height {
        if let Ok(Some(b)) = first.index().block(h) {
            report.finalized_txs += b.txs.len() as u64;
        }
    }
    // What became of the admitted transactions (those neither completed nor failed were
    // replaced, expired or lost with a crashed validator's mempool).
    for (id, kind) in &workload.admitted {
        let Ok(Some(at)) = first.index().tx(id) else {
            continue;
        };
        match at.status {
            ReceiptStatus::Completed => {
                *report.completed_by_kind.entry(*kind).or_default() += 1;
            }
            ReceiptStatus::Failed { code, .. } => {
                *report.failed_by_kind.entry((*kind, code)).or_default() += 1;
            }
            _ => {}
        }
    }
    report.auditor = context.auditor().state();
    Ok(Life::Done(Box::new(report)))
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
                "the validators never stood at one height: {heights:?}; {}",
                consensus_snapshot(context)
            )));
        }
        context.sleep(Duration::from_millis(5)).await;
    }
}

/// What each validator's simplex engines say, from the runtime's metrics: for every epoch
/// engine of every validator, its current view and how many votes and certificates it sent,
/// by kind (so a stall names the validator that went silent).
fn consensus_snapshot(context: &deterministic::Context) -> String {
    use commonware_runtime::Metrics as _;
    /// One engine's current view and the messages it sent, by kind.
    type Engine = (Option<u64>, BTreeMap<String, u64>);
    // By (epoch, validator).
    let mut engines: BTreeMap<(u64, u64), Engine> = BTreeMap::new();
    let label = |line: &str, name: &str| -> Option<String> {
        let start = line.find(&format!("{name}=\""))? + name.len() + 2;
        let end = start + line[start..].find('"')?;
        Some(line[start..end].to_string())
    };
    for line in context.encode().lines() {
        let view = line.contains("simplex_voter_state_current_view{");
        let sent = line.contains("simplex_voter_outbound_messages_total{");
        if line.starts_with('#') || !(view || sent) {
            continue;
        }
        let (Some(epoch), Some(v), Some(value)) = (
            label(line, "epoch").and_then(|e| e.parse::<u64>().ok()),
            label(line, "v").and_then(|v| v.parse::<u64>().ok()),
            line.rsplit(' ').next().and_then(|n| n.parse::<f64>().ok()),
        ) else {
            continue;
        };
        let engine = engines.entry((epoch, v)).or_default();
        if view {
            engine.0 = Some(value as u64);
        } else if let Some(kind) = label(line, "message") {
            engine.1.insert(kind, value as u64);
        }
    }
    let Some(latest) = engines.keys().map(|(e, _)| *e).max() else {
        return "no consensus metrics".into();
    };
    let parts: Vec<String> = engines
        .iter()
        .filter(|((e, _), _)| *e == latest)
        .map(|((_, v), (view, sent))| format!("validator {v}: view {view:?}, sent {sent:?}"))
        .collect();
    format!("epoch {latest} engines: {}", parts.join("; "))
}

/// Checks that the running validators agree on every block they have all finalized above
/// `agreed`, and returns the height up to which they do.
fn check_agreement(net: &SimNet, agreed: u64) -> Result<u64, Failure> {
    let running = net.running();
    let Some(common) = running
        .iter()
        .map(|(_, l)| l.finalized().header.height)
        .min()
    else {
        return Ok(agreed);
    };
    if common > agreed {
        invariants::agreement(&running, agreed + 1, common).map_err(Failure::Violation)?;
        return Ok(common);
    }
    Ok(agreed)
}

/// Injects one fault.
async fn inject(net: &mut SimNet, plan: &Plan, kind: FaultKind, v: usize) -> Result<(), SimError> {
    match kind {
        FaultKind::Crash => net.crash(v).await,
        FaultKind::Wipe => net.wipe(v).await,
        // Roles, in force from the start, never scheduled; and a power loss ends the runtime's
        // life (see `live`).
        FaultKind::ClockSkew | FaultKind::Byzantine | FaultKind::PowerLoss => {}
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
