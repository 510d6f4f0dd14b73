//! Directory CIDs against the reference UnixFS importer (`ipfs-unixfs-importer`), for both
//! profiles, around the size at which each profile writes a directory as a HAMT shard:
//! `unixfs-v0-2015` decides by the bytes of the entries' names and CIDs, `unixfs-v1-2025` by the
//! size of the encoded flat block. The expected CIDs are in `vectors/unixfs/directories.json`,
//! made by `reference-importer/generate.mjs` (see `vectors/README.md`).

use std::path::{Path, PathBuf};
use std::process::Command;

use rust_unixfs::dir::{NodeDescription, describe};
use serde_json::Value;
use sovra_cas::{Adder, BlockSource, MemoryBlocks, Profile};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/unixfs")
}

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(vectors_dir().join("directories.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["cases"].as_array().unwrap().clone()
}

/// Writes a case's files under `root` as the generator describes them.
fn build_tree(case: &Value, root: &Path) {
    std::fs::create_dir_all(root).unwrap();
    for group in case["groups"].as_array().unwrap() {
        let dir = match group["dir"].as_str() {
            Some(d) => root.join(d),
            None => root.to_path_buf(),
        };
        std::fs::create_dir_all(&dir).unwrap();
        let prefix = group["prefix"].as_str().unwrap();
        let suffix = group["suffix"].as_str().unwrap();
        for i in 0..group["count"].as_u64().unwrap() {
            std::fs::write(
                dir.join(format!("{prefix}{i:05}{suffix}")),
                format!("{i}\n"),
            )
            .unwrap();
        }
    }
}

#[test]
fn directory_cids_match_the_reference_importer_in_both_profiles() {
    let cases = cases();
    assert!(cases.len() >= 7, "expected the generated cases");
    let mut sharded_only_in_2025 = 0;
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        build_tree(case, &root);
        for profile in [Profile::Legacy, Profile::V1_2025] {
            let mut blocks = MemoryBlocks::new();
            let added = Adder::new(profile).add_path(&root, &mut blocks).unwrap();
            let expected = case["cids"][profile.name()].as_str().unwrap();
            assert_eq!(
                added.cid.to_string(),
                expected,
                "case {name}, profile {profile}"
            );
            // The root is a HAMT exactly when the reference importer made one.
            let block = blocks.require_block(&added.cid).unwrap();
            let sharded = matches!(describe(&block), NodeDescription::HamtShard { .. });
            let expected_sharded =
                case["root_types"][profile.name()].as_str() == Some("hamt-sharded-directory");
            assert_eq!(sharded, expected_sharded, "case {name}, profile {profile}");
        }
        if case["root_types"]["unixfs-v0-2015"] == "directory"
            && case["root_types"]["unixfs-v1-2025"] == "hamt-sharded-directory"
        {
            sharded_only_in_2025 += 1;
        }
    }
    assert!(
        sharded_only_in_2025 >= 2,
        "the fixtures must include directories only the 2025 profile shards"
    );
}

/// Re-runs the reference importer (when Node.js and the pinned packages are installed: `npm ci`
/// in `tests/reference-importer`, as `scripts/test` does) and checks that it still gives the
/// checked-in CIDs.
#[test]
fn reference_importer_still_gives_the_checked_in_cids() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference-importer");
    if !dir.join("node_modules/ipfs-unixfs-importer").is_dir() {
        eprintln!(
            "skipped: the reference importer is not installed (run `npm ci` in {})",
            dir.display()
        );
        return;
    }
    let out = match Command::new("node")
        .current_dir(&dir)
        .arg("generate.mjs")
        .arg("--check")
        .arg(vectors_dir().join("directories.json"))
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("skipped: node is not available ({e})");
            return;
        }
    };
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
