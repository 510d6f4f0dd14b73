//! Epoch changes in a benchmark run: at every epoch boundary consensus stops one simplex engine
//! and starts the next (with the set stake chose), so the first block of an epoch may come
//! later than a block within an epoch. From the finalized blocks' times, this compares the
//! interval before each epoch's first block against the intervals within epochs (the baseline,
//! from the same chain).

use crate::{Result, percentile};
use sovra_client::Client;

/// Block intervals at epoch boundaries and within epochs.
#[derive(Debug)]
pub struct EpochChanges {
    /// Epoch boundaries crossed.
    pub boundaries: usize,
    /// Intervals (ms) before the first block of an epoch, sorted.
    pub at_boundary: Vec<f64>,
    /// Intervals (ms) between two blocks of one epoch, sorted.
    pub within: Vec<f64>,
}

impl EpochChanges {
    /// Splits the intervals between consecutive block times (`times[i]` is the time of height
    /// `first + i`) by whether the later block starts an epoch of `epoch_length`.
    pub fn from_times(first: u64, times: &[u64], epoch_length: u64) -> Self {
        let (mut at_boundary, mut within) = (Vec::new(), Vec::new());
        for (i, pair) in times.windows(2).enumerate() {
            let height = first + i as u64 + 1;
            let gap = pair[1].saturating_sub(pair[0]) as f64;
            if height.is_multiple_of(epoch_length.max(1)) {
                at_boundary.push(gap);
            } else {
                within.push(gap);
            }
        }
        at_boundary.sort_by(f64::total_cmp);
        within.sort_by(f64::total_cmp);
        Self {
            boundaries: at_boundary.len(),
            at_boundary,
            within,
        }
    }

    /// Reads the times of blocks 1 to `tip` (at most `max_blocks` of the newest) from `client`.
    pub fn read(client: &Client, epoch_length: u64, max_blocks: u64) -> Result<Self> {
        let tip = client.status()?.finalized_height;
        let first = tip.saturating_sub(max_blocks).max(1);
        let mut times = Vec::new();
        for h in first..=tip {
            times.push(client.block(Some(h))?.header.timestamp_ms);
        }
        Ok(Self::from_times(first, &times, epoch_length))
    }

    /// One line for the report.
    pub fn summary(&self) -> String {
        format!(
            "{} epoch changes: block interval at a boundary p50 {:.0} ms, p99 {:.0} ms; within \
             epochs p50 {:.0} ms, p99 {:.0} ms",
            self.boundaries,
            percentile(&self.at_boundary, 0.5),
            percentile(&self.at_boundary, 0.99),
            percentile(&self.within, 0.5),
            percentile(&self.within, 0.99),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_before_an_epochs_first_block_are_counted_apart() {
        // Heights 1..=9 with epochs of 3: heights 3, 6 and 9 start epochs.
        let times = [0, 100, 900, 1000, 1100, 2000, 2100, 2200, 3500];
        let c = EpochChanges::from_times(1, &times, 3);
        assert_eq!(c.boundaries, 3);
        assert_eq!(c.at_boundary, vec![800.0, 900.0, 1300.0]);
        assert_eq!(c.within, vec![100.0; 5]);
        // The same blocks read from height 4 on: boundaries at 6 and 9.
        let c = EpochChanges::from_times(4, &times[3..], 3);
        assert_eq!(c.at_boundary, vec![900.0, 1300.0]);
    }
}
