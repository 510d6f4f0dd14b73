//! The node's content store: atomic verified CAR import, verification on read with corrupt
//! blocks discarded, and garbage collection that keeps pinned DAGs and recent uploads.

use sovra_cas::{Adder, BlockSource, MemoryBlocks, Profile, car, dag::Scope};
use sovra_store::ContentStore;

fn car_of(data: &[u8]) -> (sovra_cas::Cid, Vec<u8>, MemoryBlocks) {
    let mut blocks = MemoryBlocks::new();
    let root = Adder::new(Profile::Legacy)
        .add_reader(data, &mut blocks)
        .unwrap()
        .cid;
    let mut bytes = Vec::new();
    car::export(&blocks, &root, &[], &root, Scope::All, &mut bytes).unwrap();
    (root, bytes, blocks)
}

/// Pseudo-random bytes: no 64-byte stretch of one seed appears in another's.
fn random_bytes(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8
        })
        .collect()
}

fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn import_is_atomic_and_verified() {
    let dir = tempfile::tempdir().unwrap();
    let store = ContentStore::open(&dir.path().join("content.redb")).unwrap();
    let (root, mut car_bytes, _) = car_of(&bytes(700_000, 1));
    let at = car_bytes.len() - 5;
    car_bytes[at] ^= 1;
    assert!(
        store
            .import_car(car_bytes.as_slice(), 1 << 30, u64::MAX)
            .is_err()
    );
    assert_eq!(
        store.usage().unwrap(),
        (0, 0),
        "nothing stored from a tampered CAR"
    );
    car_bytes[at] ^= 1;
    let imported = store
        .import_car(car_bytes.as_slice(), 1 << 30, u64::MAX)
        .unwrap();
    assert_eq!(imported.roots, vec![root]);
    assert!(
        sovra_cas::dag::missing_blocks(&store, &root, 10)
            .unwrap()
            .is_empty()
    );
    // Over the size limit: refused, nothing more stored.
    let (_, other, _) = car_of(&bytes(300_000, 2));
    let before = store.usage().unwrap();
    assert!(store.import_car(other.as_slice(), 1000, u64::MAX).is_err());
    assert_eq!(store.usage().unwrap(), before);
}

