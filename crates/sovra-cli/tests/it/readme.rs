//! Runs the README's walkthrough as written: every ```sh block of the "Five-minute walkthrough"
//! section, in order, in one bash (`set -euo pipefail`), against a fresh devnet this test starts,
//! with `sovra` on the PATH as the binary under test. The test fails on the first command that
//! fails and prints the trace of what ran.
//!
//! The first block (terminal 1: `sovra devnet`) is not run: the test starts its own devnet, on
//! ports of its own. The only changes made to the text are those ports: the README's
//! `127.0.0.1:8545` (the devnet's API) and `127.0.0.1:8600` (the issuer service) become this
//! test's, and `SOVRA_NODE` points at the test's devnet (the README relies on the default).
//! `HOME` and `TMPDIR` are directories of the test, so nothing outside it is touched.

use crate::common::{BIN, wait_until};
use sovra_client::Client;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The README at the root of the repository.
const README: &str = include_str!("../../../../README.md");

/// The heading of the walkthrough section.
const SECTION: &str = "## Five-minute walkthrough";

/// How long the whole walkthrough may take.
const LIMIT: Duration = Duration::from_secs(900);

/// The ```sh blocks of the walkthrough section, in order.
fn walkthrough_blocks(readme: &str) -> Vec<String> {
    let start = readme
        .find(SECTION)
        .unwrap_or_else(|| panic!("README has no {SECTION:?} section"));
    let rest = &readme[start + SECTION.len()..];
    let section = match rest.find("\n## ") {
        Some(end) => &rest[..end],
        None => rest,
    };
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in section.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(Vec::new()),
            (Some(lines), "```") => {
                blocks.push(lines.join("\n"));
                current = None;
            }
            (Some(lines), _) => lines.push(line),
            (None, _) => {}
        }
    }
    assert!(
        current.is_none(),
        "an unterminated ```sh block in the walkthrough"
    );
    blocks
}

#[test]
fn walkthrough_blocks_are_found_in_order() {
    let doc = "intro\n```sh\nnot this\n```\n## Five-minute walkthrough\ntext\n```sh\na\nb\n```\n\
               ```text\nskip\n```\n### sub\n```sh\nc\n```\n## Next\n```sh\nd\n```\n";
    assert_eq!(walkthrough_blocks(doc), vec!["a\nb", "c"]);
}

/// Free API, p2p and issuer ports for the walkthrough.
fn ports() -> (u16, u16, u16) {
    let api = crate::common::port_base();
    let stride = crate::common::PORT_STRIDE;
    (api, api + stride, api + 2 * stride)
}

/// Copies the end of a text, at most `n` lines.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[test]
fn readme_walkthrough_runs_as_written() {
    let blocks = walkthrough_blocks(README);
    assert!(
        blocks.len() > 3,
        "the walkthrough has {} sh blocks",
        blocks.len()
    );
    assert!(
        blocks[0].trim_start().starts_with("sovra devnet"),
        "the walkthrough's first block starts the devnet (terminal 1):\n{}",
        blocks[0]
    );

    // Kept with SOVRA_KEEP_TEST_DIR set, for the walkthrough's files and the devnet's log.
    let (_guard, root) = crate::common::test_dir();
    let root = root.as_path();
    let (api, p2p, issuer) = ports();
    for dir in ["home", "tmp", "bin"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    std::os::unix::fs::symlink(BIN, root.join("bin/sovra")).unwrap();

    // Terminal 1.
    let log = root.join("devnet.log");
    let out = std::fs::File::create(&log).unwrap();
    let devnet = Command::new(BIN)
        .arg("devnet")
        .arg("--dir")
        .arg(root.join("devnet"))
        .args(["--api", &format!("127.0.0.1:{api}")])
        .args(["--p2p", &format!("127.0.0.1:{p2p}")])
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let _devnet = crate::common::Node(devnet);
    let node = format!("http://127.0.0.1:{api}");
    let client = Client::new(&node);
    wait_until("devnet API", Duration::from_secs(60), || {
        client.status().is_ok_and(|s| s.finalized_height > 0)
    });

    // Terminal 2.
    let script = format!("set -euo pipefail\n{}\n", blocks[1..].join("\n"))
        .replace("127.0.0.1:8545", &format!("127.0.0.1:{api}"))
        .replace("127.0.0.1:8600", &format!("127.0.0.1:{issuer}"));
    std::fs::write(root.join("walkthrough.sh"), &script).unwrap();
    let path = format!(
        "{}:{}",
        root.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let started = Instant::now();
    let mut bash = Command::new("bash")
        .arg("-x")
        .arg(root.join("walkthrough.sh"))
        .current_dir(root)
        .env("PATH", path)
        .env("HOME", root.join("home"))
        .env("TMPDIR", root.join("tmp"))
        .env("SOVRA_NODE", &node)
        .env("PS4", "+ README: ")
        .env("NO_COLOR", "1")
        .env_remove("SOVRA_KEYSTORE")
        .env_remove("SOVRA_PASSPHRASE")
        .env_remove("SOVRA_ISSUER_DIR")
        .env_remove("SOVRA_FILE_PASSPHRASE")
        .env_remove("SOVRA_ISSUER_TOKEN")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(root.join("stdout.txt")).unwrap())
        .stderr(std::fs::File::create(root.join("stderr.txt")).unwrap())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(s) = bash.try_wait().unwrap() {
            break Some(s);
        }
        if started.elapsed() > LIMIT {
            let _ = bash.kill();
            let _ = bash.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let read = |name: &str| {
        String::from_utf8_lossy(&std::fs::read(root.join(name)).unwrap_or_default()).into_owned()
    };
    let report = |what: &str| {
        format!(
            "{what}\n--- trace and stderr (end) ---\n{}\n--- stdout (end) ---\n{}\n--- devnet log (end) ---\n{}",
            tail(&read("stderr.txt"), 60),
            tail(&read("stdout.txt"), 30),
            tail(&String::from_utf8_lossy(&std::fs::read(&log).unwrap()), 20),
        )
    };
    match status {
        None => panic!(
            "{}",
            report(&format!("the walkthrough took longer than {LIMIT:?}"))
        ),
        Some(s) if !s.success() => panic!(
            "{}",
            report(&format!(
                "a README command failed ({s}); the last traced line is the one"
            ))
        ),
        Some(_) => eprintln!("the README walkthrough ran in {:.0?}", started.elapsed()),
    }
}
