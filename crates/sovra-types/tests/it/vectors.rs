//! Golden encoding vectors: the hex encoding of a fixed example of every transaction action,
//! every state key (its bytes and its hash), every receipt status, each record, the block
//! header, a signed transaction and a block, and the ids hashed from them, checked against the
//! file `tests/vectors/encoding.toml`. An encoding change that still round-trips fails here.
//!
//! A new action variant cannot go without a vector: `every_action_variant_has_an_example`
//! enumerates, through the decoder itself, every module tag and action tag `Action` accepts
//! and wants an example of each. After a deliberate encoding change, regenerate the file with
//! `SOVRA_BLESS_VECTORS=1 cargo test -p sovra-types --test it vectors` and review its diff.

use commonware_codec::{Encode, Error};
use sovra_types::{Action, codec::decode_exact, identity::derive_sovra_did};
use std::collections::BTreeSet;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/encoding.toml");

const HEADER: &str = "\
# Golden encoding vectors of Sovra's consensus-critical structures (hex).
# Checked by crates/sovra-types/tests/it/vectors.rs; the examples are in tests/it/examples/mod.rs.
# Regenerate only after a deliberate encoding change (and document it in docs/architecture.md):
#   SOVRA_BLESS_VECTORS=1 cargo test -p sovra-types --test it vectors
";

fn hex_of(value: &impl Encode) -> toml::Value {
    toml::Value::String(hex::encode(value.encode()))
}

/// Every vector, computed from the examples.
fn computed() -> toml::Table {
    let mut actions = toml::Table::new();
    for action in crate::examples::actions() {
        let previous = actions.insert(action.kind().to_string(), hex_of(&action));
        assert!(previous.is_none(), "two examples of {}", action.kind());
    }

    let mut state_keys = toml::Table::new();
    for (name, key) in crate::examples::state_keys() {
        let mut entry = toml::Table::new();
        entry.insert("bytes".into(), hex::encode(key.to_bytes()).into());
        entry.insert("hash".into(), hex::encode(key.hash()).into());
        let previous = state_keys.insert(name.to_string(), entry.into());
        assert!(previous.is_none(), "two examples of state key {name}");
    }

    let mut structures = toml::Table::new();
    for (name, status) in crate::examples::receipt_statuses() {
        structures.insert(name.into(), hex_of(&crate::examples::receipt_entry(status)));
    }
    structures.insert("block_header".into(), hex_of(&crate::examples::header()));
    structures.insert(
        "signed_transaction".into(),
        hex_of(&crate::examples::signed_transaction()),
    );
    structures.insert("block".into(), hex_of(&crate::examples::block()));
    structures.insert("account".into(), hex_of(&crate::examples::account()));
    structures.insert("pin_record".into(), hex_of(&crate::examples::pin_record()));
    structures.insert("did_record".into(), hex_of(&crate::examples::did_record()));
    structures.insert(
        "verifier_record".into(),
        hex_of(&crate::examples::verifier_record()),
    );
    structures.insert(
        "status_list_anchor".into(),
        hex_of(&crate::examples::status_list_anchor()),
    );
    structures.insert(
        "vault_record".into(),
        hex_of(&crate::examples::vault_record()),
    );
    structures.insert(
        "recovery_config".into(),
        hex_of(&crate::examples::recovery_config()),
    );
    structures.insert(
        "record_keys".into(),
        hex_of(&crate::examples::record_keys()),
    );
    structures.insert(
        "share_envelopes".into(),
        hex_of(&crate::examples::share_envelopes()),
    );
    structures.insert(
        "asset_class".into(),
        hex_of(&crate::examples::asset_class_record()),
    );
    structures.insert(
        "token_record".into(),
        hex_of(&crate::examples::token_record()),
    );
    structures.insert("token_lock".into(), hex_of(&crate::examples::token_lock()));
    structures.insert("bundle".into(), hex_of(&crate::examples::bundle()));
    structures.insert(
        "holder_balance".into(),
        hex_of(&crate::examples::holder_balance()),
    );
    structures.insert(
        "params_record".into(),
        hex_of(&crate::examples::params_record()),
    );
    structures.insert(
        "validator_record".into(),
        hex_of(&crate::examples::validator_record()),
    );
    structures.insert("delegation".into(), hex_of(&crate::examples::delegation()));
    structures.insert("unbonding".into(), hex_of(&crate::examples::unbonding()));
    structures.insert(
        "stake_total".into(),
        hex_of(&crate::examples::stake_total()),
    );
    structures.insert(
        "candidate_list".into(),
        hex_of(&crate::examples::candidate_list()),
    );
    structures.insert(
        "validator_sets".into(),
        hex_of(&crate::examples::validator_sets()),
    );
    structures.insert("slash_log".into(), hex_of(&crate::examples::slash_log()));
    structures.insert(
        "equivocation".into(),
        hex_of(&crate::examples::equivocation()),
    );
    structures.insert("proposal".into(), hex_of(&crate::examples::proposal()));
    structures.insert(
        "registry_proposal".into(),
        hex_of(&crate::examples::registry_proposal()),
    );
    structures.insert(
        "vote_record".into(),
        hex_of(&crate::examples::vote_record()),
    );

    let mut ids = toml::Table::new();
    let tx = crate::examples::signed_transaction();
    ids.insert("transaction_id".into(), hex::encode(tx.id()).into());
    ids.insert(
        "block_id".into(),
        hex::encode(crate::examples::block().id()).into(),
    );
    ids.insert(
        "tx_root".into(),
        hex::encode(crate::examples::header().tx_root).into(),
    );
    ids.insert(
        "receipt_entry_hash".into(),
        hex::encode(crate::examples::receipt_entry(sovra_types::ReceiptStatus::Completed).hash())
            .into(),
    );
    ids.insert(
        "asset_lock_id".into(),
        sovra_types::assets::lock_id(&tx.id(), 1).to_string().into(),
    );
    ids.insert(
        "derived_did_sovra".into(),
        derive_sovra_did("sovra-vectors", &crate::examples::did_key(1), 9, 2)
            .to_string()
            .into(),
    );

    let mut all = toml::Table::new();
    all.insert("actions".into(), actions.into());
    all.insert("state_keys".into(), state_keys.into());
    all.insert("structures".into(), structures.into());
    all.insert("ids".into(), ids.into());
    all
}

