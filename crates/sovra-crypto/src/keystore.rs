//! A directory of named private keys, each encrypted at rest with a key
//! derived from a passphrase by Argon2id and sealed with XChaCha20-Poly1305.
//!
//! File format (`<dir>/<name>.json`, version 1):
//! `{"version":1,"name":..,"did":..,"kdf":{"alg":"argon2id","m_cost":..,"t_cost":..,"p_cost":..,"salt":hex},
//!   "cipher":"xchacha20poly1305","nonce":hex,"ciphertext":hex}`.
//! The DID is bound as associated data, so swapping files between names is detected.
//!
//! On Unix the keystore directory is created `0700` and every file `0600`, each with that mode
//! from the start (never created wider and narrowed afterwards). A stored key is never
//! overwritten, and an empty passphrase is refused unless the caller allows it (the CLI does only
//! for development networks).

use crate::{CryptoError, SigningKey, did_key::encode_did_key, keys::random_bytes};
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, Payload},
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_cost: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Parallelism.
    pub p_cost: u32,
}

impl KdfParams {
    /// OWASP-recommended interactive parameters (19 MiB, 2 passes).
    pub const INTERACTIVE: Self = Self {
        m_cost: 19 * 1024,
        t_cost: 2,
        p_cost: 1,
    };
    /// Cheap parameters for tests and throwaway development keys.
    pub const INSECURE_FAST: Self = Self {
        m_cost: 64,
        t_cost: 1,
        p_cost: 1,
    };
    /// Upper bounds accepted when reading a file (prevents a file forcing huge allocations).
    const MAX_M_COST: u32 = 4 * 1024 * 1024;
    const MAX_T_COST: u32 = 64;
}

#[derive(Serialize, Deserialize)]
struct KdfSection {
    alg: String,
    #[serde(flatten)]
    params: KdfParams,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    version: u32,
    name: String,
    did: String,
    kdf: KdfSection,
    cipher: String,
    nonce: String,
    ciphertext: String,
}

/// A named key as listed by [`Keystore::list`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    /// Name of the key in the keystore.
    pub name: String,
    /// The key's `did:key`.
    pub did: String,
}

/// A directory of encrypted key files.
pub struct Keystore {
    dir: PathBuf,
    params: KdfParams,
    allow_empty_passphrase: bool,
}

/// Largest key file [`Keystore::import_file`] reads (a key file is well under 1 KiB).
pub const MAX_KEY_FILE_BYTES: usize = 16 * 1024;

fn derive_key(
    passphrase: &[u8],
    salt: &[u8],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let p = Params::new(params.m_cost, params.t_cost, params.p_cost, Some(32))
        .map_err(CryptoError::Kdf)?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, p)
        .hash_password_into(passphrase, salt, out.as_mut())
        .map_err(CryptoError::Kdf)?;
    Ok(out)
}

/// Key names are file names: keep them to a safe alphabet.
fn check_name(name: &str) -> Result<(), CryptoError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(CryptoError::Format {
            path: name.to_string(),
            reason: "key names use 1-64 characters from [A-Za-z0-9._-] and do not start with '.'"
                .into(),
        })
    }
}

