//! The CAR fixtures of the IPFS gateway conformance suite
//! (`vectors/ipfs-gateway-conformance/`): every one imports with each block verified,
//! the paths their READMEs describe resolve to the contents the recipes wrote, directories made
//! by the recipes get the same CIDs from our importer, and tampered CARs are refused.

use std::fs;
use std::path::{Path, PathBuf};

use sovra_cas::car::{self, CarImport};
use sovra_cas::dag::{self, Scope};
use sovra_cas::unixfs::{self, EntryKind};
use sovra_cas::{Adder, BlockSource, CasError, Cid, MemoryBlocks, Profile};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/ipfs-gateway-conformance")
}

fn import(relative: &str) -> (MemoryBlocks, CarImport) {
    let bytes = fs::read(fixtures().join(relative)).unwrap();
    let mut blocks = MemoryBlocks::new();
    let imported = car::import(bytes.as_slice(), 64 << 20, &mut blocks)
        .unwrap_or_else(|e| panic!("{relative}: {e}"));
    (blocks, imported)
}

fn read(blocks: &MemoryBlocks, root: &Cid, path: &str) -> String {
    let segments: Vec<String> = path.split('/').map(str::to_string).collect();
    let resolved =
        unixfs::resolve_path(blocks, root, &segments).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = Vec::new();
    unixfs::cat(blocks, &resolved.cid, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The recipe's `TEXT` (a `<<-` heredoc: leading tabs stripped), written without a final newline.
fn lorem() -> String {
    let readme = fs::read_to_string(fixtures().join("path_gateway_unixfs/README.md")).unwrap();
    let start = readme.find("TEXT=$(cat <<-EOF").unwrap();
    let body = &readme[start..];
    let body = &body[body.find('\n').unwrap() + 1..body.find("\nEOF").unwrap()];
    body.lines()
        .map(|l| l.trim_start_matches('\t'))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_fixture_car_imports_and_is_complete() {
    let mut checked = 0;
    let mut stack = vec![fixtures()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("car") {
                continue;
            }
            let relative = path
                .strip_prefix(fixtures())
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            let (blocks, imported) = import(&relative);
            assert!(imported.blocks > 0, "{relative}");
            for root in &imported.roots {
                let missing = dag::missing_blocks(&blocks, root, 10).unwrap();
                if relative.ends_with("missing-block.car") {
                    assert_eq!(missing.len(), 1, "{relative} lacks exactly one block");
                } else {
                    assert!(missing.is_empty(), "{relative}: missing {missing:?}");
                    // Re-export and re-import: the same blocks come back.
                    let mut car_bytes = Vec::new();
                    let stats =
                        car::export(&blocks, root, &[], root, Scope::All, &mut car_bytes).unwrap();
                    let mut again = MemoryBlocks::new();
                    let reimported =
                        car::import(car_bytes.as_slice(), 64 << 20, &mut again).unwrap();
                    assert_eq!(reimported.roots, vec![*root]);
                    assert_eq!(reimported.blocks, stats.blocks);
                    assert!(dag::missing_blocks(&again, root, 10).unwrap().is_empty());
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} CAR fixtures found");
}

#[test]
fn raw_block_fixture_paths_resolve() {
    let (blocks, imported) = import("gateway-raw-block.car");
    let root = imported.roots[0];
    assert_eq!(
        read(&blocks, &root, "dir/ascii.txt"),
        "hello application/vnd.ipld.raw\n"
    );
    assert_eq!(unixfs::kind(&blocks, &root).unwrap(), EntryKind::Directory);
}

#[test]
fn unixfs_fixture_paths_resolve() {
    let (blocks, imported) = import("path_gateway_unixfs/dir-with-files.car");
    let root = imported.roots[0];
    assert_eq!(
        read(&blocks, &root, "ascii.txt"),
        "hello application/vnd.ipld.car\n"
    );
    assert_eq!(
        read(&blocks, &root, "ascii-copy.txt"),
        "hello application/vnd.ipld.car\n"
    );
    assert_eq!(read(&blocks, &root, "hello.txt"), "hello world\n");
    assert_eq!(read(&blocks, &root, "multiblock.txt"), lorem());
    let names: Vec<String> = unixfs::list_dir(&blocks, &root)
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(
        names,
        ["ascii-copy.txt", "ascii.txt", "hello.txt", "multiblock.txt"]
    );
    assert!(matches!(
        unixfs::resolve_path(&blocks, &root, &["nope.txt".to_string()]),
        Err(CasError::PathNotFound(_))
    ));
    assert!(matches!(
        unixfs::resolve_path(&blocks, &root, &["hello.txt".into(), "deeper".into()]),
        Err(CasError::NotADirectory { .. })
    ));

    let (blocks, imported) = import("path_gateway_unixfs/dir-with-percent-encoded-filename.car");
    assert_eq!(
        read(
            &blocks,
            &imported.roots[0],
            "Portugal%2C+España=Peninsula Ibérica.txt"
        ),
        "hello from a percent encoded filename\n"
    );

    let (blocks, imported) = import("path_gateway_unixfs/symlink.car");
    let root = imported.roots[0];
    assert_eq!(read(&blocks, &root, "foo"), "content\n");
    let bar = unixfs::resolve_path(&blocks, &root, &["bar".to_string()]).unwrap();
    assert_eq!(unixfs::kind(&blocks, &bar.cid).unwrap(), EntryKind::Symlink);
}

#[test]
fn hamt_sharded_directory_lists_and_resolves() {
    let (blocks, imported) =
        import("trustless_gateway_car/single-layer-hamt-with-multi-block-files.car");
    let root = imported.roots[0];
    let entries = unixfs::list_dir(&blocks, &root).unwrap();
    assert!(entries.len() > 1, "a sharded directory has entries");
    for entry in &entries {
        let resolved =
            unixfs::resolve_path(&blocks, &root, std::slice::from_ref(&entry.name)).unwrap();
        assert_eq!(resolved.cid, entry.cid, "{}", entry.name);
        assert!(!resolved.path_blocks.is_empty());
        let mut out = Vec::new();
        unixfs::cat(&blocks, &resolved.cid, &mut out).unwrap();
    }
}

/// The dir_listing and path_gateway_dag recipes run `ipfs add -Qr --cid-version 1 rootDir`; our
/// importer on the same tree must give the CAR's root.
#[test]
fn directory_import_matches_the_recipes() {
    let made = tempfile::tempdir().unwrap();
    let root_dir = made.path().join("rootDir");
    for dir in ["ipfs", "ipns", "api", "ą/ę"] {
        fs::create_dir_all(root_dir.join(dir)).unwrap();
    }
    let files = [
        ("ą/ę/file-źł.txt", "I am a txt file on path with utf8\n"),
        ("api/file.txt", "I am a txt file in confusing /api dir\n"),
        ("ipfs/file.txt", "I am a txt file in confusing /ipfs dir\n"),
        ("ipns/file.txt", "I am a txt file in confusing /ipns dir\n"),
    ];
    for (path, content) in files {
        fs::write(root_dir.join(path), content).unwrap();
    }
    let mut blocks = MemoryBlocks::new();
    let added = Adder::new(Profile::Legacy)
        .add_path(&root_dir, &mut blocks)
        .unwrap();
    let (fixture_blocks, imported) = import("dir_listing/fixtures.car");
    assert_eq!(added.cid, imported.roots[0]);
    assert_eq!(
        added.cid.to_string(),
        "bafybeig6ka5mlwkl4subqhaiatalkcleo4jgnr3hqwvpmsqfca27cijp3i"
    );
    assert_eq!(
        read(&fixture_blocks, &added.cid, "ą/ę/file-źł.txt"),
        "I am a txt file on path with utf8\n"
    );

    fs::write(
        root_dir.join("ą/ę/t.json"),
        "{ \"test\": \"i am a plain json file\" }\n",
    )
    .unwrap();
    let added = Adder::new(Profile::Legacy)
        .add_path(&root_dir, &mut blocks)
        .unwrap();
    let (_, imported) = import("path_gateway_dag/gateway-json-cbor.car");
    assert_eq!(added.cid, imported.roots[0]);

    // Export to disk and compare byte for byte.
    let out = made.path().join("exported");
    sovra_cas::export::export_to_path(&blocks, &added.cid, &out, Default::default(), |_| {})
        .unwrap();
    for (path, content) in files {
        assert_eq!(fs::read_to_string(out.join(path)).unwrap(), content);
    }
}

#[test]
fn tampered_car_is_refused() {
    let mut bytes = fs::read(fixtures().join("gateway-raw-block.car")).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    let mut blocks = MemoryBlocks::new();
    let err = car::import(bytes.as_slice(), 1 << 20, &mut blocks).unwrap_err();
    assert!(matches!(err, CasError::HashMismatch(_)), "{err}");

    let good = fs::read(fixtures().join("gateway-raw-block.car")).unwrap();
    let err = car::import(&good[..good.len() / 2], 1 << 20, &mut MemoryBlocks::new()).unwrap_err();
    assert!(matches!(err, CasError::Car(_)), "truncated: {err}");
    let err = car::import(good.as_slice(), 64, &mut MemoryBlocks::new()).unwrap_err();
    assert!(
        matches!(err, CasError::CarTooLarge { max_bytes: 64 }),
        "over the size limit: {err}"
    );
    let err = car::import(&b"\x05hello"[..], 1 << 20, &mut MemoryBlocks::new()).unwrap_err();
    // The header's decoding error is kept as the cause.
    assert!(
        matches!(err, CasError::CarHeader(_)),
        "garbage header: {err}"
    );
    assert!(std::error::Error::source(&err).is_some(), "{err:?}");
}

#[test]
fn dag_scopes_select_the_right_blocks() {
    let (blocks, imported) = import("path_gateway_unixfs/dir-with-files.car");
    let root = imported.roots[0];
    let count = |cid: &Cid, scope| {
        dag::walk(&blocks, cid, scope, |_, _| Ok(()))
            .unwrap()
            .blocks
    };
    let multiblock = unixfs::resolve_path(&blocks, &root, &["multiblock.txt".into()])
        .unwrap()
        .cid;
    assert_eq!(count(&root, Scope::Block), 1);
    assert_eq!(
        count(&root, Scope::Entity),
        1,
        "a directory entity is its own block"
    );
    let file_blocks = count(&multiblock, Scope::Entity);
    assert!(
        file_blocks > 1,
        "a multi-block file entity is all of its blocks"
    );
    assert_eq!(count(&multiblock, Scope::All), file_blocks);
    assert!(count(&root, Scope::All) > file_blocks);
    assert!(blocks.require_block(&multiblock).is_ok());
}
