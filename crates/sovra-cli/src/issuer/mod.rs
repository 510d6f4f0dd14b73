//! An issuer's side of credentials: the verifier's own key signs, its
//! revocation and suspension lists live in a local state file, and each
//! change of a list is published (signed list credential uploaded as a raw
//! block, pinned, and its CID anchored on the ledger in one transaction).
//!
//! After a key rotation, [`republish_status_lists`] re-signs the anchored
//! lists with the new key (`sovra did rotate-key`, `sovra vc republish`).
//!
//! Used by `sovra vc issue|revoke|republish`, `sovra did rotate-key` and by
//! `sovra issuer serve`, whose HTTP side is [`service`].

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sovra_client::{Client, DidVersionSelector};
use sovra_credentials::{
    Cryptosuite, ProofOptions,
    status::{
        Bitstring, MIN_LIST_BITS, StatusPurpose, read_status_list_credential, status_entry_json,
        status_list_credential,
    },
    verify::status_list_url,
};
use sovra_crypto::{MultikeyType, SigningKey, encode_multikey};
use sovra_types::{
    Action, ContentAction, Did, DidMethod, RegistryAction, Relationship, datetime::format_ms,
    limits::DEFAULT_REPLICATION,
};

use crate::signer::submit_and_wait;
use crate::time::now_ms;

pub(crate) mod service;

/// Id of the revocation list of every issuer.
pub(crate) const REVOCATION_LIST: &str = "revocation";
/// Id of the suspension list of every issuer.
pub(crate) const SUSPENSION_LIST: &str = "suspension";

fn list_id(purpose: StatusPurpose) -> &'static str {
    match purpose {
        StatusPurpose::Revocation => REVOCATION_LIST,
        StatusPurpose::Suspension => SUSPENSION_LIST,
    }
}

/// The persistent part: next free index and both lists.
#[derive(Serialize, Deserialize)]
struct StateFile {
    issuer: String,
    next_index: u64,
    revocation: String,
    suspension: String,
}

/// One issuer: its identity, key, and list state on disk.
pub(crate) struct Issuer {
    /// The issuer's DID.
    pub(crate) did: Did,
    key: SigningKey,
    /// Who signs ledger transactions for it (the issuer DID itself, or its did:key).
    pub(crate) tx_signer: Did,
    /// The verification method its credentials name.
    pub(crate) method: String,
    path: PathBuf,
    state: StateFile,
}

/// Who signs a status list credential and the transaction anchoring it.
struct ListSigner<'a> {
    did: &'a Did,
    tx_signer: &'a Did,
    key: &'a SigningKey,
    method: &'a str,
}

/// Signs `document` with `key`, naming the verification method `method`,
/// created now.
fn sign_as(key: &SigningKey, method: &str, document: &Value, suite: Cryptosuite) -> Result<Value> {
    let mut options = ProofOptions::assertion(suite, method);
    options.created = Some(format_ms(now_ms()));
    Ok(sovra_credentials::sign(document, &key.seed(), &options)?)
}

/// Signs the status list credential of `list`, uploads it as a raw block, and
/// pins and anchors it in one transaction signed by the issuer.
fn publish_list(
    client: &Client,
    signer: &ListSigner,
    purpose: StatusPurpose,
    list: &Bitstring,
    fee: u64,
) -> Result<()> {
    let url = status_list_url(signer.did, list_id(purpose));
    let unsigned = status_list_credential(
        &url,
        signer.did.as_str(),
        purpose,
        list,
        &format_ms(now_ms()),
    );
    let signed = sign_as(
        signer.key,
        signer.method,
        &unsigned,
        Cryptosuite::EddsaRdfc2022,
    )?;
    let bytes = serde_json::to_vec(&signed)?;
    let size = bytes.len() as u64;
    // Uploads need an identity: the one that pays for the pin.
    let token = client.login(signer.key, signer.tx_signer)?;
    let cid = client.upload_raw(&token, bytes)?;
    let cid = sovra_types::ContentId::new(cid);
    let tx = client.build_tx(
        signer.key,
        signer.tx_signer,
        vec![
            Action::Content(ContentAction::Pin {
                cid: cid.clone(),
                size,
                replication: DEFAULT_REPLICATION,
            }),
            Action::Registry(RegistryAction::AnchorStatusList {
                list_id: list_id(purpose).to_string(),
                cid,
            }),
        ],
        fee,
    )?;
    submit_and_wait(client, &tx)?;
    Ok(())
}

