//! The authenticated ledger state: a qmdb `current` ordered database keyed by
//! hashed state keys ([`StateKey::hash`]) with variable-length values.
//!
//! A block is executed against a [`SpeculativeState`] (a merkleized qmdb
//! batch chained on its parent's), which yields the state root before the
//! block is final; when it is finalized the batch is applied and committed.
//! Each commit records the block height as qmdb commit metadata, so after a
//! crash the store knows which block its state reflects.

use crate::StoreError;
use commonware_codec::{Encode, RangeCfg};
use commonware_cryptography::{Sha256, sha256::Digest};
use commonware_parallel::Sequential;
use commonware_runtime::{Spawner, buffer::paged::CacheRef};
use commonware_storage::{
    journal::contiguous::variable::Config as JournalConfig,
    merkle::{full::Config as MerkleConfig, mmr},
    qmdb::{
        current::{VariableConfig, ordered::variable::Db},
        floor::Proportional,
    },
    translator::EightCap,
};
use commonware_utils::{NZU16, NZU64, NZUsize};
use sovra_execution::{Changes, MemoryState};
use sovra_types::StateKey;
use std::sync::Arc;

/// Largest value stored under one state key.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

type Family = mmr::Family;
/// The qmdb database type holding the ledger state.
pub type StateDb<E> = Db<Family, E, Digest, Vec<u8>, Sha256, EightCap, 32, Sequential>;
type Batch<E> = <StateDb<E> as BatchSource>::Batch;

/// Names the merkleized batch type of a database.
pub trait BatchSource {
    /// The merkleized batch.
    type Batch;
}

impl<E: commonware_storage::Context + Spawner> BatchSource for StateDb<E> {
    type Batch = Arc<
        commonware_storage::qmdb::current::batch::MerkleizedBatch<
            Family,
            Digest,
            commonware_storage::qmdb::any::ordered::Update<
                Digest,
                commonware_storage::qmdb::any::value::VariableEncoding<Vec<u8>>,
            >,
            32,
            Sequential,
        >,
    >;
}

/// The state after some (possibly not yet final) block: its root and the
/// batch to apply when the block is finalized.
pub struct SpeculativeState<E: commonware_storage::Context + Spawner> {
    /// Height of the block this state follows.
    pub height: u64,
    /// State root.
    pub root: Digest,
    batch: Batch<E>,
}

impl<E: commonware_storage::Context + Spawner> Clone for SpeculativeState<E> {
    fn clone(&self) -> Self {
        Self {
            height: self.height,
            root: self.root,
            batch: self.batch.clone(),
        }
    }
}

/// An encoded inclusion or exclusion proof with what it proves.
#[derive(Clone, Debug)]
pub struct StateProof {
    /// The hashed key.
    pub key_hash: Digest,
    /// The value, or `None` for an exclusion proof.
    pub value: Option<Vec<u8>>,
    /// Canonical encoding of the qmdb proof.
    pub proof: Vec<u8>,
    /// The root it verifies against.
    pub root: Digest,
}

/// The authenticated state store.
pub struct StateStore<E: commonware_storage::Context + Spawner> {
    db: Option<StateDb<E>>,
}

fn state_err(e: commonware_storage::qmdb::Error<Family>) -> StoreError {
    StoreError::State(e)
}

/// Codec configuration of a stored operation: (key, value) read limits.
type OperationCodecConfig = ((), (RangeCfg<usize>, ()));

fn config(prefix: &str) -> VariableConfig<EightCap, OperationCodecConfig, Sequential> {
    let page_cache = CacheRef::new(NZU16!(4096), NZUsize!(1024));
    VariableConfig {
        merkle_config: MerkleConfig {
            journal_partition: format!("{prefix}-state-merkle-journal"),
            metadata_partition: format!("{prefix}-state-merkle-metadata"),
            items_per_blob: NZU64!(65_536),
            write_buffer: NZUsize!(1 << 20),
            replay_buffer: NZUsize!(1 << 20),
            strategy: Sequential,
            page_cache: page_cache.clone(),
        },
        journal_config: JournalConfig {
            partition: format!("{prefix}-state-log"),
            items_per_section: NZU64!(65_536),
            compression: None,
            codec_config: ((), (RangeCfg::from(0..=MAX_VALUE_BYTES), ())),
            page_cache,
            write_buffer: NZUsize!(1 << 20),
            replay_buffer: NZUsize!(1 << 20),
        },
        grafted_metadata_partition: format!("{prefix}-state-grafted-metadata"),
        translator: EightCap,
        init_cache: Some(NZUsize!(1 << 16)),
        init_buffer: NZUsize!(1 << 21),
        init_concurrency: (),
    }
}

fn encode_height(h: u64) -> Vec<u8> {
    h.to_be_bytes().to_vec()
}

