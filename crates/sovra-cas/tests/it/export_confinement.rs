//! `sovra get`'s export of untrusted DAGs: whatever names, links and shared blocks a DAG holds,
//! nothing is written outside the output path, nothing is written through a link, the expanded
//! size is bounded, and a failed export leaves nothing behind.

use std::path::Path;

use ipld_dagpb::{PbLink, PbNode};
use sovra_cas::export::{ExportLimits, export_to_path};
use sovra_cas::{Adder, BlockSink, CasError, Cid, MemoryBlocks, Profile, car, dag::Scope};

/// A dag-pb block with the CID IPFS gives it.
fn put_dagpb(blocks: &mut MemoryBlocks, node: PbNode) -> Cid {
    let bytes = node.into_bytes();
    let cid = Cid::new_v1(
        sovra_cas::block::DAG_PB,
        multihash_codetable::MultihashDigest::digest(&multihash_codetable::Code::Sha2_256, &bytes),
    );
    blocks.put_block(cid, bytes).unwrap();
    cid
}

/// A flat UnixFS directory with these (name, CID) links, in this order, duplicates kept.
fn dir(blocks: &mut MemoryBlocks, links: &[(&str, Cid)]) -> Cid {
    put_dagpb(
        blocks,
        PbNode {
            links: links
                .iter()
                .map(|(name, cid)| PbLink {
                    cid: *cid,
                    name: Some((*name).to_string()),
                    size: Some(1),
                })
                .collect(),
            // UnixFS Data { Type: Directory }
            data: Some(bytes::Bytes::from_static(&[0x08, 0x01])),
        },
    )
}

fn symlink(blocks: &mut MemoryBlocks, target: &str) -> Cid {
    let mut block = Vec::new();
    rust_unixfs::symlink::serialize_symlink_block(target, &mut block);
    let node = PbNode::from_bytes(block.into()).unwrap();
    put_dagpb(blocks, node)
}

fn file(blocks: &mut MemoryBlocks, text: &str) -> Cid {
    let block = sovra_cas::Block::raw(text.as_bytes().to_vec());
    blocks.put_block(block.cid, block.data).unwrap();
    block.cid
}

/// The export fails, names the reason, and leaves nothing next to the output.
fn assert_refused(blocks: &MemoryBlocks, root: &Cid, parent: &Path, reason: &str) {
    let out = parent.join("out");
    let err = export_to_path(blocks, root, &out, ExportLimits::default(), |_| {}).unwrap_err();
    let text = err.to_string();
    assert!(text.contains(reason), "expected {reason:?} in {text:?}");
    assert!(text.contains("nothing was written"), "{text}");
    assert!(!out.exists(), "nothing at the output");
    let left: Vec<_> = std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "victim")
        .collect();
    assert!(left.is_empty(), "no staging directory left: {left:?}");
}

#[test]
fn symlink_then_same_named_directory_writes_nothing_outside_the_output() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let victim = work.join("victim");
    std::fs::create_dir(&victim).unwrap();
    let mut blocks = MemoryBlocks::new();
    // evil -> /.../victim, then evil/ a directory holding `planted`.
    let link = symlink(&mut blocks, victim.to_str().unwrap());
    let planted = file(&mut blocks, "owned");
    let inner = dir(&mut blocks, &[("planted", planted)]);
    let root = dir(&mut blocks, &[("evil", link), ("evil", inner)]);
    assert_refused(&blocks, &root, &work, "appears twice");
    assert_eq!(
        std::fs::read_dir(&victim).unwrap().count(),
        0,
        "victim untouched"
    );

    // The same directory without the duplicate: the absolute link itself is refused.
    let root = dir(&mut blocks, &[("evil", link)]);
    assert_refused(&blocks, &root, &work, "absolute targets are not created");
    assert_eq!(std::fs::read_dir(&victim).unwrap().count(), 0);
}

#[test]
fn links_that_leave_the_output_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for target in [
        "/etc/passwd",
        "../../..",
        "..",
        "sub/../../x",
        "a/../../../etc",
    ] {
        let mut blocks = MemoryBlocks::new();
        let link = symlink(&mut blocks, target);
        let f = file(&mut blocks, "x");
        let sub = dir(&mut blocks, &[("f", f)]);
        let root = dir(&mut blocks, &[("a", sub), ("link", link), ("sub", sub)]);
        let reason = if target.starts_with('/') {
            "absolute targets"
        } else {
            "leaves the output directory"
        };
        assert_refused(&blocks, &root, tmp.path(), reason);
    }
}

#[test]
fn links_through_other_links_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut blocks = MemoryBlocks::new();
    // `s -> .` is harmless alone, but `x -> s/../etc` would resolve above the output.
    let dot = symlink(&mut blocks, ".");
    let through = symlink(&mut blocks, "s/../etc");
    let root = dir(&mut blocks, &[("s", dot), ("x", through)]);
    assert_refused(&blocks, &root, tmp.path(), "not a directory of this tree");
    // Through a file, too.
    let f = file(&mut blocks, "x");
    let into_file = symlink(&mut blocks, "f/x");
    let root = dir(&mut blocks, &[("f", f), ("l", into_file)]);
    assert_refused(&blocks, &root, tmp.path(), "not a directory of this tree");
}

#[test]
fn names_that_are_not_one_path_component_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["..", ".", "a/b", "", "nul\0byte", "/abs"] {
        let mut blocks = MemoryBlocks::new();
        let f = file(&mut blocks, "x");
        let root = dir(&mut blocks, &[(name, f)]);
        assert_refused(&blocks, &root, tmp.path(), "one plain path component");
    }
}

