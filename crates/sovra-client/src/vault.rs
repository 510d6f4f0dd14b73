//! The private vault from the client side. Everything secret happens here,
//! on the owner's (or grantee's) device:
//!
//! - a record is encrypted with its own fresh 256-bit key (chunked
//!   XChaCha20-Poly1305, `sovra_crypto::record`) while it streams to a node
//!   as a UnixFS DAG of ciphertext; its metadata (name, type, labels) is
//!   sealed under the same key; the key is wrapped with HPKE to the owner's
//!   vault key ([`RecordKeys`]), and to each grantee's key-agreement key;
//! - reading fetches the wrapped key and the ciphertext over DID-authenticated
//!   requests and decrypts locally; every block is checked against the CIDs the
//!   ledger anchored, and every chunk against its AEAD tag;
//! - guardian recovery splits the vault secret with Feldman VSS and seals
//!   each share to its guardian; guardians check their share against the
//!   commitments on the ledger before re-sealing it to the new device.
//!
//! Nodes only ever see ciphertext, wrapped keys and sealed shares.

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};
use sovra_api_types::{
    AccessLogView, ContentImportView, ErasureView, RecoveryView, VaultRecordPage, VaultRecordView,
};
use sovra_cas::{AddedEntry, Adder, Cid, Profile};
use sovra_crypto::{
    SigningKey,
    padding::{PaddingReader, UnpaddingWriter},
    record::{
        DEFAULT_CHUNK, RecordKey, SealingReader, new_record_key, open_bytes, open_stream,
        seal_bytes,
    },
    shares::{Commitments, Share, VaultSecret, combine, split, verify_share},
    wrap::{open_from, seal_to, unwrap_key, wrap_key, x25519_public, x25519_secret_from_seed},
    x25519_from_ed25519,
};
use sovra_types::{
    Action, ContentId, Did, DidMethod, RecordId, RecoveryAction, VaultAction,
    recovery::{ShareEnvelope, ShareEnvelopes, share_info},
    vault::RecordKeys,
};
use zeroize::Zeroizing;

use crate::{Client, ClientError, DidVersionSelector, content::raw_block_car};

/// Largest keys, grant or shares block the client accepts from a node.
const MAX_SMALL_BLOCK: u64 = 64 * 1024;
/// Largest JSON answer (a page of records or of the access log) the client accepts.
const MAX_JSON: u64 = 16 * 1024 * 1024;

/// A vault step that cannot go on.
fn refused(message: impl Into<String>) -> ClientError {
    ClientError::Vault(message.into())
}

/// A vault step that failed, with why.
fn step(
    what: impl Into<String>,
) -> impl FnOnce(Box<dyn std::error::Error + Send + Sync>) -> ClientError {
    let what = what.into();
    move |source| ClientError::VaultStep { what, source }
}

/// A value the node served that does not decode.
fn undecodable(what: impl Into<String>) -> impl FnOnce(sovra_types::TypesError) -> ClientError {
    let what = what.into();
    move |source| ClientError::Decode { what, source }
}

/// The owner's vault keys: the secret (what guardians hold shares of) and the
/// X25519 key pair derived from it that record keys are wrapped to.
pub struct VaultKeys {
    secret: VaultSecret,
    agreement_secret: Zeroizing<[u8; 32]>,
    public: [u8; 32],
}

impl VaultKeys {
    /// The keys of `secret`.
    pub fn new(secret: VaultSecret) -> Self {
        let agreement_secret = x25519_secret_from_seed(&secret.vault_key());
        let public = x25519_public(&agreement_secret);
        Self {
            secret,
            agreement_secret,
            public,
        }
    }

    /// A fresh vault.
    pub fn generate() -> Result<Self, ClientError> {
        Ok(Self::new(VaultSecret::generate()?))
    }

    /// The vault secret.
    pub fn secret(&self) -> &VaultSecret {
        &self.secret
    }

    /// The X25519 public key record keys are wrapped to.
    pub fn public(&self) -> [u8; 32] {
        self.public
    }
}