impl<E: commonware_storage::Context + Spawner> StateStore<E> {
    /// Opens (or creates) the state database; recovers to the last commit.
    pub async fn open(context: E, prefix: &str) -> Result<Self, StoreError> {
        let db = StateDb::<E>::init(context, config(prefix), None)
            .await
            .map_err(state_err)?;
        Ok(Self { db: Some(db) })
    }

    fn db(&self) -> &StateDb<E> {
        self.db.as_ref().expect("state db present outside apply")
    }

    /// Root of the committed state.
    pub fn root(&self) -> Digest {
        self.db().root()
    }

    /// Height of the block the committed state follows (`None` before genesis).
    pub async fn committed_height(&self) -> Result<Option<u64>, StoreError> {
        match self.db().get_metadata().await.map_err(state_err)? {
            Some(bytes) if bytes.len() == 8 => Ok(Some(u64::from_be_bytes(
                bytes.as_slice().try_into().expect("8 bytes"),
            ))),
            Some(_) => Err(StoreError::Malformed(
                "state commit metadata is not a height",
            )),
            None => Ok(None),
        }
    }

    /// The committed state as a base to build on.
    pub async fn committed(&self) -> Result<SpeculativeState<E>, StoreError> {
        Ok(SpeculativeState {
            height: self.committed_height().await?.unwrap_or(0),
            root: self.root(),
            batch: self.db().to_batch(),
        })
    }

    /// Reads `keys` as of `at` into memory, for the executor.
    pub async fn read(
        &self,
        at: &SpeculativeState<E>,
        keys: &[StateKey],
    ) -> Result<MemoryState, StoreError> {
        let hashes: Vec<Digest> = keys.iter().map(|k| k.hash()).collect();
        let refs: Vec<&Digest> = hashes.iter().collect();
        let values = at
            .batch
            .get_many(&refs, self.db())
            .await
            .map_err(state_err)?;
        let mut state = MemoryState::default();
        for (k, v) in keys.iter().zip(values) {
            if let Some(v) = v {
                state.values.insert(k.clone(), v);
            }
        }
        Ok(state)
    }

    /// Builds the state after applying `changes` on top of `parent`, for the
    /// block at `height`, and returns it with its root. Nothing is written.
    pub async fn speculate(
        &self,
        parent: &SpeculativeState<E>,
        changes: &Changes,
        height: u64,
    ) -> Result<SpeculativeState<E>, StoreError> {
        let mut batch = parent.batch.new_batch::<Sha256>();
        for (k, v) in changes {
            if let Some(v) = v
                && v.len() > MAX_VALUE_BYTES
            {
                return Err(StoreError::ValueTooLarge {
                    key: Box::new(k.clone()),
                    len: v.len(),
                });
            }
            batch = batch.write(k.hash(), v.clone());
        }
        let merkleized = batch
            .merkleize(self.db(), Some(encode_height(height)), &mut Proportional)
            .await
            .map_err(state_err)?;
        Ok(SpeculativeState {
            height,
            root: merkleized.root(),
            batch: merkleized,
        })
    }

    /// Applies a finalized block's state and makes it durable.
    pub async fn apply(&mut self, state: &SpeculativeState<E>) -> Result<(), StoreError> {
        let db = self.db.take().expect("state db present");
        if let Err(e) = db.validate_batch(&state.batch) {
            self.db = Some(db);
            return Err(state_err(e));
        }
        let db = db
            .apply_batch(state.batch.clone())
            .await
            .map_err(state_err)?;
        let db = db.commit().await.map_err(state_err)?;
        self.db = Some(db);
        Ok(())
    }

    /// Syncs everything the state database holds to disk, including its Merkle structure, so
    /// the next open needs no replay. Commits are durable without it; a graceful stop calls it.
    pub async fn sync(&mut self) -> Result<(), StoreError> {
        let db = self.db.take().expect("state db present");
        self.db = Some(db.sync().await.map_err(state_err)?);
        Ok(())
    }

    /// Reads a committed value.
    pub async fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, StoreError> {
        self.db().get(&key.hash()).await.map_err(state_err)
    }

    /// An inclusion proof (key present) or exclusion proof (absent) against the committed root.
    pub async fn prove(&self, key: &StateKey) -> Result<StateProof, StoreError> {
        let key_hash = key.hash();
        let value = self.get(key).await?;
        let proof = match &value {
            Some(_) => self
                .db()
                .key_value_proof(key_hash)
                .await
                .map_err(state_err)?
                .encode()
                .to_vec(),
            None => self
                .db()
                .exclusion_proof(&key_hash)
                .await
                .map_err(state_err)?
                .encode()
                .to_vec(),
        };
        Ok(StateProof {
            key_hash,
            value,
            proof,
            root: self.root(),
        })
    }
}