/// Re-signs every status list `did` has anchored (its `revocation` and
/// `suspension` lists, the lists Sovra's issuer tools publish) with `key`,
/// which must now be an assertion key of `did`, and re-anchors them; the
/// bits are those of the anchored version, read with a proof and checked
/// against the anchored CID. Run after a key rotation, so that verifiers
/// that check a list's signature against the issuer's current document
/// accept it. Returns the ids of the lists republished.
pub(crate) fn republish_status_lists(
    client: &Client,
    did: &Did,
    key: &SigningKey,
    fee: u64,
) -> Result<Vec<&'static str>> {
    let ledger = sovra_client::ClientLedger(client);
    let mut anchored = Vec::new();
    for purpose in StatusPurpose::ALL {
        let id = list_id(purpose);
        let Some(anchor) = ledger.anchor(did, id).map_err(anyhow::Error::msg)? else {
            continue;
        };
        let bytes = client
            .raw_block(anchor.cid.cid())?
            .with_context(|| format!("no node has the anchored status list {}", anchor.cid))?;
        let json = sovra_credentials::parse_document(&bytes)?;
        let (found, list) = read_status_list_credential(&json)?;
        if found != purpose {
            bail!("the list anchored as {id} is a {} list", found.as_str());
        }
        anchored.push((purpose, list));
    }
    if anchored.is_empty() {
        return Ok(Vec::new());
    }
    let method = method_of(client, did, key, Relationship::AssertionMethod)?;
    let signer = ListSigner {
        did,
        tx_signer: did,
        key,
        method: &method,
    };
    let mut done = Vec::new();
    for (purpose, list) in anchored {
        publish_list(client, &signer, purpose, &list, fee)?;
        done.push(list_id(purpose));
    }
    Ok(done)
}

/// The DID URL of `key` among `did`'s keys listed under `rel` (the document
/// read with proofs; for a `did:key`, its one key).
pub(crate) fn method_of(
    client: &Client,
    did: &Did,
    key: &SigningKey,
    rel: Relationship,
) -> Result<String> {
    let raw: [u8; 32] = key.public_key().as_ref().try_into()?;
    if did.method() == DidMethod::Key {
        if did.key().as_ref() != Some(&key.public_key()) {
            bail!("the key is not {did}'s key");
        }
        return Ok(format!(
            "{did}#{}",
            encode_multikey(MultikeyType::Ed25519, &raw)
        ));
    }
    let record = client
        .resolve_verified(did, DidVersionSelector::Latest)?
        .map_err(|a| anyhow::anyhow!("{}", a.what))?
        .record
        .context("no DID record")?;
    if record.deactivated {
        bail!("{did} is deactivated");
    }
    let method = record
        .document
        .ed25519_keys(rel)
        .find(|m| m.public_key == raw)
        .with_context(|| format!("the key is not a {} key of {did}", rel.as_str()))?;
    Ok(format!("{did}#{}", method.id))
}

impl Issuer {
    /// Opens (or starts) the state of `did` in `dir`, signing with `key`.
    pub(crate) fn open(client: &Client, dir: &Path, did: Did, key: SigningKey) -> Result<Self> {
        let method = method_of(client, &did, &key, Relationship::AssertionMethod)?;
        let tx_signer = did.clone();
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let file_name = did.as_str().replace(':', "_");
        let path = dir.join(format!("{file_name}.json"));
        let state = if path.exists() {
            let state: StateFile = serde_json::from_slice(&std::fs::read(&path)?)
                .with_context(|| format!("reading {}", path.display()))?;
            if state.issuer != did.as_str() {
                bail!("{} belongs to {}", path.display(), state.issuer);
            }
            state
        } else {
            let empty = Bitstring::new(MIN_LIST_BITS)?.encode();
            StateFile {
                issuer: did.to_string(),
                next_index: 0,
                revocation: empty.clone(),
                suspension: empty,
            }
        };
        Ok(Self {
            did,
            key,
            tx_signer,
            method,
            path,
            state,
        })
    }

