//! The process's open-file limit. A node raises its soft limit to the hard
//! limit at start, and sizes the API's connection cap from it, leaving a
//! reserve for storage (journals, archives, databases), p2p and the rest, so
//! that no number of HTTP clients can make a storage write fail for want of
//! a descriptor.

/// Largest connection cap chosen automatically.
pub const AUTO_MAX_CONNECTIONS: usize = 4096;
/// Fewest descriptors left to the API, whatever the reserve says.
const MIN_API_DESCRIPTORS: u64 = 16;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; returns the soft limit in force.
#[cfg(unix)]
// `rlim_t` is u64 on 64-bit Linux but not on every platform.
#[allow(clippy::unnecessary_cast)]
pub fn raise_nofile_limit() -> std::io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass and reads nothing else.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if limit.rlim_cur >= limit.rlim_max {
        return Ok(limit.rlim_cur as u64);
    }
    // An unlimited hard limit is not a valid soft one for descriptors: ask for the
    // kernel's usual ceiling instead.
    let target = if limit.rlim_max == libc::RLIM_INFINITY {
        1 << 20
    } else {
        limit.rlim_max
    };
    let raised = libc::rlimit {
        rlim_cur: target,
        rlim_max: limit.rlim_max,
    };
    // SAFETY: setrlimit reads the struct we pass.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
        Ok(target as u64)
    } else {
        Ok(limit.rlim_cur as u64)
    }
}

/// Without `getrlimit`, assume the common default.
#[cfg(not(unix))]
pub fn raise_nofile_limit() -> std::io::Result<u64> {
    Ok(1024)
}

/// The API's connection cap: `configured` (0: automatic, at most
/// [`AUTO_MAX_CONNECTIONS`]), never more than `nofile - reserve`. If the
/// reserve leaves almost nothing, a quarter of the limit.
pub fn connection_cap(configured: usize, nofile: u64, reserve: u64) -> usize {
    let available = nofile
        .saturating_sub(reserve)
        .max((nofile / 4).max(MIN_API_DESCRIPTORS).min(nofile));
    let available = usize::try_from(available).unwrap_or(usize::MAX);
    match configured {
        0 => available.min(AUTO_MAX_CONNECTIONS),
        n => n.min(available),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_the_reserve_to_storage() {
        assert_eq!(connection_cap(0, 20_000, 1024), 4096);
        assert_eq!(connection_cap(0, 2048, 1024), 1024);
        assert_eq!(connection_cap(10_000, 2048, 1024), 1024);
        assert_eq!(connection_cap(100, 2048, 1024), 100);
        // A small limit still serves a few clients and keeps most descriptors for storage.
        assert_eq!(connection_cap(0, 1024, 1024), 256);
        assert_eq!(connection_cap(0, 40, 1024), 16);
    }

    #[test]
    #[allow(clippy::unnecessary_cast)]
    fn the_soft_limit_is_raised_to_the_hard_limit() {
        let soft = raise_nofile_limit().unwrap();
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: as above.
        assert_eq!(
            unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
            0
        );
        assert_eq!(limit.rlim_cur as u64, soft);
        assert!(limit.rlim_cur == limit.rlim_max || limit.rlim_max == libc::RLIM_INFINITY);
    }
}