/// What a record says about itself, sealed under its key (nodes never see it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordMeta {
    /// File name.
    pub name: String,
    /// Media type.
    pub media_type: String,
    /// Free-form labels.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Plaintext size in bytes.
    pub size: u64,
    /// When the owner stored this version (unix ms, the owner's clock).
    pub created_ms: u64,
    /// Whether the plaintext was padded to its size bucket before encryption
    /// (`sovra_crypto::padding`); [`Client::vault_seal_upload`] always pads and sets it.
    /// Records stored before padding existed read as `false`.
    #[serde(default)]
    pub padded: bool,
}

/// Sealed metadata is padded with JSON whitespace to a multiple of this many bytes (at least
/// two), so its size says little about the name and labels.
const META_BUCKET: usize = 256;

/// The metadata's JSON, padded with trailing spaces (which JSON ignores) to its bucket.
fn padded_meta_json(meta: &RecordMeta) -> Result<Vec<u8>, ClientError> {
    let mut json = serde_json::to_vec(meta).map_err(|e| step("record metadata")(e.into()))?;
    // The seal adds a 24-byte nonce and a 16-byte tag.
    let most = sovra_types::vault::MAX_SEALED_META_BYTES - 40;
    if json.len() > most {
        return Err(refused(format!(
            "the record's name and labels take {} bytes; at most {most}",
            json.len()
        )));
    }
    let bucket = json.len().div_ceil(META_BUCKET).max(2) * META_BUCKET;
    json.resize(bucket.min(most), b' ');
    Ok(json)
}

/// A record version encrypted and uploaded, ready to be anchored.
pub struct SealedVersion {
    /// The record.
    pub record: RecordId,
    /// Its version.
    pub version: u64,
    /// The record key (to wrap for grantees in the same transaction).
    pub key: RecordKey,
    /// Root of the ciphertext DAG.
    pub content: Cid,
    /// Ciphertext size.
    pub size: u64,
    /// The keys block.
    pub keys: Cid,
}

impl SealedVersion {
    /// The action anchoring this version.
    pub fn put_action(&self, replication: u8, retain_until_ms: Option<u64>) -> Action {
        Action::Vault(VaultAction::Put {
            record: self.record,
            version: self.version,
            content: ContentId::new(self.content),
            size: self.size,
            keys: ContentId::new(self.keys),
            replication,
            retain_until_ms,
        })
    }
}

/// A decrypted record's key and metadata.
pub struct OpenedRecord {
    /// The anchor the key was checked against.
    pub anchor: VaultRecordView,
    /// The record key.
    pub key: RecordKey,
    /// Its metadata.
    pub meta: RecordMeta,
}

/// The X25519 secret of an Ed25519 identity key (for opening grants and shares).
pub fn agreement_secret(key: &SigningKey) -> Zeroizing<[u8; 32]> {
    x25519_secret_from_seed(&key.seed())
}

fn parse_cid(text: &str) -> Result<Cid, ClientError> {
    Ok(*ContentId::parse(text).map_err(undecodable("CID"))?.cid())
}

/// Checks that `data` is the block `cid` names.
fn checked_block(cid: &Cid, data: Vec<u8>) -> Result<Vec<u8>, ClientError> {
    sovra_cas::verify_block(cid, &data).map_err(|source| ClientError::block(cid, source))?;
    Ok(data)
}

impl Client {
    fn authed(
        &self,
        method_get: &str,
        token: &str,
    ) -> Result<ureq::http::Response<ureq::Body>, ClientError> {
        let url = format!("{}{method_get}", self.base());
        let resp = self
            .agent()
            .get(&url)
            .config()
            .timeout_global(None)
            .build()
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .map_err(|e| self.transport(&url, e))?;
        let status = resp.status().as_u16();
        if status != 200 {
            let (_, text) = self.text(&url, resp)?;
            return Err(crate::http::api_error(status, &text));
        }
        Ok(resp)
    }

    fn authed_bytes(&self, path: &str, token: &str) -> Result<Vec<u8>, ClientError> {
        self.authed_bytes_up_to(path, token, MAX_SMALL_BLOCK)
    }

