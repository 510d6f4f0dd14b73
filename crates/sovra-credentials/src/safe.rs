//! Safe mode for `eddsa-rdfc-2022`: a document is signed or accepted only
//! if every value in it survives into the canonical N-Quads the signature
//! covers.
//!
//! JSON-LD processing silently drops or blanks out whatever it cannot turn
//! into RDF: a string where the context expects an IRI (`"laboratory":
//! "Example Labs"` under `"@type": "@id"`, a relative credential `id`)
//! becomes a blank node, `null` values, keyword-like keys, `@index` and
//! undefined terms are dropped. Such values could be changed after issuance
//! without breaking the signature. Like other verifiers (the Data Integrity
//! specification's "safe mode", digitalbazaar's jsonld-signatures with
//! `safe: true`), this crate refuses such documents, both when signing and
//! when verifying, with [`CredentialError::UnsafeDocument`].
//!
//! The checks, in the order they run:
//!
//! 1. on the JSON (`check_compact`): no `null`; no key that starts with `@`
//!    but is not a JSON-LD keyword JSON-LD keeps (`@index` and `@direction`
//!    are refused: they do not reach the RDF); `@context` only as published
//!    context URLs (inline context objects could redefine or null out terms
//!    without touching the signature); integers within ±2^53;
//! 2. during expansion: undefined terms and malformed IRIs are errors, and
//!    every expansion warning is an error;
//!    empty lists and bare values or identifiers in a `@graph` are refused
//!    too (JSON-LD drops them);
//! 3. on the expanded document (`check_expanded`): every node identifier,
//!    type and property is an absolute IRI (never a relative or invalid
//!    reference, never an explicit blank node label, whose name is not
//!    signed), language tags are well formed, and no top-level object is one
//!    that RDF conversion drops (a value, a list, a node with nothing but an
//!    `@id`), and there are no ordered lists (`@list`: ssi 0.16's RDF
//!    conversion loses their items);
//! 4. on the RDF (`check_blank_nodes`): the dataset has at most
//!    [`MAX_BLANK_NODES`] blank nodes, of which at most
//!    [`MAX_SHARED_BLANK_NODE_HASHES`] look alike at first degree: RDF
//!    canonicalization is exponential in the worst case, and documents come
//!    from the network.

use std::collections::HashMap;

use rdf_types::{BlankIdBuf, RdfDisplay};
use serde_json::Value;
use ssi_json_ld::IriBuf;
use ssi_json_ld::json_ld::{self, ExpandedDocument, Object};
use ssi_rdf::LexicalQuad;

type IndexedObject = json_ld::IndexedObject<IriBuf, BlankIdBuf>;
type Node = json_ld::Node<IriBuf, BlankIdBuf>;

use crate::CredentialError;
use crate::json::{MAX_SAFE_INTEGER, at, push_key};

/// Most blank nodes in one document's RDF dataset.
pub const MAX_BLANK_NODES: usize = 1024;

/// Most blank nodes whose first-degree descriptions (their quads, with the
/// node itself and every other blank node anonymised) are shared with
/// another blank node. Only those need the costly n-degree hashing of RDF
/// canonicalization.
pub const MAX_SHARED_BLANK_NODE_HASHES: usize = 16;

/// Keywords that may appear as keys outside `@context` and that reach the RDF.
const KEPT_KEYWORDS: [&str; 10] = [
    "@id",
    "@type",
    "@value",
    "@language",
    "@list",
    "@set",
    "@graph",
    "@included",
    "@reverse",
    "@nest",
];

fn refuse(message: String) -> CredentialError {
    CredentialError::UnsafeDocument(message)
}

/// Step 1: checks on the JSON document before JSON-LD processing.
pub(crate) fn check_compact(value: &Value) -> Result<(), CredentialError> {
    let mut path = String::new();
    walk_json(value, &mut path, Mode::JsonLd)
}

