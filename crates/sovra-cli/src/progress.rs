//! Progress bars of long transfers (uploads, downloads, encryption).

use indicatif::{ProgressBar, ProgressStyle};

/// A bar counting bytes up to `total`; hidden with `quiet`.
pub(crate) fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}