    fn authed_bytes_up_to(
        &self,
        path: &str,
        token: &str,
        limit: u64,
    ) -> Result<Vec<u8>, ClientError> {
        let mut resp = self.authed(path, token)?;
        resp.body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| self.transport(path, e))
    }

    fn authed_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
    ) -> Result<T, ClientError> {
        let bytes = self.authed_bytes_up_to(path, token, MAX_JSON)?;
        serde_json::from_slice(&bytes).map_err(|source| ClientError::Json {
            url: path.to_string(),
            source,
        })
    }

    /// Uploads one raw block to the vault store; returns its CID.
    pub fn vault_upload_raw(&self, token: &str, data: Vec<u8>) -> Result<Cid, ClientError> {
        let (cid, car) = raw_block_car(data)?;
        self.post_car("/v1/vault/blocks", Some(token), std::io::Cursor::new(car))?;
        Ok(cid)
    }

    /// Encrypts `input` (exactly `meta.size` bytes, padded to its size bucket) as version
    /// `version` of `record` owned by `owner`, streaming the ciphertext to the node as it is
    /// made, and uploads the keys block (metadata padded too). Nothing is anchored: file
    /// [`SealedVersion::put_action`] next. `progress` gets ciphertext bytes produced.
    #[allow(clippy::too_many_arguments)]
    pub fn vault_seal_upload(
        &self,
        token: &str,
        vault: &VaultKeys,
        owner: &Did,
        record: RecordId,
        version: u64,
        input: impl Read + Send + 'static,
        meta: &RecordMeta,
        progress: impl FnMut(u64) + Send + 'static,
    ) -> Result<(SealedVersion, ContentImportView), ClientError> {
        let key = new_record_key()?;
        let meta = RecordMeta {
            padded: true,
            ..meta.clone()
        };
        let meta_json = padded_meta_json(&meta)?;
        let keys_block = RecordKeys {
            record,
            version,
            owner_wrap: wrap_key(&vault.public, &key, &record.wrap_info(version, owner))?,
            sealed_meta: seal_bytes(&key, &meta_json)?,
        };
        let keys = self.vault_upload_raw(
            token,
            commonware_codec::Encode::encode(&keys_block).to_vec(),
        )?;
        let stream_key = key.clone();
        let padded = PaddingReader::new(input, meta.size);
        let (added, imported): (AddedEntry, ContentImportView) =
            self.stream_blocks("/v1/vault/blocks", Some(token), move |mut sink| {
                let sealing = SealingReader::new(&stream_key, DEFAULT_CHUNK, padded)
                    .map_err(sovra_cas::CasError::store)?;
                let mut progress = progress;
                Adder::new(Profile::default())
                    .with_progress(&mut progress)
                    .add_reader(sealing, &mut sink)
            })?;
        Ok((
            SealedVersion {
                record,
                version,
                key,
                content: added.cid,
                size: added.content_bytes,
                keys,
            },
            imported,
        ))
    }

    /// Wraps `key` (of `record` at `version`) for `grantee`, uploads the wrap and returns the
    /// action granting access (until `until_ms`).
    pub fn vault_grant_action(
        &self,
        token: &str,
        key: &[u8; 32],
        record: RecordId,
        version: u64,
        grantee: &Did,
        until_ms: Option<u64>,
    ) -> Result<Action, ClientError> {
        let recipient = self.key_agreement_of(grantee)?;
        let wrap = wrap_key(&recipient, key, &record.wrap_info(version, grantee))?;
        let cid = self.vault_upload_raw(token, wrap)?;
        Ok(Action::Vault(VaultAction::Grant {
            record,
            grantee: grantee.clone(),
            until_ms,
            wrap: ContentId::new(cid),
        }))
    }

    /// The X25519 key-agreement key of `did`: derived from a `did:key`, or the first
    /// keyAgreement key of a `did:sovra`'s document (checked against state proofs).
    pub fn key_agreement_of(&self, did: &Did) -> Result<[u8; 32], ClientError> {
        if did.method() == DidMethod::Key {
            let key = did
                .key()
                .ok_or_else(|| refused(format!("{did} is not an Ed25519 did:key")))?;
            return Ok(x25519_from_ed25519(&key)?);
        }
        let verified = self
            .resolve_verified(did, DidVersionSelector::Latest)?
            .map_err(|_| refused(format!("{did} does not exist")))?;
        let record = verified
            .record
            .ok_or_else(|| refused(format!("{did} has no ledger record")))?;
        if record.deactivated {
            return Err(refused(format!("{did} is deactivated")));
        }
        sovra_types::identity::key_agreement_key(&record.document)
            .ok_or_else(|| refused(format!("{did} has no X25519 keyAgreement key")))
    }

    /// A vault record's anchor, as the identity of `token` may see it (the owner: all of it;
    /// a current grantee: with only its own grant).
    pub fn vault_record(&self, token: &str, id: &RecordId) -> Result<VaultRecordView, ClientError> {
        self.authed_json(&format!("/v1/vault/records/{id}"), token)
    }

    /// Every vault record of `owner` (all pages), erased ones included, as the identity of
    /// `token` may see them (the owner: all; anyone else: those it holds a current grant on).
    pub fn vault_records(
        &self,
        token: &str,
        owner: &Did,
    ) -> Result<Vec<VaultRecordView>, ClientError> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut path = format!("/v1/vault/records?owner={owner}&limit=500");
            if let Some(a) = &after {
                path.push_str(&format!("&after={a}"));
            }
            let page: VaultRecordPage = self.authed_json(&path, token)?;
            let empty = page.records.is_empty();
            out.extend(page.records);
            match page.next {
                // A cursor that does not move would ask for the same page forever.
                Some(n) if empty || after.as_deref() == Some(n.as_str()) => {
                    return Err(ClientError::BadResponse(format!(
                        "the records of {owner}: the cursor {n:?} does not advance"
                    )));
                }
                Some(n) => after = Some(n),
                None => return Ok(out),
            }
        }
    }

    fn checked_keys_block(
        &self,
        token: &str,
        id: &RecordId,
        anchor: &VaultRecordView,
    ) -> Result<RecordKeys, ClientError> {
        let cid = parse_cid(&anchor.keys)?;
        let bytes = checked_block(
            &cid,
            self.authed_bytes(&format!("/v1/vault/records/{id}/keys"), token)?,
        )?;
        let keys = RecordKeys::decode(&bytes).map_err(undecodable("keys block"))?;
        if keys.record != *id || keys.version != anchor.version {
            return Err(ClientError::BadResponse(format!(
                "keys block is for {} version {}, not {id} version {}",
                keys.record, keys.version, anchor.version
            )));
        }
        Ok(keys)
    }

    /// Opens a record as its owner: unwraps the record key with the vault key.
    pub fn vault_open_as_owner(
        &self,
        token: &str,
        vault: &VaultKeys,
        id: &RecordId,
    ) -> Result<OpenedRecord, ClientError> {
        let anchor = self.vault_record(token, id)?;
        let owner = Did::parse(&anchor.owner).map_err(undecodable("the record's owner"))?;
        let keys = self.checked_keys_block(token, id, &anchor)?;
        let key = unwrap_key(
            &vault.agreement_secret,
            &keys.owner_wrap,
            &id.wrap_info(anchor.version, &owner),
        )
        .map_err(|e| step(format!("this vault key cannot open record {id}"))(e.into()))?;
        finish_open(anchor, &keys, key)
    }

    /// Opens a record as a grantee `me`, holding identity key `key`.
    pub fn vault_open_as_grantee(
        &self,
        token: &str,
        me: &Did,
        identity: &SigningKey,
        id: &RecordId,
    ) -> Result<OpenedRecord, ClientError> {
        let anchor = self.vault_record(token, id)?;
        let grant = anchor
            .grants
            .iter()
            .find(|g| g.grantee == me.as_str())
            .ok_or_else(|| refused(format!("{me} has no grant on {id}")))?;
        let wrap = checked_block(
            &parse_cid(&grant.wrap)?,
            self.authed_bytes(&format!("/v1/vault/records/{id}/grant"), token)?,
        )?;
        let key = unwrap_key(
            &agreement_secret(identity),
            &wrap,
            &id.wrap_info(anchor.version, me),
        )
        .map_err(|e| step(format!("cannot unwrap the grant of {id}"))(e.into()))?;
        let keys = self.checked_keys_block(token, id, &anchor)?;
        finish_open(anchor, &keys, key)
    }

    /// Streams a record's ciphertext and decrypts it into `out`, without its padding; returns
    /// plaintext bytes. Any altered, reordered, truncated or extended chunk fails the whole
    /// read, and so does padding that is not zeros or not exactly as long as the sealed size
    /// says.
    pub fn vault_read(
        &self,
        token: &str,
        opened: &OpenedRecord,
        out: &mut impl Write,
    ) -> Result<u64, ClientError> {
        let id = &opened.anchor.id;
        let mut resp = self.authed(&format!("/v1/vault/records/{id}/content"), token)?;
        let reader = resp.body_mut().as_reader();
        if !opened.meta.padded {
            return Ok(open_stream(&opened.key, reader, out)?);
        }
        let mut unpadded = UnpaddingWriter::new(out, opened.meta.size);
        open_stream(&opened.key, reader, &mut unpadded)?;
        unpadded
            .finish()
            .map_err(|e| step("the record's padding")(e.into()))?;
        Ok(opened.meta.size)
    }

    /// This node's access log of a record (owner only).
    pub fn vault_log(&self, token: &str, id: &RecordId) -> Result<AccessLogView, ClientError> {
        self.authed_json(&format!("/v1/vault/records/{id}/log?limit=1000"), token)
    }

    /// This node's erasure statement for a record.
    pub fn vault_erasure(&self, id: &RecordId) -> Result<ErasureView, ClientError> {
        self.get(&format!("/v1/vault/records/{id}/erasure"))
    }

    /// An identity's recovery setup.
    pub fn recovery(&self, did: &Did) -> Result<RecoveryView, ClientError> {
        self.get(&format!("/v1/recovery/{did}"))
    }

    /// Splits the vault secret among `guardians` (`threshold` of them recover it), seals each
    /// share to its guardian, uploads the block and returns the setup action.
    pub fn recovery_setup_action(
        &self,
        token: &str,
        owner: &Did,
        vault: &VaultKeys,
        guardians: &[Did],
        threshold: u8,
        time_lock_ms: u64,
    ) -> Result<Action, ClientError> {
        let n = u8::try_from(guardians.len()).map_err(|_| refused("too many guardians"))?;
        let (shares, commitments) = split(&vault.secret, threshold, n)?;
        let mut envelopes = Vec::with_capacity(shares.len());
        for (guardian, share) in guardians.iter().zip(&shares) {
            let recipient = self.key_agreement_of(guardian)?;
            envelopes.push(ShareEnvelope {
                guardian: guardian.clone(),
                sealed: seal_to(
                    &recipient,
                    share.to_bytes().as_ref(),
                    &share_info(owner, guardian),
                )?,
            });
        }
        let block = ShareEnvelopes {
            owner: owner.clone(),
            envelopes,
        };
        let cid =
            self.vault_upload_raw(token, commonware_codec::Encode::encode(&block).to_vec())?;
        Ok(Action::Recovery(RecoveryAction::Setup {
            guardians: guardians.to_vec(),
            threshold,
            commitments: commitments.to_bytes(),
            shares: ContentId::new(cid),
            time_lock_ms,
        }))
    }

    /// As guardian `me` (identity key `identity`): fetches my share of `owner`'s vault
    /// secret, checks it against the commitments on the ledger, re-seals it to the pending
    /// recovery's new device, uploads it and returns the approval action.
    pub fn recovery_approve_action(
        &self,
        token: &str,
        owner: &Did,
        me: &Did,
        identity: &SigningKey,
    ) -> Result<Action, ClientError> {
        let view = self.recovery(owner)?;
        let pending = view
            .pending
            .as_ref()
            .ok_or_else(|| refused(format!("{owner} has no pending recovery")))?;
        let new_controller =
            Did::parse(&pending.new_controller).map_err(undecodable("the new controller"))?;
        let share = self.my_share(token, owner, me, identity, &view)?;
        let recipient = self.key_agreement_of(&new_controller)?;
        let sealed = seal_to(
            &recipient,
            share.to_bytes().as_ref(),
            &share_info(owner, &new_controller),
        )?;
        let block = ShareEnvelopes {
            owner: owner.clone(),
            envelopes: vec![ShareEnvelope {
                guardian: new_controller,
                sealed,
            }],
        };
        let cid =
            self.vault_upload_raw(token, commonware_codec::Encode::encode(&block).to_vec())?;
        Ok(Action::Recovery(RecoveryAction::Approve {
            did: owner.clone(),
            share: ContentId::new(cid),
        }))
    }

    /// As guardian `me`: my share of `owner`'s vault secret, checked against the commitments.
    pub fn my_share(
        &self,
        token: &str,
        owner: &Did,
        me: &Did,
        identity: &SigningKey,
        view: &RecoveryView,
    ) -> Result<Share, ClientError> {
        let commitments = commitments_of(view)?;
        let bytes = checked_block(
            &parse_cid(&view.shares)?,
            self.authed_bytes(&format!("/v1/recovery/{owner}/shares"), token)?,
        )?;
        let envelopes = ShareEnvelopes::decode(&bytes).map_err(undecodable("shares block"))?;
        let envelope = envelopes
            .for_recipient(me)
            .ok_or_else(|| refused(format!("no share for {me}")))?;
        let plain = open_from(
            &agreement_secret(identity),
            &envelope.sealed,
            &share_info(owner, me),
        )
        .map_err(|e| step("cannot open my share")(e.into()))?;
        let share = Share::from_bytes(&plain)?;
        if !verify_share(&share, &commitments) {
            return Err(refused(
                "my share does not match the commitments on the ledger (tampered share)",
            ));
        }
        Ok(share)
    }

    /// As the new device `me` (identity key `identity`): collects the approved shares, checks
    /// each against the commitments and rebuilds the vault secret.
    pub fn recovery_rebuild(
        &self,
        token: &str,
        owner: &Did,
        me: &Did,
        identity: &SigningKey,
    ) -> Result<VaultKeys, ClientError> {
        let view = self.recovery(owner)?;
        let commitments = commitments_of(&view)?;
        let pending = view
            .pending
            .as_ref()
            .ok_or_else(|| refused(format!("{owner} has no pending recovery")))?;
        let secret = agreement_secret(identity);
        let mut shares = Vec::new();
        for approval in &pending.approvals {
            let bytes = checked_block(
                &parse_cid(&approval.share)?,
                self.authed_bytes(
                    &format!("/v1/recovery/{owner}/approvals/{}", approval.guardian),
                    token,
                )?,
            )?;
            let envelopes =
                ShareEnvelopes::decode(&bytes).map_err(undecodable("approval block"))?;
            let envelope = envelopes.for_recipient(me).ok_or_else(|| {
                refused(format!("{}'s approval is not for {me}", approval.guardian))
            })?;
            let plain =
                open_from(&secret, &envelope.sealed, &share_info(owner, me)).map_err(|e| {
                    step(format!("cannot open {}'s share", approval.guardian))(e.into())
                })?;
            shares.push(Share::from_bytes(&plain)?);
        }
        if shares.len() < usize::from(commitments.threshold()) {
            return Err(refused(format!(
                "{} of {} shares approved",
                shares.len(),
                commitments.threshold()
            )));
        }
        let secret = combine(&shares, &commitments)?;
        Ok(VaultKeys::new(secret))
    }
}