/// The safe-mode check of `eddsa-jcs-2022` documents: JCS signs the JSON
/// itself, so only numbers need care (integers beyond ±2^53 are written
/// differently by JCS implementations that read them as doubles).
pub(crate) fn check_jcs(value: &Value) -> Result<(), CredentialError> {
    let mut path = String::new();
    walk_json(value, &mut path, Mode::Jcs)
}

/// What a JSON walk checks: everything JSON-LD would lose, or only numbers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    JsonLd,
    Jcs,
}

fn walk_json(value: &Value, path: &mut String, mode: Mode) -> Result<(), CredentialError> {
    let jsonld = mode == Mode::JsonLd;
    match value {
        Value::Null if jsonld => Err(refuse(format!(
            "{} is null: JSON-LD drops null values, so the signature would not cover it",
            at(path)
        ))),
        Value::Number(n) => check_integer(n, path),
        Value::Array(items) => {
            if jsonld && items.is_empty() {
                return Err(refuse(format!(
                    "{} is an empty list: JSON-LD drops it, so the signature would not cover it",
                    at(path)
                )));
            }
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                walk_json(item, path, mode)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                push_key(path, key);
                if jsonld {
                    check_key(key, item, path)?;
                }
                if !(jsonld && key == "@context") {
                    walk_json(item, path, mode)?;
                }
                path.truncate(len);
            }
            Ok(())
        }
        Value::Null | Value::Bool(_) | Value::String(_) => Ok(()),
    }
}

/// The JSON-LD checks of one object entry (`path` ends with its key).
fn check_key(key: &str, item: &Value, path: &str) -> Result<(), CredentialError> {
    if key == "@context" {
        return check_context_references(item, path);
    }
    if key == "@graph" {
        return check_graph_members(item, path);
    }
    if key.starts_with('@') && !KEPT_KEYWORDS.contains(&key) {
        return Err(refuse(format!(
            "{}: the key `{key}` does not reach the signed RDF (JSON-LD drops it or keeps it \
             out of the N-Quads)",
            at(path)
        )));
    }
    Ok(())
}

fn check_integer(n: &serde_json::Number, path: &str) -> Result<(), CredentialError> {
    let beyond = match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => u > MAX_SAFE_INTEGER,
        (None, Some(i)) => i.unsigned_abs() > MAX_SAFE_INTEGER,
        _ => false,
    };
    if beyond {
        return Err(refuse(format!(
            "{} is the integer {n}, beyond ±2^53: processors round it, so the signature \
             would not tell it from its neighbours (write it as a string)",
            at(path)
        )));
    }
    Ok(())
}

/// JSON-LD expansion drops values that stand alone in a graph, and RDF
/// conversion drops nodes that state nothing but their identifier.
fn check_graph_members(value: &Value, path: &str) -> Result<(), CredentialError> {
    let members = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    for member in members {
        let free_floating = match member {
            Value::Object(node) => {
                node.keys().all(|k| k == "id" || k == "@id") || node.contains_key("@value")
            }
            Value::Array(_) => false,
            _ => true,
        };
        if free_floating {
            return Err(refuse(format!(
                "{}: a graph member that is a bare value or a bare identifier is dropped by \
                 JSON-LD, so the signature would not cover it",
                at(path)
            )));
        }
    }
    Ok(())
}

/// `@context` must name published contexts by URL: an inline context could
/// map a term to nothing or redefine it, and contexts themselves are not
/// signed.
fn check_context_references(value: &Value, path: &str) -> Result<(), CredentialError> {
    let ok = match value {
        Value::String(_) => true,
        Value::Array(items) => items.iter().all(Value::is_string),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(refuse(format!(
            "{}: `@context` must list context URLs; inline context definitions are not \
             accepted (they are not covered by the signature)",
            at(path)
        )))
    }
}