    /// Re-reads the state file, so issuers in several processes (the CLI and
    /// `sovra issuer serve`) taking turns on one directory see each other's changes.
    fn reload(&mut self) -> Result<()> {
        if self.path.exists() {
            self.state = serde_json::from_slice(&std::fs::read(&self.path)?)
                .with_context(|| format!("reading {}", self.path.display()))?;
        }
        Ok(())
    }

    fn save(&self) -> Result<()> {
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&self.state)?)?;
        std::fs::rename(&tmp, &self.path)?;
        Ok(())
    }

    fn list(&self, purpose: StatusPurpose) -> Result<Bitstring> {
        Ok(Bitstring::decode(match purpose {
            StatusPurpose::Revocation => &self.state.revocation,
            StatusPurpose::Suspension => &self.state.suspension,
        })?)
    }

    /// Signs, uploads, pins and anchors the current version of one list.
    pub(crate) fn publish(&self, client: &Client, purpose: StatusPurpose, fee: u64) -> Result<()> {
        let list = self.list(purpose)?;
        publish_list(client, &self.signer(), purpose, &list, fee)
    }

    /// The issuer's signing identity.
    fn signer(&self) -> ListSigner<'_> {
        ListSigner {
            did: &self.did,
            tx_signer: &self.tx_signer,
            key: &self.key,
            method: &self.method,
        }
    }

    /// Signs a document with the issuer's assertion key.
    pub(crate) fn sign(&self, document: &Value, suite: Cryptosuite) -> Result<Value> {
        sign_as(&self.key, &self.method, document, suite)
    }

    /// Issues `credential` (unsigned; `issuer` and `credentialStatus` are set
    /// here): allocates a status index, publishes the lists the first time,
    /// and signs.
    pub(crate) fn issue(
        &mut self,
        client: &Client,
        mut credential: Value,
        suite: Cryptosuite,
        fee: u64,
    ) -> Result<Value> {
        let obj = credential
            .as_object_mut()
            .context("a credential is a JSON object")?;
        if obj.contains_key("proof") {
            bail!("the credential is already signed");
        }
        self.reload()?;
        let index = self.state.next_index;
        if index as usize >= MIN_LIST_BITS {
            bail!("all {MIN_LIST_BITS} status indices of this issuer are used");
        }
        // Publish the (still empty) lists before the first credential points at them.
        if index == 0 {
            for purpose in [StatusPurpose::Revocation, StatusPurpose::Suspension] {
                self.publish(client, purpose, fee)?;
            }
        }
        self.state.next_index += 1;
        self.save()?;
        obj.insert("issuer".into(), json!(self.did.as_str()));
        obj.insert(
            "credentialStatus".into(),
            json!([
                status_entry_json(
                    StatusPurpose::Revocation,
                    index,
                    &status_list_url(&self.did, REVOCATION_LIST)
                ),
                status_entry_json(
                    StatusPurpose::Suspension,
                    index,
                    &status_list_url(&self.did, SUSPENSION_LIST)
                ),
            ]),
        );
        self.sign(&credential, suite)
    }

    /// Sets or clears the `purpose` bit of `index` and publishes the list.
    pub(crate) fn set_status(
        &mut self,
        client: &Client,
        purpose: StatusPurpose,
        index: u64,
        value: bool,
        fee: u64,
    ) -> Result<()> {
        self.reload()?;
        if index >= self.state.next_index {
            bail!("index {index} was never issued by this issuer state");
        }
        let mut list = self.list(purpose)?;
        list.set(index as usize, value)?;
        let encoded = list.encode();
        match purpose {
            StatusPurpose::Revocation => self.state.revocation = encoded,
            StatusPurpose::Suspension => self.state.suspension = encoded,
        }
        self.save()?;
        self.publish(client, purpose, fee)
    }
}