impl Keystore {
    /// Opens (creating if needed) a keystore directory with interactive KDF costs.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, CryptoError> {
        Self::open_with_params(dir, KdfParams::INTERACTIVE)
    }

    /// Opens a keystore that encrypts new keys with the given KDF costs.
    pub fn open_with_params(
        dir: impl Into<PathBuf>,
        params: KdfParams,
    ) -> Result<Self, CryptoError> {
        let dir = dir.into();
        create_private_dir(&dir).map_err(|source| CryptoError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        Ok(Self {
            dir,
            params,
            allow_empty_passphrase: false,
        })
    }

    /// Whether keys and secrets may be stored under an empty passphrase (default: refused with
    /// [`CryptoError::EmptyPassphrase`]). Meant for throwaway development keys only.
    pub fn allow_empty_passphrase(mut self, allow: bool) -> Self {
        self.allow_empty_passphrase = allow;
        self
    }

    /// The keystore's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// Encrypts and stores `key` under `name`; refuses to overwrite.
    pub fn insert(
        &self,
        name: &str,
        key: &SigningKey,
        passphrase: &str,
    ) -> Result<KeyInfo, CryptoError> {
        let did = encode_did_key(&key.public_key());
        self.insert_secret(name, &did, key.seed().as_ref(), passphrase)?;
        Ok(KeyInfo {
            name: name.to_string(),
            did,
        })
    }

    /// Decrypts a secret stored with [`Self::insert_secret`]; returns it with its label.
    pub fn load_secret(
        &self,
        name: &str,
        passphrase: &str,
    ) -> Result<(String, Zeroizing<Vec<u8>>), CryptoError> {
        let file = self.read_file(name)?;
        let plain = open_file(&file, name, passphrase)?;
        Ok((file.did, plain))
    }

    /// Encrypts and stores another secret (for example a vault secret) under `name`, bound
    /// to `label` (kept in clear in the file, in the place of a key's DID); refuses to overwrite.
    pub fn insert_secret(
        &self,
        name: &str,
        label: &str,
        secret: &[u8],
        passphrase: &str,
    ) -> Result<(), CryptoError> {
        check_name(name)?;
        if passphrase.is_empty() && !self.allow_empty_passphrase {
            return Err(CryptoError::EmptyPassphrase);
        }
        let path = self.path(name);
        if path.exists() {
            return Err(CryptoError::AlreadyExists(name.to_string()));
        }
        let salt = random_bytes::<16>()?;
        let nonce = random_bytes::<24>()?;
        let wrapping = derive_key(passphrase.as_bytes(), &salt, self.params)?;
        let cipher = XChaCha20Poly1305::new(wrapping.as_ref().into());
        let ciphertext = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: label.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Sealed("key file encryption failed".into()))?;
        let file = KeyFile {
            version: 1,
            name: name.to_string(),
            did: label.to_string(),
            kdf: KdfSection {
                alg: "argon2id".into(),
                params: self.params,
                salt: hex::encode(salt),
            },
            cipher: "xchacha20poly1305".into(),
            nonce: hex::encode(nonce),
            ciphertext: hex::encode(ciphertext),
        };
        let json = serde_json::to_vec_pretty(&file).expect("key file serializes");
        write_new(&path, &json).map_err(|e| match e {
            CryptoError::Io { source, .. }
                if source.kind() == std::io::ErrorKind::AlreadyExists =>
            {
                CryptoError::AlreadyExists(name.to_string())
            }
            e => e,
        })
    }

    /// The encrypted key file of `name`, for another keystore ([`Self::import_file`]). The
    /// passphrase is checked first, so what is exported is known to open with it; the file stays
    /// encrypted under that passphrase.
    pub fn export_file(&self, name: &str, passphrase: &str) -> Result<Vec<u8>, CryptoError> {
        self.load(name, passphrase)?;
        let path = self.path(name);
        std::fs::read(&path).map_err(|source| CryptoError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Stores the key of an exported key file (`bytes`, encrypted under `file_passphrase`) as
    /// `name`, encrypted again under `passphrase` with this keystore's KDF costs.
    pub fn import_file(
        &self,
        name: &str,
        bytes: &[u8],
        file_passphrase: &str,
        passphrase: &str,
    ) -> Result<KeyInfo, CryptoError> {
        let source = "the imported key file";
        if bytes.len() > MAX_KEY_FILE_BYTES {
            return Err(CryptoError::Format {
                path: source.into(),
                reason: format!("larger than {MAX_KEY_FILE_BYTES} bytes"),
            });
        }
        let file = parse_file(bytes, source)?;
        let key = open_key(&file, source, file_passphrase)?;
        self.insert(name, &key, passphrase)
    }

    fn read_file(&self, name: &str) -> Result<KeyFile, CryptoError> {
        check_name(name)?;
        let path = self.path(name);
        let bytes = std::fs::read(&path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                CryptoError::NotFound(name.to_string())
            } else {
                CryptoError::Io {
                    path: path.display().to_string(),
                    source,
                }
            }
        })?;
        parse_file(&bytes, &path.display().to_string())
    }

    /// Decrypts the key stored under `name`.
    pub fn load(&self, name: &str, passphrase: &str) -> Result<SigningKey, CryptoError> {
        let file = self.read_file(name)?;
        open_key(&file, name, passphrase)
    }

    /// The keys in the store, sorted by name. Unreadable files are skipped.
    pub fn list(&self) -> Result<Vec<KeyInfo>, CryptoError> {
        let entries = std::fs::read_dir(&self.dir).map_err(|source| CryptoError::Io {
            path: self.dir.display().to_string(),
            source,
        })?;
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(name) = file_name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            if let Ok(file) = self.read_file(name) {
                out.push(KeyInfo {
                    name: name.to_string(),
                    did: file.did,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The public information of one key, without decrypting it.
    pub fn show(&self, name: &str) -> Result<KeyInfo, CryptoError> {
        let file = self.read_file(name)?;
        Ok(KeyInfo {
            name: name.to_string(),
            did: file.did,
        })
    }
}

/// Parses and checks the format of a key file's bytes (`path` names it in errors).
fn parse_file(bytes: &[u8], path: &str) -> Result<KeyFile, CryptoError> {
    let file: KeyFile =
        serde_json::from_slice(bytes).map_err(|source| CryptoError::KeyFileJson {
            path: path.to_string(),
            source,
        })?;
    if file.version != 1 || file.kdf.alg != "argon2id" || file.cipher != "xchacha20poly1305" {
        return Err(CryptoError::Format {
            path: path.to_string(),
            reason: "unsupported version, kdf or cipher".into(),
        });
    }
    Ok(file)
}

/// Decrypts a key file holding a signing key, and checks the key is the file's DID.
fn open_key(file: &KeyFile, name: &str, passphrase: &str) -> Result<SigningKey, CryptoError> {
    let seed = open_file(file, name, passphrase)?;
    let seed: [u8; 32] = seed
        .as_slice()
        .try_into()
        .map_err(|_| CryptoError::Decryption)?;
    let key = SigningKey::from_seed(&seed)?;
    if encode_did_key(&key.public_key()) != file.did {
        return Err(CryptoError::Decryption);
    }
    Ok(key)
}

/// Decrypts a key file's secret with `passphrase` (its label is the associated data).
fn open_file(
    file: &KeyFile,
    name: &str,
    passphrase: &str,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let p = file.kdf.params;
    if p.m_cost > KdfParams::MAX_M_COST || p.t_cost > KdfParams::MAX_T_COST || p.p_cost > 16 {
        return Err(CryptoError::Format {
            path: name.to_string(),
            reason: "KDF costs above the accepted maximum".into(),
        });
    }
    let hex_field = |v: &str| hex::decode(v).map_err(|_| CryptoError::Decryption);
    let salt = hex_field(&file.kdf.salt)?;
    let nonce = hex_field(&file.nonce)?;
    let ciphertext = hex_field(&file.ciphertext)?;
    if nonce.len() != 24 {
        return Err(CryptoError::Decryption);
    }
    let wrapping = derive_key(passphrase.as_bytes(), &salt, p)?;
    let cipher = XChaCha20Poly1305::new(wrapping.as_ref().into());
    cipher
        .decrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &ciphertext,
                aad: file.did.as_bytes(),
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decryption)
}

/// Creates `dir` and its missing parents, each `0700` on Unix (from the start).
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Opens a new file for writing, `0600` on Unix from the start (never created wider and
/// narrowed afterwards); fails if anything (a file or a symlink) is already at `path`.
pub fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Writes a new file at `path` through a temporary file (written, synced, then linked into
/// place), so a crash never leaves a half-written key and an existing file is never replaced:
/// fails with `AlreadyExists` if `path` exists.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), CryptoError> {
    use std::io::Write;
    let io = |source| CryptoError::Io {
        path: path.display().to_string(),
        source,
    };
    let tmp = path.with_extension("json.tmp");
    // A temporary file left by a crash is ours to replace (create_new refuses it otherwise).
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
        _ => {}
    }
    let written = (|| {
        let mut f = create_private_file(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    // A hard link never replaces an existing file (rename would). Where the file system has no
    // hard links, check and rename.
    let linked = match std::fs::hard_link(&tmp, path) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            if path.exists() {
                Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists))
            } else {
                std::fs::rename(&tmp, path)
            }
        }
        other => other,
    };
    let _ = std::fs::remove_file(&tmp);
    linked.map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Keystore) {
        let dir = tempfile::tempdir().unwrap();
        let ks = Keystore::open_with_params(dir.path(), KdfParams::INSECURE_FAST).unwrap();
        (dir, ks)
    }

    #[test]
    fn secrets_round_trip_bound_to_their_label() {
        let (_d, ks) = store();
        ks.insert_secret("vault", "vault:did:sovra:x", &[7u8; 33], "pw")
            .unwrap();
        let (label, secret) = ks.load_secret("vault", "pw").unwrap();
        assert_eq!(
            (label.as_str(), secret.as_slice()),
            ("vault:did:sovra:x", &[7u8; 33][..])
        );
        assert!(ks.load_secret("vault", "wrong").is_err());
        assert!(matches!(
            ks.insert_secret("vault", "other", &[1], "pw"),
            Err(CryptoError::AlreadyExists(_))
        ));
        // A secret is not a signing key.
        assert!(ks.load("vault", "pw").is_err());
    }

    #[test]
    fn insert_load_list() {
        let (_d, ks) = store();
        let key = SigningKey::generate().unwrap();
        let info = ks.insert("alice", &key, "pw").unwrap();
        assert_eq!(
            ks.load("alice", "pw").unwrap().public_key(),
            key.public_key()
        );
        assert_eq!(ks.list().unwrap(), vec![info.clone()]);
        assert_eq!(ks.show("alice").unwrap(), info);
    }

    #[test]
    fn wrong_passphrase_and_tampering_fail() {
        let (dir, ks) = store();
        let key = SigningKey::generate().unwrap();
        ks.insert("k", &key, "right").unwrap();
        assert!(matches!(
            ks.load("k", "wrong"),
            Err(CryptoError::Decryption)
        ));
        let path = dir.path().join("k.json");
        let mut file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        file["did"] =
            serde_json::Value::String(encode_did_key(&SigningKey::from_test_seed(9).public_key()));
        std::fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
        assert!(matches!(
            ks.load("k", "right"),
            Err(CryptoError::Decryption)
        ));
    }

    /// Keystore folders are created 0700 and key files 0600, whatever the umask.
    #[cfg(unix)]
    #[test]
    fn keystore_folders_are_private_and_key_files_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("home/.sovra/keys");
        let ks = Keystore::open_with_params(&dir, KdfParams::INSECURE_FAST).unwrap();
        ks.insert("a", &SigningKey::generate().unwrap(), "p")
            .unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&root.path().join("home/.sovra")), 0o700);
        assert_eq!(mode(&dir.join("a.json")), 0o600);
        let vaults =
            Keystore::open_with_params(dir.join("vaults"), KdfParams::INSECURE_FAST).unwrap();
        vaults.insert_secret("v", "vault:x", &[1; 33], "p").unwrap();
        assert_eq!(mode(&dir.join("vaults")), 0o700);
        assert_eq!(mode(&dir.join("vaults/v.json")), 0o600);
        // Nothing temporary is left behind.
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
    }

    /// A key is never stored under an empty passphrase unless the caller allows it.
    #[test]
    fn empty_passphrase_is_refused_unless_allowed() {
        let (dir, ks) = store();
        let key = SigningKey::generate().unwrap();
        assert!(matches!(
            ks.insert("k", &key, ""),
            Err(CryptoError::EmptyPassphrase)
        ));
        assert!(matches!(
            ks.insert_secret("v", "l", &[1], ""),
            Err(CryptoError::EmptyPassphrase)
        ));
        assert!(!dir.path().join("k.json").exists());
        let dev = Keystore::open_with_params(dir.path(), KdfParams::INSECURE_FAST)
            .unwrap()
            .allow_empty_passphrase(true);
        dev.insert("k", &key, "").unwrap();
        assert_eq!(ks.load("k", "").unwrap().public_key(), key.public_key());
    }

    /// An exported key file imports into another keystore under a new passphrase.
    #[test]
    fn exported_key_file_imports_into_another_keystore() {
        let (_a, from) = store();
        let (_b, to) = store();
        let key = SigningKey::generate().unwrap();
        from.insert("alice", &key, "old").unwrap();
        assert!(matches!(
            from.export_file("alice", "wrong"),
            Err(CryptoError::Decryption)
        ));
        let file = from.export_file("alice", "old").unwrap();
        assert!(matches!(
            to.import_file("alice", &file, "wrong", "new"),
            Err(CryptoError::Decryption)
        ));
        let info = to.import_file("laptop", &file, "old", "new").unwrap();
        assert_eq!(info.did, encode_did_key(&key.public_key()));
        assert_eq!(
            to.load("laptop", "new").unwrap().public_key(),
            key.public_key()
        );
        assert!(to.load("laptop", "old").is_err());
        assert!(matches!(
            to.import_file("laptop", &file, "old", "new"),
            Err(CryptoError::AlreadyExists(_))
        ));
        let not_json = to.import_file("x", b"{}", "old", "new").unwrap_err();
        assert!(
            matches!(not_json, CryptoError::KeyFileJson { .. }),
            "{not_json:?}"
        );
        let cause = std::error::Error::source(&not_json).expect("the JSON error is kept");
        assert!(cause.downcast_ref::<serde_json::Error>().is_some());
        assert!(
            to.import_file("y", &vec![b' '; MAX_KEY_FILE_BYTES + 1], "old", "new")
                .is_err()
        );
    }

    #[test]
    fn refuses_overwrite_and_bad_names() {
        let (_d, ks) = store();
        let key = SigningKey::generate().unwrap();
        ks.insert("a", &key, "p").unwrap();
        assert!(matches!(
            ks.insert("a", &key, "p"),
            Err(CryptoError::AlreadyExists(_))
        ));
        assert!(ks.insert("../evil", &key, "p").is_err());
        assert!(matches!(
            ks.load("missing", "p"),
            Err(CryptoError::NotFound(_))
        ));
    }
}