#[test]
fn corrupt_block_is_discarded_on_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("content.redb");
    let (root, car_bytes, blocks) = car_of(&bytes(700_000, 3));
    let leaf = sovra_cas::links::links(&root, &blocks.require_block(&root).unwrap()).unwrap()[0];
    {
        let store = ContentStore::open(&path).unwrap();
        store
            .import_car(car_bytes.as_slice(), 1 << 30, u64::MAX)
            .unwrap();
        store.corrupt_for_test(&leaf, b"garbage").unwrap();
    }
    let store = ContentStore::open(&path).unwrap();
    assert!(store.contains(&leaf).unwrap());
    assert_eq!(store.get_block(&leaf).unwrap(), None);
    assert!(
        !store.contains(&leaf).unwrap(),
        "the corrupt copy is deleted"
    );
    assert_eq!(store.corrupt_found(), 1);
    assert_eq!(
        sovra_cas::dag::missing_blocks(&store, &root, 10).unwrap(),
        vec![leaf]
    );
    // Putting the right bytes back repairs it; wrong bytes are refused.
    assert!(store.put(&leaf, b"still garbage").is_err());
    store
        .put(&leaf, &blocks.require_block(&leaf).unwrap())
        .unwrap();
    assert!(
        sovra_cas::dag::missing_blocks(&store, &root, 10)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn garbage_collection_keeps_pinned_and_recent_content() {
    let dir = tempfile::tempdir().unwrap();
    let store = ContentStore::open(&dir.path().join("content.redb")).unwrap();
    let (pinned, pinned_car, _) = car_of(&bytes(600_000, 4));
    let (unpinned, unpinned_car, _) = car_of(&bytes(600_000, 5));
    let (recent, recent_car, _) = car_of(&bytes(600_000, 6));
    store
        .import_car(pinned_car.as_slice(), 1 << 30, 1_000)
        .unwrap();
    store
        .import_car(unpinned_car.as_slice(), 1 << 30, 1_000)
        .unwrap();
    store
        .import_car(recent_car.as_slice(), 1 << 30, 10_000)
        .unwrap();
    let stats = store.collect_garbage(&[pinned], 5_000).unwrap();
    assert!(stats.deleted > 0);
    assert!(
        sovra_cas::dag::missing_blocks(&store, &pinned, 10)
            .unwrap()
            .is_empty()
    );
    assert!(
        sovra_cas::dag::missing_blocks(&store, &recent, 10)
            .unwrap()
            .is_empty()
    );
    assert!(!store.contains(&unpinned).unwrap());
    // After the recent upload's grace period, it goes too; the pinned DAG stays.
    store.collect_garbage(&[pinned], 20_000).unwrap();
    assert!(!store.contains(&recent).unwrap());
    assert!(
        sovra_cas::dag::missing_blocks(&store, &pinned, 10)
            .unwrap()
            .is_empty()
    );
    // Unpinned: everything goes.
    store.collect_garbage(&[], 20_000).unwrap();
    assert_eq!(store.usage().unwrap(), (0, 0));
}

/// After blocks are deleted their bytes may stay in freed pages of the file; a rewrite leaves a
/// file with only the live blocks, which stay readable, and uploads keep their grace period.
#[test]
fn rewrite_leaves_no_deleted_bytes_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.redb");
    let store = ContentStore::open(&path).unwrap();
    let doomed = random_bytes(100_000, 3);
    let kept = random_bytes(50_000, 4);
    let (doomed_cid, doomed_car, _) = car_of(&doomed);
    let (kept_cid, kept_car, _) = car_of(&kept);
    store.import_car(&doomed_car[..], 1 << 30, 0).unwrap();
    store.import_car(&kept_car[..], 1 << 30, u64::MAX).unwrap();
    assert!(!store.has_freed_pages());
    // Collect with nothing pinned at time 1: the doomed upload's grace period (0) is over, the
    // kept one's is not.
    let stats = store.collect_garbage(&[], 1).unwrap();
    assert!(stats.deleted > 0);
    assert!(store.get_block(&doomed_cid).unwrap().is_none());
    assert!(store.has_freed_pages());
    // The need for a rewrite survives a restart.
    drop(store);
    let store = ContentStore::open(&path).unwrap();
    assert!(store.has_freed_pages());
    let needle = &doomed[20_000..20_064];
    let contains = |hay: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    store.rewrite().unwrap();
    assert!(!store.has_freed_pages());
    assert!(
        !contains(&std::fs::read(&path).unwrap()),
        "deleted bytes in the file"
    );
    assert!(!dir.path().join("vault.rewrite").exists());
    // Live blocks are intact and the grace period survived the rewrite.
    assert!(store.get_block(&kept_cid).unwrap().is_some());
    let stats = store.collect_garbage(&[], 2).unwrap();
    assert_eq!(stats.deleted, 0);
    // And the store still takes writes after the rewrite, and survives a reopen.
    let (other_cid, other_car, _) = car_of(&bytes(10_000, 5));
    store.import_car(&other_car[..], 1 << 30, u64::MAX).unwrap();
    drop(store);
    let store = ContentStore::open(&path).unwrap();
    assert!(store.get_block(&other_cid).unwrap().is_some());
    assert!(store.get_block(&kept_cid).unwrap().is_some());
}

fn charge(uploader: &str, now_ms: u64) -> sovra_store::UploadCharge {
    sovra_store::UploadCharge {
        uploader: uploader.into(),
        per_identity: 1_000_000,
        total: 1_500_000,
        grace_ms: 60_000,
        now_ms,
    }
}

