//! Errors keep their causes: a library's error (CID parsing, codecs, UnixFS, CAR framing) is the
//! `source()` of the [`CasError`] that reports it, and an export failure wraps the error that
//! stopped it instead of flattening it into text.

use std::error::Error as _;

use ipld_dagpb::{PbLink, PbNode};
use sovra_cas::block::{DAG_CBOR, DAG_PB, cid_from_bytes, raw_cid};
use sovra_cas::export::{ExportLimits, export_to_path};
use sovra_cas::{BlockSink, CasError, Cid, MemoryBlocks, car, links, parse_cid, unixfs};

/// A dag-pb block holding `data` and `links`, stored under the CID IPFS gives it.
fn put_dagpb(blocks: &mut MemoryBlocks, data: &'static [u8], links: Vec<PbLink>) -> Cid {
    let bytes = PbNode {
        links,
        data: Some(bytes::Bytes::from_static(data)),
    }
    .into_bytes();
    let cid = Cid::new_v1(
        DAG_PB,
        multihash_codetable::MultihashDigest::digest(&multihash_codetable::Code::Sha2_256, &bytes),
    );
    blocks.put_block(cid, bytes).unwrap();
    cid
}

#[test]
fn cid_parsing_keeps_the_cid_error() {
    let err = parse_cid("not a cid").unwrap_err();
    assert!(matches!(err, CasError::CidText { .. }), "{err:?}");
    assert!(err.source().unwrap().downcast_ref::<cid::Error>().is_some());

    let err = cid_from_bytes(&[0xff]).unwrap_err();
    assert!(matches!(err, CasError::CidBytes(_)), "{err:?}");
    assert!(err.source().unwrap().downcast_ref::<cid::Error>().is_some());
}

#[test]
fn undecodable_blocks_keep_the_codec_error() {
    let cid = Cid::new_v1(DAG_CBOR, *raw_cid(b"x").hash());
    let err = links::links(&cid, &[0xff, 0x00]).unwrap_err();
    assert!(matches!(err, CasError::Malformed { .. }), "{err:?}");
    assert!(err.source().is_some(), "{err:?}");
}

#[test]
fn resolving_through_a_file_keeps_the_resolver_error() {
    let mut blocks = MemoryBlocks::new();
    // UnixFS Data { Type: File }, then a directory linking to it as "f".
    let file = put_dagpb(&mut blocks, &[0x08, 0x02], Vec::new());
    let root = put_dagpb(
        &mut blocks,
        &[0x08, 0x01],
        vec![PbLink {
            cid: file,
            name: Some("f".into()),
            size: Some(1),
        }],
    );
    let err = unixfs::resolve_path(&blocks, &root, &["f".into(), "deeper".into()]).unwrap_err();
    assert!(
        matches!(err, CasError::Resolve { ref segment, .. } if segment == "deeper"),
        "{err:?}"
    );
    assert!(
        err.source()
            .unwrap()
            .downcast_ref::<Box<rust_unixfs::dir::ResolveError>>()
            .is_some()
    );
}

#[test]
fn bad_car_frames_keep_the_varint_error() {
    let err = car::import(&[0xff; 12][..], 1 << 20, &mut MemoryBlocks::new()).unwrap_err();
    assert!(matches!(err, CasError::CarFrameLength(_)), "{err:?}");
    assert!(err.source().is_some());
}

#[test]
fn a_failed_export_wraps_what_stopped_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = raw_cid(b"never stored");
    let err = export_to_path(
        &MemoryBlocks::new(),
        &missing,
        &dir.path().join("out"),
        ExportLimits::default(),
        |_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("nothing was written"), "{err}");
    let CasError::NothingWritten(cause) = &err else {
        panic!("{err:?}");
    };
    assert!(
        matches!(**cause, CasError::NotFound(cid) if cid == missing),
        "{err:?}"
    );
    assert!(err.source().is_some());
}