fn commitments_of(view: &RecoveryView) -> Result<Commitments, ClientError> {
    let bytes =
        hex::decode(&view.commitments).map_err(|e| step("the setup's commitments")(e.into()))?;
    Ok(Commitments::from_bytes(&bytes)?)
}

fn finish_open(
    anchor: VaultRecordView,
    keys: &RecordKeys,
    key: Zeroizing<[u8; 32]>,
) -> Result<OpenedRecord, ClientError> {
    let meta_json = open_bytes(&key, &keys.sealed_meta)?;
    let meta: RecordMeta =
        serde_json::from_slice(&meta_json).map_err(|e| step("record metadata")(e.into()))?;
    Ok(OpenedRecord { anchor, key, meta })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str) -> RecordMeta {
        RecordMeta {
            name: name.into(),
            media_type: "text/plain".into(),
            labels: vec![],
            size: 10,
            created_ms: 1,
            padded: true,
        }
    }

    #[test]
    fn sealed_metadata_is_padded_to_its_bucket_and_still_parses() {
        let short = padded_meta_json(&meta("a.txt")).unwrap();
        let longer = padded_meta_json(&meta("a-much-longer-file-name.txt")).unwrap();
        assert_eq!(short.len(), 2 * META_BUCKET);
        assert_eq!(short.len(), longer.len());
        let parsed: RecordMeta = serde_json::from_slice(&short).unwrap();
        assert_eq!(parsed, meta("a.txt"));
        // Records sealed before padding existed have no `padded` field.
        let old: RecordMeta = serde_json::from_str(
            r#"{"name":"x","media_type":"text/plain","size":1,"created_ms":1}"#,
        )
        .unwrap();
        assert!(!old.padded);
        assert!(padded_meta_json(&meta(&"n".repeat(20_000))).is_err());
    }
}
