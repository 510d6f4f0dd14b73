//! The `sovra` command line against real devnets: exit codes of commands that move money, the
//! shared signer options (`--key`, `--as`, `--nonce`), output formats, broken pipes, keystore
//! prompts and exports, and the devnet's lock, chain id, log and shutdown.

use crate::common::{BIN, PORT_STRIDE, port_base, wait_until};
use serde_json::Value;
use sovra_client::Client;
use sovra_types::Did;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The seed of development key 0, as `sovra devnet` prints it.
const DEV0_SEED: &str = "000000005eed0000736f7672612d647600000000000000000000000000000000";

/// Free API and p2p ports (see [`port_base`]).
fn ports() -> (u16, u16) {
    let api = port_base();
    (api, api + PORT_STRIDE)
}

/// A `sovra devnet` process, logging to `<dir>/devnet.log`; killed when dropped.
struct Devnet {
    child: Child,
    dir: PathBuf,
    api: String,
    /// The API and p2p ports, for a restart on the same ones.
    api_port: u16,
    p2p_port: u16,
    log: PathBuf,
}

impl Devnet {
    fn start(root: &Path, slot: u16) -> Self {
        let (api, p2p) = ports();
        let dir = root.join(format!("devnet{slot}"));
        let log = root.join(format!("devnet{slot}.log"));
        let child = spawn_devnet(&dir, api, p2p, &log);
        let devnet = Devnet {
            child,
            dir,
            api: format!("http://127.0.0.1:{api}"),
            api_port: api,
            p2p_port: p2p,
            log,
        };
        let client = Client::new(&devnet.api);
        wait_until("devnet API", Duration::from_secs(60), || {
            client.status().is_ok_and(|s| s.finalized_height > 0)
        });
        devnet
    }

    fn log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap()).into_owned()
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_devnet(dir: &Path, api: u16, p2p: u16, log: &Path) -> Child {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    Command::new(BIN)
        .arg("devnet")
        .arg("--dir")
        .arg(dir)
        .args(["--api", &format!("127.0.0.1:{api}")])
        .args(["--p2p", &format!("127.0.0.1:{p2p}")])
        .env_remove("RUST_LOG")
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap()
}

/// The CLI with a keystore and home of its own, talking to one node.
struct Cli {
    home: PathBuf,
    api: String,
}