/// Every `section.name` of a vectors table, with its value.
fn flatten(table: &toml::Table) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (section, entries) in table {
        let entries = entries.as_table().expect("sections are tables");
        for (name, value) in entries {
            out.push((format!("{section}.{name}"), value.to_string()));
        }
    }
    out
}

#[test]
fn vectors_match_the_checked_in_file() {
    let computed = computed();
    if std::env::var_os("SOVRA_BLESS_VECTORS").is_some() {
        let text = format!("{HEADER}\n{}", toml::to_string(&computed).unwrap());
        std::fs::write(PATH, text).unwrap();
        return;
    }
    let text = std::fs::read_to_string(PATH).expect("tests/vectors/encoding.toml");
    let stored: toml::Table = text.parse().expect("the vectors file parses");
    let stored = flatten(&stored);
    let computed = flatten(&computed);
    let mut problems = Vec::new();
    for (name, value) in &computed {
        match stored.iter().find(|(n, _)| n == name) {
            None => problems.push(format!("{name}: no vector in the file")),
            Some((_, v)) if v != value => {
                problems.push(format!("{name}: encodes to {value}, the vector is {v}"))
            }
            Some(_) => {}
        }
    }
    for (name, _) in &stored {
        if !computed.iter().any(|(n, _)| n == name) {
            problems.push(format!("{name}: a vector with no example"));
        }
    }
    assert!(
        problems.is_empty(),
        "the encoding differs from the golden vectors:\n{}",
        problems.join("\n")
    );
}

/// The action vectors in the file decode to their examples (the other direction of the check).
#[test]
fn action_vectors_decode_to_their_examples() {
    let text = std::fs::read_to_string(PATH).expect("tests/vectors/encoding.toml");
    let stored: toml::Table = text.parse().unwrap();
    let vectors = stored["actions"].as_table().unwrap();
    for example in crate::examples::actions() {
        let hex = vectors[example.kind()].as_str().unwrap();
        let decoded: Action = decode_exact(&hex::decode(hex).unwrap(), &()).unwrap();
        assert_eq!(decoded, example, "{}", example.kind());
    }
}

/// Every (module tag, action tag) the decoder accepts: the tag pairs for which decoding stops
/// at the end of the input rather than at an unknown tag.
fn decodable_variants() -> BTreeSet<(u8, u8)> {
    let mut out = BTreeSet::new();
    for module in 0..=u8::MAX {
        if let Err(Error::InvalidEnum(tag)) = decode_exact::<Action>(&[module], &())
            && tag == module
        {
            continue;
        }
        for action in 0..=u8::MAX {
            match decode_exact::<Action>(&[module, action], &()) {
                Err(Error::InvalidEnum(tag)) if tag == action => {}
                _ => {
                    out.insert((module, action));
                }
            }
        }
    }
    out
}

/// Every action variant the decoder knows has an example (and so a vector), and every
/// example is a variant the decoder knows, once.
#[test]
fn every_action_variant_has_an_example() {
    let variants = decodable_variants();
    let mut covered = BTreeSet::new();
    for example in crate::examples::actions() {
        let bytes = example.encode();
        let tags = (bytes[0], bytes[1]);
        assert!(
            variants.contains(&tags),
            "{} encodes to unknown tags {tags:?}",
            example.kind()
        );
        assert!(covered.insert(tags), "two examples of {}", example.kind());
        assert_eq!(decode_exact::<Action>(&bytes, &()).unwrap(), example);
    }
    let missing: Vec<_> = variants.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "action variants (module tag, action tag) without an example and vector: {missing:?}"
    );
}