/// Step 3: checks on the expanded document.
pub(crate) fn check_expanded(document: &ExpandedDocument) -> Result<(), CredentialError> {
    for object in document.iter() {
        check_top_level(object, "the document")?;
        check_object(object)?;
    }
    Ok(())
}

/// RDF conversion drops top-level values and lists, and nodes that state
/// nothing (JSON-LD's "free-floating" objects).
fn check_top_level(object: &IndexedObject, place: &str) -> Result<(), CredentialError> {
    match object.inner() {
        Object::Value(v) => Err(refuse(format!(
            "a value ({}) stands alone in {place}: RDF conversion drops it",
            value_text(v)
        ))),
        Object::List(_) => Err(refuse(format!(
            "a list stands alone in {place}: RDF conversion drops it"
        ))),
        Object::Node(node) => {
            let says_something = !node.properties().is_empty()
                || !node.types().is_empty()
                || node.graph().is_some()
                || node.included().is_some()
                || node.reverse_properties().is_some_and(|r| !r.is_empty());
            if says_something {
                Ok(())
            } else {
                Err(refuse(format!(
                    "a node with nothing but an identifier ({}) stands alone in {place}: RDF \
                     conversion drops it",
                    node.id
                        .as_ref()
                        .map(id_text)
                        .unwrap_or_else(|| "none".to_owned())
                )))
            }
        }
    }
}

fn check_object(object: &IndexedObject) -> Result<(), CredentialError> {
    if let Some(index) = object.index() {
        return Err(refuse(format!(
            "the index `{index}` (`@index`) does not reach the signed RDF"
        )));
    }
    match object.inner() {
        Object::Value(value) => check_value(value),
        // ssi 0.16's RDF conversion loses the items of lists (it writes the
        // `rdf:rest` chain without the `rdf:first` values), so their values
        // would not be signed.
        Object::List(_) => Err(refuse(
            "ordered lists (`@list`) are not supported: their items would not be signed".to_owned(),
        )),
        Object::Node(node) => check_node(node),
    }
}

fn check_node(node: &Node) -> Result<(), CredentialError> {
    if let Some(id) = &node.id {
        check_id(id, "node identifier")?;
    }
    for t in node.types() {
        check_id(t, "type")?;
    }
    for (property, objects) in node.properties() {
        check_id(property, "property")?;
        objects.iter().try_for_each(check_object)?;
    }
    if let Some(reverse) = node.reverse_properties() {
        for (property, nodes) in reverse.iter() {
            check_id(property, "reverse property")?;
            for n in nodes.iter() {
                if let Some(index) = n.index() {
                    return Err(refuse(format!(
                        "the index `{index}` (`@index`) does not reach the signed RDF"
                    )));
                }
                check_node(n.inner())?;
            }
        }
    }
    if let Some(graph) = node.graph() {
        for object in graph.iter() {
            check_top_level(object, "a graph")?;
            check_object(object)?;
        }
    }
    if let Some(included) = node.included() {
        for n in included.iter() {
            check_node(n.inner())?;
        }
    }
    Ok(())
}

fn check_value(value: &json_ld::Value) -> Result<(), CredentialError> {
    match value {
        json_ld::Value::Literal(json_ld::object::Literal::Null, _) => Err(refuse(
            "a null value does not reach the signed RDF".to_owned(),
        )),
        json_ld::Value::LangString(s) => {
            if let Some(language) = s.language()
                && !language.is_well_formed()
            {
                return Err(refuse(format!(
                    "`{}` is not a well-formed language tag (value {:?})",
                    language.as_str(),
                    s.as_str()
                )));
            }
            if s.direction().is_some() {
                return Err(refuse(format!(
                    "the base direction of {:?} (`@direction`) does not reach the signed RDF",
                    s.as_str()
                )));
            }
            Ok(())
        }
        json_ld::Value::Literal(..) | json_ld::Value::Json(_) => Ok(()),
    }
}