impl Cli {
    fn new(home: &Path, api: &str) -> Self {
        std::fs::create_dir_all(home).unwrap();
        Cli {
            home: home.to_path_buf(),
            api: api.to_string(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("HOME", &self.home)
            .env("SOVRA_NODE", &self.api)
            .env("SOVRA_KEYSTORE", self.home.join("keys"))
            .env("SOVRA_PASSPHRASE", "test passphrase")
            .env_remove("SOVRA_FILE_PASSPHRASE");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs a command that must succeed; returns its stdout, trimmed.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "sovra {args:?} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Runs a command that must fail with `code`; returns its stderr.
    fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "sovra {args:?}: expected exit {code}:\n{}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        stderr
    }

    fn json(&self, args: &[&str]) -> Value {
        let text = self.ok(args);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
    }

    fn balance(&self, did: &str) -> u64 {
        self.ok(&["account", did, "--print", "balance"])
            .parse()
            .unwrap()
    }

    fn nonce(&self, did: &str) -> u64 {
        self.ok(&["account", did, "--print", "nonce"])
            .parse()
            .unwrap()
    }
}

/// A devnet in `slot` and a CLI with dev0 imported and a new key alice: (dir, devnet, cli, dev0's
/// DID, alice's DID).
fn devnet_with_keys(slot: u16) -> (tempfile::TempDir, Devnet, Cli, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let net = Devnet::start(tmp.path(), slot);
    let cli = Cli::new(&tmp.path().join("home"), &net.api);
    let dev0 = cli.ok(&[
        "key", "import", "dev0", "--seed", DEV0_SEED, "--print", "did",
    ]);
    let alice = cli.ok(&["key", "new", "alice", "--print", "did"]);
    (tmp, net, cli, dev0, alice)
}

/// `sovra transfer` exits 0 only when the transfer completed: a failed transaction (fee
/// charged), a refused one, a zero amount and a recipient that could never spend the funds all
/// exit 1 with a message saying which, and move nothing.
#[test]
fn transfer_exits_nonzero_unless_the_transfer_completed() {
    let (_tmp, _net, cli, dev0, alice) = devnet_with_keys(0);

    // Completed: exit 0, the outcome on stdout.
    let done = cli.json(&[
        "transfer", "--key", "dev0", "--to", &alice, "--amount", "500", "-o", "json",
    ]);
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(cli.balance(&alice), 500);

    // Failed: included, fee charged, nothing moved, exit 1; the outcome is still printed.
    let out = cli.run(&[
        "transfer", "--key", "alice", "--to", &dev0, "--amount", "5000", "-o", "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let outcome: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["status"], "failed");
    assert_eq!(outcome["error"]["code"], "insufficient_balance");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("failed"), "{stderr}");
    assert!(stderr.contains("insufficient_balance"), "{stderr}");
    assert!(stderr.contains("fee of 1 was charged"), "{stderr}");
    assert_eq!(cli.balance(&alice), 499);

    // Refused at submission (fee below the minimum): nothing charged, exit 1.
    let stderr = cli.fails(
        &[
            "transfer", "--key", "alice", "--to", &dev0, "--amount", "5", "--fee", "0",
        ],
        1,
    );
    assert!(stderr.contains("refused"), "{stderr}");
    assert_eq!(cli.balance(&alice), 499);

    // A zero amount is refused before anything is signed.
    let nonce = cli.nonce(&alice);
    let stderr = cli.fails(
        &["transfer", "--key", "alice", "--to", &dev0, "--amount", "0"],
        1,
    );
    assert!(stderr.contains("at least 1"), "{stderr}");
    assert_eq!(cli.nonce(&alice), nonce);

    // A did:sovra that does not exist could never spend what it receives.
    let nowhere = "did:sovra:JeaAN5bHrGJxqzUeZMDakw";
    let stderr = cli.fails(
        &[
            "transfer", "--key", "alice", "--to", nowhere, "--amount", "5",
        ],
        1,
    );
    assert!(stderr.contains("refusing to transfer"), "{stderr}");
    assert_eq!(cli.balance(&alice), 499);
}

/// Funds held by a did:sovra move with `--key NAME --as DID`, like every other command that
/// signs; `--from` still works on `transfer` for old scripts.
#[test]
fn transfer_as_a_did_sovra_moves_its_funds() {
    let (_tmp, _net, cli, _dev0, alice) = devnet_with_keys(1);
    let bob = cli.ok(&["key", "new", "bob", "--print", "did"]);
    cli.ok(&[
        "transfer", "--from", "dev0", "--to", &alice, "--amount", "100",
    ]);
    let id = cli.ok(&["did", "create", "--key", "alice"]);
    assert!(id.starts_with("did:sovra:"), "{id}");
    cli.ok(&["transfer", "--key", "dev0", "--to", &id, "--amount", "1000"]);
    let alice_before = cli.balance(&alice);

    cli.ok(&[
        "transfer", "--key", "alice", "--as", &id, "--to", &bob, "--amount", "400",
    ]);
    assert_eq!(cli.balance(&bob), 400);
    assert_eq!(cli.balance(&id), 1000 - 400 - 1);
    assert_eq!(
        cli.balance(&alice),
        alice_before,
        "alice's did:key paid nothing"
    );

    // A key that is not the DID's cannot spend its funds.
    let stderr = cli.fails(
        &[
            "transfer", "--key", "bob", "--as", &id, "--to", &bob, "--amount", "1",
        ],
        1,
    );
    assert!(stderr.contains("refused"), "{stderr}");
    assert_eq!(cli.balance(&id), 599);

    // Deactivating a DID that holds funds would strand them: refused, nothing sent, unless
    // the funds are moved first (or abandoned on purpose).
    let stderr = cli.fails(&["did", "deactivate", &id, "--key", "alice"], 1);
    assert!(
        stderr.contains("lost for good") && stderr.contains("nothing was sent"),
        "{stderr}"
    );
    assert_eq!(cli.balance(&id), 599, "no fee was charged");
    cli.ok(&[
        "transfer", "--key", "alice", "--as", &id, "--to", &bob, "--amount", "597",
    ]);
    cli.ok(&["did", "deactivate", &id, "--key", "alice"]);
    assert_eq!(cli.balance(&id), 0);
}

/// Back-to-back `--no-wait` transfers from one key do not collide: the nonce comes from the
/// node's pending view (`next_nonce`), or is given with `--nonce`.
#[test]
fn back_to_back_no_wait_transfers_from_one_key_all_complete() {
    let (_tmp, net, cli, dev0, alice) = devnet_with_keys(2);
    let client = Client::new(&net.api);
    let wait_done = |ids: &[String]| {
        for id in ids {
            let s = client.wait_final(id, Duration::from_secs(60)).unwrap();
            assert_eq!(s.status, "completed", "{s:?}");
        }
    };

    // `sovra transfer --no-wait` of 10 to alice, with `--nonce` when given; returns the id.
    let send = |nonce: Option<u64>| {
        let nonce = nonce.map(|n| n.to_string());
        let mut args = vec![
            "transfer",
            "--key",
            "dev0",
            "--to",
            &alice,
            "--amount",
            "10",
            "--no-wait",
        ];
        if let Some(n) = &nonce {
            args.extend(["--nonce", n.as_str()]);
        }
        cli.ok(&args)
    };

    // Explicit nonces.
    let start = cli.nonce(&dev0);
    let ids: Vec<String> = (0..3).map(|i| send(Some(start + i))).collect();
    wait_done(&ids);
    assert_eq!(cli.balance(&alice), 30);

    // Nonces from the node's pending view: a node that counts waiting transactions in
    // `next_nonce` lets back-to-back submissions all complete.
    let first = send(None);
    let account = client.account(&Did::parse(&dev0).unwrap()).unwrap();
    let counts_pending = client
        .tx(&first)
        .unwrap()
        .is_some_and(|s| s.status == "pending")
        && account.next_nonce > account.nonce;
    if !counts_pending {
        eprintln!(
            "NOTE: this node does not report pending nonces (next_nonce {} nonce {}) or the first transfer is already final; checking only the explicit --nonce path",
            account.next_nonce, account.nonce
        );
        wait_done(&[first]);
        return;
    }
    let more: Vec<String> = (0..3).map(|_| send(None)).collect();
    wait_done(&[vec![first], more].concat());
    assert_eq!(cli.balance(&alice), 70);
}

/// Read commands print text by default, stable JSON with `-o json`, and one bare value with
/// `--print FIELD`.
#[test]
fn read_commands_print_text_json_or_one_field() {
    let tmp = tempfile::tempdir().unwrap();
    let net = Devnet::start(tmp.path(), 3);
    let cli = Cli::new(&tmp.path().join("home"), &net.api);

    let status = cli.json(&["status", "-o", "json"]);
    let chain = status["chain_id"].as_str().unwrap().to_string();
    assert!(chain.starts_with("devnet-"), "{chain}");
    assert_eq!(cli.ok(&["status", "--print", "chain_id"]), chain);
    let text = cli.ok(&["status"]);
    assert!(text.starts_with(&format!("chain {chain}")), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    let dev0 = cli.ok(&[
        "key", "import", "dev0", "--seed", DEV0_SEED, "--print", "did",
    ]);
    let keys = cli.json(&["key", "list", "-o", "json"]);
    assert_eq!(keys[0]["did"], dev0.as_str());
    assert_eq!(cli.ok(&["key", "show", "dev0", "--print", "did"]), dev0);
    assert_eq!(cli.ok(&["key", "list"]), format!("dev0  {dev0}"));

    let tx = cli.ok(&[
        "transfer", "--key", "dev0", "--to", &dev0, "--amount", "1", "--print", "id",
    ]);
    assert_eq!(tx.len(), 64, "{tx}");
    let view = cli.json(&["tx", "status", &tx, "-o", "json"]);
    assert_eq!(view["status"], "completed");
    assert!(
        cli.ok(&["tx", "status", &tx])
            .contains("completed at height")
    );

    let account = cli.json(&["account", &dev0, "--verify", "--receipts", "-o", "json"]);
    assert_eq!(account["did"], dev0.as_str());
    assert_eq!(account["verified"]["balance"], account["balance"]);
    assert!(
        account["verified"]["block_time"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert_eq!(account["receipts"].as_array().unwrap().len(), 1);

    let verifiers = cli.json(&["verifier", "list", "-o", "json"]);
    assert!(verifiers.is_array(), "{verifiers}");
    let stderr = cli.fails(&["status", "--print", "nope"], 1);
    assert!(stderr.contains("chain_id"), "{stderr}");
}

/// Writing into a closed pipe (`sovra key list | head -0`) ends the command quietly: no panic,
/// no backtrace.
#[test]
fn broken_pipe_ends_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let cli = Cli::new(tmp.path(), "http://127.0.0.1:1");
    cli.ok(&["key", "import", "dev0", "--seed", DEV0_SEED]);
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = cli
        .command(&["key", "list"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "panicked");
    use std::os::unix::process::ExitStatusExt as _;
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{:?}", out.status);
}

/// Without a terminal to ask for the passphrase, the CLI says how to give it.
#[test]
fn missing_terminal_for_the_passphrase_is_explained() {
    use std::os::unix::process::CommandExt as _;
    let tmp = tempfile::tempdir().unwrap();
    let cli = Cli::new(tmp.path(), "http://127.0.0.1:1");
    let mut command = cli.command(&["key", "new", "alice"]);
    command.env_remove("SOVRA_PASSPHRASE").stdin(Stdio::null());
    // A new session has no controlling terminal.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let out = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no terminal"), "{stderr}");
    assert!(stderr.contains("SOVRA_PASSPHRASE"), "{stderr}");
}

/// `sovra key export` moves a key to another keystore: as its seed, or as an encrypted key file
/// (created 0600) imported under a new passphrase.
#[test]
fn key_export_moves_a_key_to_another_keystore() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = tempfile::tempdir().unwrap();
    let cli = Cli::new(&tmp.path().join("old"), "http://127.0.0.1:1");
    let did = cli.ok(&["key", "new", "alice", "--print", "did"]);
    let keys = tmp.path().join("old/keys");
    assert_eq!(
        std::fs::metadata(&keys).unwrap().permissions().mode() & 0o777,
        0o700
    );

    let out = cli.run(&["key", "export", "alice", "--seed"]);
    assert!(out.status.success());
    let seed = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(seed.len(), 64, "{seed}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("anyone who has it controls"));

    let file = tmp.path().join("alice.key");
    cli.ok(&["key", "export", "alice", "--file", file.to_str().unwrap()]);
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    cli.fails(
        &["key", "export", "alice", "--file", file.to_str().unwrap()],
        1,
    );

    let new_device = Cli::new(&tmp.path().join("new"), "http://127.0.0.1:1");
    let imported = new_device
        .command(&[
            "key",
            "import",
            "alice",
            "--file",
            file.to_str().unwrap(),
            "--print",
            "did",
        ])
        .env("SOVRA_PASSPHRASE", "another passphrase")
        .env("SOVRA_FILE_PASSPHRASE", "test passphrase")
        .output()
        .unwrap();
    assert!(imported.status.success(), "{imported:?}");
    assert_eq!(String::from_utf8_lossy(&imported.stdout).trim(), did);
    let from_seed = new_device
        .command(&["key", "import", "again", "--seed", &seed, "--print", "did"])
        .env("SOVRA_PASSPHRASE", "another passphrase")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&from_seed.stdout).trim(), did);
}

/// A devnet: its own chain id (kept across restarts), a data directory a second devnet or node
/// cannot use while it runs, no colour codes or alarming warnings in a log that is not a
/// terminal, empty passphrases only against it, and a clean stop on SIGTERM.
#[test]
fn devnet_lock_chain_id_log_and_graceful_shutdown() {
    let tmp = tempfile::tempdir().unwrap();
    let mut net = Devnet::start(tmp.path(), 0);
    let client = Client::new(&net.api);
    let chain = client.status().unwrap().chain_id;
    assert!(chain.starts_with("devnet-"), "{chain}");

    // A second devnet on the same directory fails before printing an API URL, and so does a
    // node on its data directory.
    let (api, p2p) = ports();
    let started = Instant::now();
    let second = Command::new(BIN)
        .arg("devnet")
        .arg("--dir")
        .arg(&net.dir)
        .args(["--api", &format!("127.0.0.1:{api}")])
        .args(["--p2p", &format!("127.0.0.1:{p2p}")])
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&second.stdout).contains("API"));
    assert!(String::from_utf8_lossy(&second.stderr).contains("in use"));
    assert!(started.elapsed() < Duration::from_secs(10));
    // Not even with --reset: the running devnet's directory stays.
    let reset = Command::new(BIN)
        .arg("devnet")
        .arg("--dir")
        .arg(&net.dir)
        .arg("--reset")
        .args(["--api", &format!("127.0.0.1:{api}")])
        .args(["--p2p", &format!("127.0.0.1:{p2p}")])
        .output()
        .unwrap();
    assert_eq!(reset.status.code(), Some(1));
    assert!(net.dir.join("genesis.json").exists());
    assert!(client.status().is_ok());
    let node = Command::new(BIN)
        .args(["node", "--config"])
        .arg(net.dir.join("node0/config.toml"))
        .output()
        .unwrap();
    assert_eq!(node.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&node.stderr).contains("in use"));

    // Empty passphrases: accepted against a devnet, refused elsewhere.
    let cli = Cli::new(&tmp.path().join("home"), &net.api);
    cli.command(&["key", "new", "throwaway", "--passphrase", ""])
        .status()
        .unwrap()
        .success()
        .then_some(())
        .expect("an empty passphrase on a devnet");
    let elsewhere = Cli::new(&tmp.path().join("home2"), "http://127.0.0.1:1");
    let stderr = elsewhere.fails(&["key", "new", "k", "--passphrase", ""], 1);
    assert!(stderr.contains("empty passphrase"), "{stderr}");

    // The log (not a terminal) has no colour codes and no warnings on a first start.
    let log = net.log();
    assert!(!log.contains('\u{1b}'), "colour codes in the log:\n{log}");
    assert!(
        !log.lines()
            .any(|l| l.contains(" WARN ") || l.contains(" ERROR ")),
        "warnings on a first start:\n{log}"
    );

    // SIGTERM: a message and exit status 0.
    unsafe {
        libc::kill(net.child.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = net.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the devnet did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status.code(), Some(0), "{status:?}");
    let log = net.log();
    assert!(log.contains("received SIGTERM: shutting down"), "{log}");

    // Restarted, it keeps its chain id, and (its state synced at the stop) warns of nothing.
    let before_restart = log.len();
    net.child = spawn_devnet(&net.dir, net.api_port, net.p2p_port, &net.log);
    wait_until("restarted devnet", Duration::from_secs(60), || {
        client.status().is_ok()
    });
    let height = client.status().unwrap().finalized_height;
    wait_until("a block after the restart", Duration::from_secs(60), || {
        client.status().is_ok_and(|s| s.finalized_height > height)
    });
    assert_eq!(client.status().unwrap().chain_id, chain);
    let restart_log = net.log()[before_restart..].to_string();
    assert!(
        !restart_log
            .lines()
            .any(|l| l.contains(" WARN ") || l.contains(" ERROR ")),
        "warnings on a restart after a graceful stop:\n{restart_log}"
    );
}

/// `sovra asset`: a class created, minted and sent, read back with proofs; a soulbound class's
/// tokens refuse to move (exit 1, fee charged); a lock prints its id and releases only what has
/// vested.
#[test]
fn assets_are_created_minted_sent_locked_and_read_with_proofs() {
    let (_tmp, _net, cli, dev0, alice) = devnet_with_keys(0);
    cli.ok(&[
        "transfer", "--key", "dev0", "--to", &alice, "--amount", "100",
    ]);
    let gold = format!("{dev0}/GOLD");
    cli.ok(&[
        "asset",
        "create",
        "GOLD",
        "--key",
        "dev0",
        "--symbol",
        "GLD",
        "--title",
        "Gold",
        "--decimals",
        "2",
        "--max-supply",
        "1000000",
        "--transferable",
    ]);
    cli.ok(&[
        "asset", "mint", &gold, "--key", "dev0", "--to", &dev0, "--amount", "1000",
    ]);
    cli.ok(&[
        "asset", "send", &gold, "--key", "dev0", "--to", &alice, "--amount", "250",
    ]);
    assert_eq!(
        cli.ok(&["asset", "balance", &gold, &alice, "--print", "balance"]),
        "250"
    );
    let class = cli.json(&["asset", "show", &gold, "-o", "json"]);
    assert_eq!(class["supply"], "1000", "{class}");
    assert_eq!(class["flags"], serde_json::json!(["transferable"]));
    // Over the cap: the transaction fails, exit 1, nothing minted.
    let stderr = cli.fails(
        &[
            "asset", "mint", &gold, "--key", "dev0", "--to", &dev0, "--amount", "999001",
        ],
        1,
    );
    assert!(stderr.contains("max_supply_exceeded"), "{stderr}");

    // A soulbound badge stays with alice.
    let badge = format!("{dev0}/BADGE");
    cli.ok(&[
        "asset",
        "create",
        "BADGE",
        "--key",
        "dev0",
        "--kind",
        "non-fungible",
        "--symbol",
        "KYC",
        "--issuer-burnable",
    ]);
    cli.ok(&[
        "asset", "mint", &badge, "--key", "dev0", "--to", &alice, "--token", "1",
    ]);
    let fee_before = cli.balance(&alice);
    let stderr = cli.fails(
        &[
            "asset", "send", &badge, "--key", "alice", "--to", &dev0, "--token", "1", "--amount",
            "1",
        ],
        1,
    );
    assert!(stderr.contains("soulbound"), "{stderr}");
    assert_eq!(cli.balance(&alice), fee_before - 1, "the fee was charged");
    assert_eq!(
        cli.ok(&[
            "asset", "balance", &badge, &alice, "--token", "1", "--print", "balance"
        ]),
        "1"
    );

    // A time lock: alice locks 50 for dev0 until a second from now; releasing works after it.
    let lock = cli.ok(&[
        "asset", "lock", &gold, "--key", "alice", "--to", &dev0, "--amount", "50", "--until", "+1s",
    ]);
    let lock: u64 = lock.parse().unwrap_or_else(|_| panic!("a lock id: {lock}"));
    std::thread::sleep(Duration::from_secs(2));
    cli.ok(&[
        "asset",
        "release",
        &gold,
        "--key",
        "dev0",
        "--lock",
        &lock.to_string(),
    ]);
    assert_eq!(
        cli.ok(&["asset", "balance", &gold, &dev0, "--print", "balance"]),
        "800"
    );
    assert_eq!(
        cli.ok(&["asset", "balance", &gold, &alice, "--print", "balance"]),
        "200"
    );
    // The listings (from the node's index, balances from state).
    let held = cli.json(&["asset", "list", &alice, "-o", "json"]);
    let holdings = held["holdings"].as_array().unwrap();
    assert_eq!(holdings.len(), 2, "{held}");
    assert!(
        holdings
            .iter()
            .any(|h| h["class"] == gold.as_str() && h["balance"] == "200")
    );
    assert!(
        holdings
            .iter()
            .any(|h| h["class"] == badge.as_str() && h["token"] == 1)
    );
    assert!(
        held["locks"].as_array().unwrap().is_empty(),
        "released in full"
    );
    let issued = cli.json(&["asset", "list", &dev0, "-o", "json"]);
    assert_eq!(issued["issued"].as_array().unwrap().len(), 2, "{issued}");

    // A composable token: alice puts gold into her chest, hands the chest to dev0, and dev0
    // takes the gold out; the chest and its bundle are read with proofs.
    let chest_class = format!("{dev0}/CHEST");
    cli.ok(&[
        "asset",
        "create",
        "CHEST",
        "--key",
        "dev0",
        "--kind",
        "nft",
        "--symbol",
        "CHS",
        "--transferable",
    ]);
    cli.ok(&[
        "asset",
        "mint",
        &chest_class,
        "--key",
        "dev0",
        "--to",
        &alice,
        "--token",
        "7",
    ]);
    let chest = format!("{chest_class}#7");
    cli.ok(&[
        "token", "nest", &chest, &gold, "--key", "alice", "--amount", "30",
    ]);
    let stderr = cli.fails(
        &[
            "asset", "unnest", &chest, &gold, "--key", "dev0", "--amount", "1",
        ],
        1,
    );
    assert!(stderr.contains("not_token_owner"), "{stderr}");
    cli.ok(&[
        "asset",
        "send",
        &chest_class,
        "--key",
        "alice",
        "--to",
        &dev0,
        "--token",
        "7",
        "--amount",
        "1",
    ]);
    let token = cli.json(&["asset", "token", &chest_class, "7", "-o", "json"]);
    assert_eq!(token["owner"], dev0.as_str(), "{token}");
    assert_eq!(
        token["bundle"],
        serde_json::json!([{"class": gold, "token": 0, "amount": "30"}])
    );
    cli.ok(&[
        "asset", "unnest", &chest, &gold, "--key", "dev0", "--amount", "30",
    ]);
    assert_eq!(
        cli.ok(&["asset", "balance", &gold, &dev0, "--print", "balance"]),
        "830"
    );
    assert!(
        cli.ok(&["asset", "token", &chest_class, "7"])
            .contains("owned by")
    );
}

/// `sovra stake` and `sovra gov` on a devnet (short development periods): dev0 operates the
/// devnet's validator, bonded at genesis, and bonds more; alice delegates to it; a
/// proposal to raise the minimum fee passes with dev0's yes over alice's no, is finalized after
/// the voting period and takes effect at its execution height: a fee of 1 is then refused.
#[test]
fn stake_propose_vote_and_see_the_parameter_change() {
    let (_tmp, net, cli, dev0, alice) = devnet_with_keys(0);
    let key_file = net.dir.join("node0").join("validator.key");
    let register = [
        "stake",
        "register",
        "--validator-key",
        key_file.to_str().unwrap(),
        "--address",
        "127.0.0.1:7999",
        "--key",
        "dev0",
    ];
    // dev0 is already the validator's candidate (genesis): refused by the ledger (exit 1).
    let stderr = cli.fails(&register, 1);
    assert!(stderr.contains("already_validator"), "{stderr}");
    cli.ok(&[
        "stake", "delegate", &dev0, "--amount", "5000", "--key", "dev0",
    ]);
    cli.ok(&[
        "transfer", "--key", "dev0", "--to", &alice, "--amount", "1000",
    ]);
    cli.ok(&[
        "stake", "delegate", &dev0, "--amount", "300", "--key", "alice",
    ]);
    let list = cli.json(&["stake", "validators", "-o", "json"]);
    assert_eq!(list["validators"][0]["did"], dev0.as_str(), "{list}");
    assert_eq!(list["validators"][0]["next_stake"], 1_005_300, "{list}");

    // Stake counts from the next epoch: wait for it, then propose.
    let epoch: u64 = cli
        .ok(&["gov", "params", "--print", "epoch"])
        .parse()
        .unwrap();
    let next: u64 = cli.ok(&["stake", "wait"]).parse().unwrap();
    assert!(next > epoch, "{next} after {epoch}");
    // The last block of the previous epoch chose this epoch's validator set from the stake.
    let sets = cli.json(&["stake", "sets", "-o", "json"]);
    let chosen = sets["sets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["epoch"] == next)
        .unwrap_or_else(|| panic!("no set for epoch {next}: {sets}"));
    assert_eq!(chosen["members"][0]["did"], dev0.as_str(), "{sets}");
    assert_eq!(chosen["members"][0]["power"], 1_005_300, "{sets}");
    // Bonded stake earns every block (the devnet issues 10 tokens per block): dev0 claims its
    // rewards and commission, at least what `stake show` said; nothing to claim exits 1.
    let due = cli.json(&["stake", "show", &dev0, "-o", "json"])["rewards"]
        .as_u64()
        .unwrap();
    assert!(due > 0, "dev0 earned nothing");
    let balance = cli.balance(&dev0);
    cli.ok(&["stake", "claim", "--key", "dev0"]);
    assert!(
        cli.balance(&dev0) >= balance - 1 + due,
        "claimed less than {due}"
    );
    cli.ok(&["key", "new", "carol"]);
    let stderr = cli.fails(&["stake", "claim", "--key", "carol"], 1);
    assert!(stderr.contains("no rewards"), "{stderr}");
    let id = cli.ok(&[
        "gov",
        "propose",
        "--title",
        "Raise the fee",
        "--param",
        "min_fee=2",
        "--key",
        "dev0",
        "--print",
        "id",
    ]);
    cli.ok(&["gov", "vote", &id, "yes", "--key", "dev0"]);
    cli.ok(&["gov", "vote", &id, "no", "--key", "alice"]);
    // A trust-registry proposal in the same window: governance registers alice as a verifier.
    let registry = cli.ok(&[
        "gov",
        "propose",
        "--title",
        "Register the clinic",
        "--register-verifier",
        &alice,
        "--verifier-name",
        "Clinic",
        "--credential-type",
        "LabResult",
        "--key",
        "dev0",
        "--print",
        "id",
    ]);
    cli.ok(&["gov", "vote", &registry, "yes", "--key", "dev0"]);
    // Enacting it before it passed is refused by the ledger (exit 1).
    let stderr = cli.fails(&["gov", "enact", &registry, "--key", "alice"], 1);
    assert!(stderr.contains("not_passed"), "{stderr}");
    let shown = cli.json(&["gov", "show", &id, "-o", "json"]);
    assert_eq!(shown["tally"]["yes"], 1_005_000, "{shown}");
    assert_eq!(shown["tally"]["no"], 300, "{shown}");
    assert_eq!(shown["status"], "voting", "{shown}");
    let stderr = cli.fails(&["gov", "finalize", &id, "--key", "alice"], 1);
    assert!(stderr.contains("voting_open"), "{stderr}");

    let voting_end = shown["voting_end"].as_u64().unwrap();
    let execution = shown["execution_height"].as_u64().unwrap();
    let reached: u64 = cli.ok(&["gov", "wait", &id]).parse().unwrap();
    assert!(reached > voting_end, "{reached} after {voting_end}");
    cli.ok(&["gov", "finalize", &id, "--key", "alice"]);
    let shown = cli.json(&["gov", "show", &id, "-o", "json"]);
    assert_eq!(shown["status"], "passed", "{shown}");
    // Newest first: the registry proposal, then the fee change.
    let listed = cli.json(&["gov", "list", "-o", "json"]);
    assert_eq!(listed["proposals"][0]["id"], registry.as_str(), "{listed}");
    assert_eq!(listed["proposals"][1]["id"], id.as_str(), "{listed}");

    let reached: u64 = cli.ok(&["gov", "wait", &id]).parse().unwrap();
    assert!(reached + 1 >= execution, "{reached} before {execution}");
    assert_eq!(cli.ok(&["gov", "params", "--print", "params.min_fee"]), "2");
    let stderr = cli.fails(
        &["transfer", "--key", "dev0", "--to", &alice, "--amount", "1"],
        1,
    );
    assert!(stderr.contains("fee_too_low"), "{stderr}");
    cli.ok(&["gov", "claim", &id, "--key", "dev0", "--fee", "2"]);
    // The registry proposal passed too: anyone enacts it once its timelock is over.
    cli.ok(&["gov", "finalize", &registry, "--key", "alice", "--fee", "2"]);
    cli.ok(&["gov", "wait", &registry]);
    cli.ok(&["gov", "enact", &registry, "--key", "alice", "--fee", "2"]);
    let verifiers = cli.json(&["verifier", "list", "-o", "json"]);
    assert!(
        verifiers.to_string().contains(alice.as_str()),
        "alice is not a verifier: {verifiers}"
    );
    let stderr = cli.fails(
        &["gov", "enact", &registry, "--key", "alice", "--fee", "2"],
        1,
    );
    assert!(stderr.contains("already_enacted"), "{stderr}");
    cli.ok(&[
        "stake",
        "undelegate",
        "--amount",
        "100",
        "--key",
        "alice",
        "--fee",
        "2",
    ]);
    let stake = cli.json(&["stake", "show", &alice, "-o", "json"]);
    assert_eq!(stake["next_stake"], 200, "{stake}");
    assert_eq!(stake["unbonding"][0]["amount"], 100, "{stake}");
}