#[test]
fn links_inside_the_output_are_created() {
    let tmp = tempfile::tempdir().unwrap();
    let mut blocks = MemoryBlocks::new();
    let f = file(&mut blocks, "hello");
    let sub = dir(&mut blocks, &[("f.txt", f)]);
    let to_file = symlink(&mut blocks, "sub/f.txt");
    let up_and_back = symlink(&mut blocks, "../sub/f.txt");
    let deeper = dir(&mut blocks, &[("back", up_and_back)]);
    let root = dir(
        &mut blocks,
        &[("d", deeper), ("link", to_file), ("sub", sub)],
    );
    let out = tmp.path().join("out");
    let stats = export_to_path(&blocks, &root, &out, ExportLimits::default(), |_| {}).unwrap();
    assert_eq!((stats.files, stats.dirs, stats.symlinks), (1, 3, 2));
    assert_eq!(std::fs::read_to_string(out.join("link")).unwrap(), "hello");
    assert_eq!(
        std::fs::read_to_string(out.join("d/back")).unwrap(),
        "hello"
    );
    assert!(
        std::fs::symlink_metadata(out.join("link"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // Only the output exists next to it: the staging directory is gone.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}

#[test]
fn an_existing_output_is_never_written_through() {
    let tmp = tempfile::tempdir().unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let out = tmp.path().join("out");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&elsewhere, &out).unwrap();
    let mut blocks = MemoryBlocks::new();
    let f = file(&mut blocks, "x");
    let root = dir(&mut blocks, &[("f", f)]);
    let err = export_to_path(&blocks, &root, &out, ExportLimits::default(), |_| {}).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
}

/// Three blocks (a one-byte file, a directory of `width` links to it, a root of `width` links to
/// that directory) naming `width * width` files.
fn expansion(width: usize) -> (MemoryBlocks, Cid) {
    let mut blocks = MemoryBlocks::new();
    let f = file(&mut blocks, "x");
    let names: Vec<String> = (0..width).map(|i| format!("f{i:03}")).collect();
    let links: Vec<(&str, Cid)> = names.iter().map(|n| (n.as_str(), f)).collect();
    let inner = dir(&mut blocks, &links);
    let links: Vec<(&str, Cid)> = names.iter().map(|n| (n.as_str(), inner)).collect();
    let root = dir(&mut blocks, &links);
    (blocks, root)
}

#[test]
fn a_small_car_naming_90000_files_is_bounded() {
    // 300 x 300 = 90,000 files from a CAR of under 30 KB.
    let (blocks, root) = expansion(300);
    let mut car_bytes = Vec::new();
    car::export(&blocks, &root, &[], &root, Scope::All, &mut car_bytes).unwrap();
    assert!(car_bytes.len() < 30_000, "{} bytes", car_bytes.len());
    let mut imported = MemoryBlocks::new();
    car::import(car_bytes.as_slice(), 1 << 20, &mut imported).unwrap();
    assert_eq!(imported.len(), 3);

    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let err = export_to_path(&imported, &root, &out, ExportLimits::default(), |_| {}).unwrap_err();
    assert!(matches!(err, CasError::Limit(_)), "{err:?}");
    assert!(err.to_string().contains("more than 10000 entries"), "{err}");
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);

    // The limit is the caller's: a smaller tree of the same shape fits a raised one.
    let (blocks, root) = expansion(30);
    let limits = ExportLimits {
        max_entries: 931,
        ..ExportLimits::default()
    };
    let stats = export_to_path(&blocks, &root, &out, limits, |_| {}).unwrap();
    assert_eq!((stats.files, stats.dirs, stats.bytes), (900, 31, 900));
    let out2 = tmp.path().join("out2");
    let limits = ExportLimits {
        max_entries: 930,
        ..ExportLimits::default()
    };
    assert!(export_to_path(&blocks, &root, &out2, limits, |_| {}).is_err());
    assert!(!out2.exists());
}

#[test]
fn file_bytes_are_bounded() {
    let mut blocks = MemoryBlocks::new();
    let data = vec![7u8; 3_000_000];
    let added = Adder::new(Profile::Legacy)
        .add_reader(data.as_slice(), &mut blocks)
        .unwrap();
    let root = dir(&mut blocks, &[("a", added.cid), ("b", added.cid)]);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let limits = ExportLimits {
        max_bytes: 5_000_000,
        ..ExportLimits::default()
    };
    let err = export_to_path(&blocks, &root, &out, limits, |_| {}).unwrap_err();
    assert!(err.to_string().contains("more than 5000000 bytes"), "{err}");
    assert!(!out.exists());
    let limits = ExportLimits {
        max_bytes: 6_000_000,
        ..ExportLimits::default()
    };
    let stats = export_to_path(&blocks, &root, &out, limits, |_| {}).unwrap();
    assert_eq!(stats.bytes, 6_000_000);
    assert_eq!(std::fs::read(out.join("b")).unwrap(), data);
}

#[test]
fn a_single_file_is_exported_and_never_replaces_a_path() {
    let mut blocks = MemoryBlocks::new();
    let f = file(&mut blocks, "just a file");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("file.txt");
    export_to_path(&blocks, &f, &out, ExportLimits::default(), |_| {}).unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "just a file");
    assert!(export_to_path(&blocks, &f, &out, ExportLimits::default(), |_| {}).is_err());
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}
