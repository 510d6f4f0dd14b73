//! Transactions: a versioned envelope (signer, nonce, fee, chain id, expiry)
//! around one or more [`Action`]s ([`crate::actions`]), signed by the signer's key.
//!
//! The transaction id is the SHA-256 of the canonical encoding of the whole
//! signed transaction. The signature covers the canonical encoding of the
//! unsigned [`Transaction`] under the namespace [`TX_NAMESPACE`].

use crate::{
    Action, Did, Digest, TypesError,
    codec::{bytes_size, read_text, write_bytes},
    limits::{MAX_ACTIONS_PER_TX, MAX_CHAIN_ID_LEN, MAX_TX_BYTES},
    sha256,
};
use commonware_codec::{Buf, Encode, EncodeSize, Error, RangeCfg, Read, ReadExt, Write};
use sovra_crypto::{PublicKey, Signature, SigningKey};

/// Domain-separation namespace of transaction signatures.
pub const TX_NAMESPACE: &[u8] = b"sovra/tx";
/// Current version of the transaction encoding.
pub const TX_VERSION: u8 = 1;

/// A transaction id: SHA-256 of the signed transaction's encoding.
pub type TxId = Digest;

/// The unsigned body of a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// The network this transaction is for (replay protection across chains).
    pub chain_id: String,
    /// The identity that signs and pays.
    pub signer: Did,
    /// Must equal the signer's account nonce when executed.
    pub nonce: u64,
    /// Fee paid to the network, charged even if an action fails.
    pub fee: u64,
    /// Last block height at which the transaction may be included.
    pub expiry_height: u64,
    /// What to do, in order; all or nothing.
    pub actions: Vec<Action>,
}

impl Transaction {
    /// Signs the transaction with `key`.
    pub fn sign(self, key: &SigningKey) -> SignedTransaction {
        let signature = key.sign(TX_NAMESPACE, &self.encode());
        SignedTransaction {
            tx: self,
            public_key: key.public_key(),
            signature,
        }
    }
}

/// Checks a chain id: 1-32 bytes of `[a-z0-9-]`.
pub fn validate_chain_id(id: &str) -> Result<(), TypesError> {
    if id.is_empty()
        || id.len() > MAX_CHAIN_ID_LEN
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(TypesError::Invalid(format!(
            "chain id must be 1-{MAX_CHAIN_ID_LEN} characters of [a-z0-9-]: {id:?}"
        )));
    }
    Ok(())
}

impl Write for Transaction {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        TX_VERSION.write(buf);
        write_bytes(self.chain_id.as_bytes(), buf);
        self.signer.write(buf);
        self.nonce.write(buf);
        self.fee.write(buf);
        self.expiry_height.write(buf);
        self.actions.write(buf);
    }
}

impl EncodeSize for Transaction {
    fn encode_size(&self) -> usize {
        1 + bytes_size(self.chain_id.as_bytes())
            + self.signer.encode_size()
            + 8 * 3
            + self.actions.encode_size()
    }
}

impl Read for Transaction {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let version = u8::read(buf)?;
        if version != TX_VERSION {
            return Err(Error::Invalid("Transaction", "unsupported version"));
        }
        let chain_id = read_text(buf, 1..=MAX_CHAIN_ID_LEN, "chain id")?;
        validate_chain_id(&chain_id).map_err(|_| Error::Invalid("Transaction", "bad chain id"))?;
        Ok(Self {
            chain_id,
            signer: Did::read(buf)?,
            nonce: u64::read(buf)?,
            fee: u64::read(buf)?,
            expiry_height: u64::read(buf)?,
            actions: Vec::<Action>::read_cfg(buf, &(RangeCfg::from(1..=MAX_ACTIONS_PER_TX), ()))?,
        })
    }
}

/// A transaction with the signer's public key and signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTransaction {
    /// The signed body.
    pub tx: Transaction,
    /// The key that signed; for a `did:key` signer it must be the DID's key.
    pub public_key: PublicKey,
    /// Ed25519 signature over `tx`'s encoding under [`TX_NAMESPACE`].
    pub signature: Signature,
}

impl SignedTransaction {
    /// The transaction id.
    pub fn id(&self) -> TxId {
        sha256(&[&self.encode()])
    }

    /// Decodes a signed transaction from untrusted bytes (bounded, strict).
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        if bytes.len() > MAX_TX_BYTES {
            return Err(TypesError::Invalid(format!(
                "transaction is {} bytes; the limit is {MAX_TX_BYTES}",
                bytes.len()
            )));
        }
        Ok(crate::codec::decode_exact(bytes, &())?)
    }

    /// Checks what can be checked without state: the key matches the signer
    /// (for `did:key`; a `did:sovra` signer's key is checked against its
    /// document during execution) and the signature is valid.
    pub fn verify_stateless(&self) -> Result<(), TypesError> {
        self.check_key_binding()?;
        if !sovra_crypto::verify(
            &self.public_key,
            TX_NAMESPACE,
            &self.tx.encode(),
            &self.signature,
        ) {
            return Err(TypesError::Invalid("bad signature".into()));
        }
        Ok(())
    }

    /// For a `did:key` signer, the signing key must be the key the DID names.
    /// For a `did:sovra` signer this needs state (the key must be one of the
    /// document's capabilityInvocation keys) and is left to execution.
    pub fn check_key_binding(&self) -> Result<(), TypesError> {
        match self.tx.signer.method() {
            crate::did::DidMethod::Sovra => Ok(()),
            // Compares bytes: the signer was checked canonical when decoded, so its point need
            // not be decompressed again.
            crate::did::DidMethod::Key => {
                match sovra_crypto::did_key::did_key_bytes(self.tx.signer.as_str()) {
                    Some(k) if k.as_slice() == self.public_key.as_ref() => Ok(()),
                    _ => Err(TypesError::Invalid(
                        "public key does not match the signer's did:key".into(),
                    )),
                }
            }
        }
    }
}

impl Write for SignedTransaction {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.tx.write(buf);
        self.public_key.write(buf);
        self.signature.write(buf);
    }
}

impl EncodeSize for SignedTransaction {
    fn encode_size(&self) -> usize {
        self.tx.encode_size() + self.public_key.encode_size() + self.signature.encode_size()
    }
}

impl Read for SignedTransaction {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            tx: Transaction::read(buf)?,
            public_key: {
                let raw = <[u8; 32]>::read(buf)?;
                sovra_crypto::keys::public_key_cached(&raw)
                    .map_err(|_| Error::Invalid("SignedTransaction", "invalid public key"))?
            },
            signature: Signature::read(buf)?,
        })
    }
}