fn check_id(id: &json_ld::Id, what: &str) -> Result<(), CredentialError> {
    match id {
        json_ld::Id::Valid(json_ld::ValidId::Iri(_)) => Ok(()),
        json_ld::Id::Valid(json_ld::ValidId::Blank(b)) => Err(refuse(format!(
            "the {what} `{b}` is a blank node label: canonicalization renames blank nodes, so \
             the label is not signed (use an absolute IRI, or leave the identifier out)"
        ))),
        json_ld::Id::Invalid(text) => Err(refuse(format!(
            "the {what} `{text}` is not an absolute IRI, so it would become an unsigned blank \
             node: the context makes this value an IRI (`\"@type\": \"@id\"` or an `id`), \
             so it must be a URL, DID or URN"
        ))),
    }
}

fn id_text(id: &json_ld::Id) -> String {
    match id {
        json_ld::Id::Valid(json_ld::ValidId::Iri(i)) => i.as_str().to_owned(),
        json_ld::Id::Valid(json_ld::ValidId::Blank(b)) => b.as_str().to_owned(),
        json_ld::Id::Invalid(s) => s.clone(),
    }
}

fn value_text(value: &json_ld::Value) -> String {
    match value.as_str() {
        Some(s) => format!("{s:?}"),
        None => "a literal".to_owned(),
    }
}

/// Step 4: bounds the work of RDF canonicalization.
pub(crate) fn check_blank_nodes(quads: &[LexicalQuad]) -> Result<(), CredentialError> {
    use rdf_types::{Id as RdfId, Term};
    // The first-degree description of each blank node: its quads with
    // itself written `_:a` and every other blank node `_:z` (RDFC-1.0 §4.6).
    let mut descriptions: HashMap<&str, Vec<String>> = HashMap::new();
    for quad in quads {
        let mut blanks: Vec<&str> = Vec::new();
        if let RdfId::Blank(b) = &quad.0 {
            blanks.push(b.as_str());
        }
        if let Term::Id(RdfId::Blank(b)) = &quad.2 {
            blanks.push(b.as_str());
        }
        if let Some(RdfId::Blank(b)) = &quad.3 {
            blanks.push(b.as_str());
        }
        for &me in &blanks {
            let object = match &quad.2 {
                Term::Id(id) => id_description(id, me),
                Term::Literal(l) => l.rdf_display().to_string(),
            };
            let graph = quad.3.as_ref().map(|g| id_description(g, me));
            let line = format!(
                "{} {} {object} {}",
                id_description(&quad.0, me),
                quad.1.rdf_display(),
                graph.unwrap_or_default()
            );
            descriptions.entry(me).or_default().push(line);
        }
        if descriptions.len() > MAX_BLANK_NODES {
            return Err(refuse(format!(
                "the document has more than {MAX_BLANK_NODES} blank nodes"
            )));
        }
    }
    let mut counts: HashMap<Vec<String>, usize> = HashMap::new();
    for (_, mut lines) in descriptions {
        lines.sort_unstable();
        *counts.entry(lines).or_default() += 1;
    }
    let shared: usize = counts.values().filter(|&&n| n > 1).sum();
    if shared > MAX_SHARED_BLANK_NODE_HASHES {
        return Err(refuse(format!(
            "{shared} blank nodes of the document look alike (at most \
             {MAX_SHARED_BLANK_NODE_HASHES}): canonicalizing it would take too long"
        )));
    }
    Ok(())
}

/// An identifier in a first-degree description: `_:a` for the blank node
/// described, `_:z` for any other blank node.
fn id_description(id: &rdf_types::Id, me: &str) -> String {
    use rdf_types::Id as RdfId;
    match id {
        RdfId::Blank(b) if b.as_str() == me => "_:a".to_owned(),
        RdfId::Blank(_) => "_:z".to_owned(),
        RdfId::Iri(i) => i.rdf_display().to_string(),
    }
}