#[test]
fn unpinned_uploads_are_bounded_per_identity_and_in_total() {
    let dir = tempfile::tempdir().unwrap();
    let store = ContentStore::open(&dir.path().join("content.redb")).unwrap();
    let upload = |who: &str, len: usize, seed: u32, now: u64| {
        let (root, car_bytes, _) = car_of(&random_bytes(len, seed));
        let result = store.import_car_charged(car_bytes.as_slice(), u64::MAX, &charge(who, now));
        (root, result)
    };
    // Alice uploads 600 KB, then 300 KB: within her 1 MB.
    upload("did:key:alice", 600_000, 1, 1_000).1.unwrap();
    upload("did:key:alice", 300_000, 2, 2_000).1.unwrap();
    // 300 KB more would pass her quota: refused before it is stored.
    let (root, refused) = upload("did:key:alice", 300_000, 3, 3_000);
    assert!(
        matches!(refused, Err(sovra_store::StoreError::Quota(ref m)) if m.contains("did:key:alice")),
        "{refused:?}"
    );
    assert!(
        !store.contains(&root).unwrap(),
        "a refused upload stores nothing"
    );
    // Charged: the block bytes of the two accepted uploads (data plus two small root nodes).
    let charged = store.charged(&charge("did:key:alice", 3_000)).unwrap().0;
    assert!((900_000..901_000).contains(&charged), "{charged}");
    // Bob has his own quota, but the node's total (1.5 MB) ends his second upload.
    upload("did:key:bob", 500_000, 4, 4_000).1.unwrap();
    let (_, refused) = upload("did:key:bob", 200_000, 5, 5_000);
    assert!(
        matches!(refused, Err(sovra_store::StoreError::Quota(ref m)) if m.contains("this node")),
        "{refused:?}"
    );
    // Once the grace period (and its rounding to 1/16 of it) has passed, the charges end.
    let later = 2_000 + 60_000 + 60_000 / 16 + 1;
    let (root, again) = upload("did:key:alice", 900_000, 6, later);
    again.unwrap();
    assert!(store.contains(&root).unwrap());
    // A single upload over the per-request limit is a size error, not a quota error.
    let (_, car_bytes, _) = car_of(&random_bytes(200_000, 7));
    let too_large = store.import_car_charged(
        car_bytes.as_slice(),
        100_000,
        &charge("did:key:carol", later * 10),
    );
    assert!(
        matches!(too_large, Err(sovra_store::StoreError::TooLarge(_))),
        "{too_large:?}"
    );
    // Garbage collection forgets expired charges.
    store.collect_garbage(&[], later * 10).unwrap();
    assert_eq!(
        store.charged(&charge("did:key:alice", later * 10)).unwrap(),
        (0, 0)
    );
}

/// A body that signals its first read, then waits for a go-ahead before sending the rest: an
/// upload in progress, as a slow client makes one.
struct GatedBody {
    data: std::io::Cursor<Vec<u8>>,
    started: Option<std::sync::mpsc::Sender<()>>,
    go: std::sync::mpsc::Receiver<()>,
}

impl std::io::Read for GatedBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(started) = self.started.take() {
            started.send(()).unwrap();
            self.go.recv().unwrap();
        }
        self.data.read(buf)
    }
}

/// Uploads in progress reserve what they may take of their uploader's quota and the node's
/// total before reading a byte: a second upload of the same identity that only the first keeps
/// out is refused as busy without being read (so parallel uploads cannot fill the disk past the
/// quota while they spool), another identity is not held up, and once the first has finished
/// the second goes through.
#[test]
fn uploads_in_progress_reserve_quota_per_identity() {
    let dir = tempfile::tempdir().unwrap();
    let store = ContentStore::open(&dir.path().join("content.redb")).unwrap();
    let (_, big, _) = car_of(&random_bytes(300_000, 11));
    let (_, small, _) = car_of(&random_bytes(1_000, 12));
    let (_, bobs, _) = car_of(&random_bytes(1_000, 13));
    let (started_tx, started) = std::sync::mpsc::channel();
    let (go, go_rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        let first = s.spawn(|| {
            let body = GatedBody {
                data: std::io::Cursor::new(big.clone()),
                started: Some(started_tx),
                go: go_rx,
            };
            store.import_car_charged(body, u64::MAX, &charge("did:key:alice", 1_000))
        });
        started.recv().unwrap();
        // Alice's first upload holds all of her 1 MB: her second is busy, and nothing of it is
        // read.
        let mut unread = std::io::Cursor::new(small.clone());
        let busy = store.import_car_charged(&mut unread, u64::MAX, &charge("did:key:alice", 1_000));
        assert!(
            matches!(busy, Err(sovra_store::StoreError::Busy(ref m)) if m.contains("did:key:alice")),
            "{busy:?}"
        );
        assert_eq!(unread.position(), 0, "a busy upload is refused unread");
        // Bob's upload fits in what is left of the node's 1.5 MB.
        store
            .import_car_charged(bobs.as_slice(), u64::MAX, &charge("did:key:bob", 1_000))
            .unwrap();
        go.send(()).unwrap();
        first.join().unwrap().unwrap();
    });
    // The first finished: its reservation is gone, its charge counts, the second goes through.
    store
        .import_car_charged(small.as_slice(), u64::MAX, &charge("did:key:alice", 2_000))
        .unwrap();
    let (alice, all) = store.charged(&charge("did:key:alice", 2_000)).unwrap();
    assert!((301_000..303_000).contains(&alice), "{alice}");
    assert!((302_000..305_000).contains(&all), "{all}");
}
