// Independent-implementation check of Sovra's Data Integrity proofs, with
// digitalbazaar's reference JavaScript libraries (@digitalbazaar/vc,
// jsonld-signatures in safe mode, the eddsa-rdfc-2022 and eddsa-jcs-2022
// cryptosuites). Run by crates/sovra-credentials/tests/it/interop.rs.
//
// Reads one JSON request on standard input and writes one JSON answer:
//
//   {"action": "verify", "suite": "eddsa-rdfc-2022" | "eddsa-jcs-2022",
//    "credential": {...}, "now": "<RFC 3339>",
//    "contexts": {"<context URL>": "<path of the context file>"},
//    "keys": [{"id": "<verification method>", "controller": "<DID>",
//              "publicKeyMultibase": "z6Mk..."}]}
//   -> {"verified": true} or {"verified": false, "error": "..."}
//
//   {"action": "sign", "suite": ..., "credential": {...unsigned...},
//    "contexts": {...}, "controller": "<DID>", "now": "<RFC 3339>"}
//   -> {"signed": {...}, "verificationMethod": "...", "publicKeyMultibase": "z6Mk..."}
//
// Contexts are loaded offline only: the W3C contexts from digitalbazaar's
// context packages, Sovra's from the files the request names (the same
// bytes Sovra's verifier loads and every node serves), and a controller
// document and a Multikey document for each key.

import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {cryptosuite as rdfcSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {
  createSignCryptosuite as jcsSign,
  createVerifyCryptosuite as jcsVerify
} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import multikeyContext from '@digitalbazaar/multikey-context';
import {JsonLdDocumentLoader} from 'jsonld-document-loader';

// Controller documents name this context first, so jsonld-signatures reads
// their `assertionMethod` directly (it never needs to load it).
const DID_V1 = 'https://www.w3.org/ns/did/v1';

function documentLoader(request, extra) {
  const loader = new JsonLdDocumentLoader();
  for(const [url, context] of credentialsContexts) {
    loader.addStatic(url, context);
  }
  for(const [url, context] of dataIntegrityContext.contexts) {
    loader.addStatic(url, context);
  }
  for(const [url, context] of multikeyContext.contexts) {
    loader.addStatic(url, context);
  }
  for(const [url, path] of Object.entries(request.contexts || {})) {
    loader.addStatic(url, JSON.parse(readFileSync(path, 'utf8')));
  }
  for(const [url, document] of Object.entries(extra)) {
    loader.addStatic(url, document);
  }
  return loader.build();
}

function keyDocuments(keys) {
  const documents = {};
  for(const key of keys) {
    documents[key.id] = {
      '@context': multikeyContext.CONTEXT_URL,
      id: key.id,
      type: 'Multikey',
      controller: key.controller,
      publicKeyMultibase: key.publicKeyMultibase
    };
    const controller = documents[key.controller] ||
      {'@context': DID_V1, id: key.controller, assertionMethod: []};
    controller.assertionMethod.push(key.id);
    documents[key.controller] = controller;
  }
  return documents;
}

async function verify(request) {
  const cryptosuite = request.suite === 'eddsa-jcs-2022' ?
    jcsVerify() : rdfcSuite;
  const result = await vc.verifyCredential({
    credential: request.credential,
    suite: new DataIntegrityProof({cryptosuite}),
    documentLoader: documentLoader(request, keyDocuments(request.keys)),
    now: new Date(request.now),
    // Sovra's status lists are checked by Sovra against the ledger; the
    // reference implementation checks the proof.
    checkStatus: async () => ({verified: true})
  });
  if(result.verified) {
    return {verified: true};
  }
  const errors = [];
  const collect = e => {
    if(!e) {
      return;
    }
    if(Array.isArray(e.errors)) {
      e.errors.forEach(collect);
    }
    errors.push(`${e.name}: ${e.message}` +
      (e.details ? ` ${JSON.stringify(e.details)}` : ''));
  };
  collect(result.error);
  for(const r of result.results || []) {
    collect(r.error);
  }
  return {verified: false, error: errors.join(' | ') || 'not verified'};
}

async function sign(request) {
  const key = await Ed25519Multikey.generate({controller: request.controller});
  key.id = `${request.controller}#${key.publicKeyMultibase}`;
  const cryptosuite = request.suite === 'eddsa-jcs-2022' ?
    jcsSign() : rdfcSuite;
  const suite = new DataIntegrityProof({
    signer: key.signer(), cryptosuite, date: request.now
  });
  const publicKey = {
    id: key.id, controller: request.controller,
    publicKeyMultibase: key.publicKeyMultibase
  };
  const signed = await vc.issue({
    credential: request.credential,
    suite,
    documentLoader: documentLoader(request, keyDocuments([publicKey])),
    now: new Date(request.now)
  });
  return {
    signed,
    verificationMethod: key.id,
    publicKeyMultibase: key.publicKeyMultibase
  };
}

const request = JSON.parse(readFileSync(0, 'utf8'));
const answer = request.action === 'sign' ? await sign(request) :
  await verify(request);
process.stdout.write(JSON.stringify(answer));
