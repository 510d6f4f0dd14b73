//! Background housekeeping (replication passes, garbage collection, the vault keeper) as tasks
//! of the commonware runtime, timed by its clock: in the node they run on dedicated threads of
//! the tokio runtime and stop with it; in a deterministic simulation they run on its executor
//! and clock, so a whole network's replication can be replayed from a seed.

use std::time::{Duration, SystemTime};

use commonware_runtime::{Clock, Handle, Spawner};

/// Milliseconds since the unix epoch on `clock`.
pub fn clock_ms(clock: &impl Clock) -> u64 {
    unix_ms(clock.current())
}

/// Milliseconds since the unix epoch of `at` (0 before it).
pub fn unix_ms(at: SystemTime) -> u64 {
    at.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// How long ago `at` was, on a clock that reads `now` (zero if `at` is later).
pub fn since(now: SystemTime, at: SystemTime) -> Duration {
    now.duration_since(at).unwrap_or_default()
}

/// The pause after a pass that still requested blocks: the next pass comes this soon (or after
/// the interval, if that is shorter), so a DAG is fetched level by level without waiting.
pub const BUSY_PAUSE: Duration = Duration::from_millis(200);

/// Runs `pass` forever on a dedicated task of `context`: `pass` gets the clock's time and
/// returns how much work it left in flight (blocks requested); while it leaves some, the next
/// pass comes after [`BUSY_PAUSE`] at most, else after `interval`. A failing pass is logged
/// with `label` and retried after `interval`.
pub fn spawn_passes<C: Spawner + Clock>(
    context: C,
    label: &'static str,
    interval: Duration,
    mut pass: impl FnMut(SystemTime) -> crate::error::Result<usize> + Send + 'static,
) -> Handle<()> {
    context.dedicated().spawn(move |context| async move {
        loop {
            let pause = match pass(context.current()) {
                Ok(0) => interval,
                Ok(_) => interval.min(BUSY_PAUSE),
                Err(e) => {
                    tracing::warn!(label, "{label} pass failed: {e}");
                    interval
                }
            };
            context.sleep(pause).await;
        }
    })
}
