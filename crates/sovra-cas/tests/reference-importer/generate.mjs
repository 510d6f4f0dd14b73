// Generates crates/sovra-cas/tests/vectors/unixfs/directories.json: directory CIDs made by the
// reference UnixFS importer (ipfs-unixfs-importer, the JavaScript importer of the IPFS project)
// for both import profiles, around the size at which each profile turns a directory into a HAMT
// shard. `node generate.mjs` prints the JSON; `node generate.mjs --check FILE` compares it with
// FILE and exits non-zero on any difference.
//
// Every case is a directory of small files; file i's bytes are `${i}\n`. The Rust test
// (tests/it/reference_directories.rs) builds the same trees on disk and imports them with Sovra.
import { importer } from 'ipfs-unixfs-importer'
import { MemoryBlockstore } from 'blockstore-core'
import { UnixFS } from 'ipfs-unixfs'
import * as dagPb from '@ipld/dag-pb'
import { readFileSync } from 'node:fs'

// Sovra's names for the two profiles and the importer options that give them.
// `unixfs-v0-2015` as `ipfs add --cid-version=1` uses it: CIDv1 and raw leaves.
const PROFILES = {
  'unixfs-v0-2015': { profile: 'unixfs-v0-2015', cidVersion: 1, rawLeaves: true },
  'unixfs-v1-2025': { profile: 'unixfs-v1-2025' }
}

const pad = (i) => String(i).padStart(5, '0')

/** The files of a case: [relative path, bytes], in path order. */
function files (spec) {
  const out = []
  for (const group of spec.groups) {
    for (let i = 0; i < group.count; i++) {
      const name = `${group.prefix}${pad(i)}${group.suffix}`
      out.push([group.dir ? `${group.dir}/${name}` : name, new TextEncoder().encode(`${i}\n`)])
    }
  }
  out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return out
}

async function importDir (spec, profile) {
  const blockstore = new MemoryBlockstore()
  const source = files(spec).map(([path, content]) => ({ path: `root/${path}`, content }))
  let root
  for await (const entry of importer(source, blockstore, PROFILES[profile])) {
    root = entry
  }
  const bytes = await collect(blockstore.get(root.cid))
  const node = dagPb.decode(bytes)
  const type = UnixFS.unmarshal(node.Data).type
  return { cid: root.cid.toString(), type, blockBytes: bytes.length }
}

async function collect (value) {
  value = await value
  if (value instanceof Uint8Array) return value
  const parts = []
  for await (const part of value) parts.push(part)
  return parts.length === 1 ? parts[0] : Buffer.concat(parts)
}

const flat = (n) => ({ groups: [{ prefix: 'f', suffix: '.txt', count: n }] })

/** The largest n for which `flat(n)` stays a flat directory under `profile`. */
async function largestFlat (profile, lo, hi) {
  while (lo + 1 < hi) {
    const mid = Math.floor((lo + hi) / 2)
    if ((await importDir(flat(mid), profile)).type === 'directory') lo = mid
    else hi = mid
  }
  return lo
}

const cases = []
const add = (name, spec, description) => cases.push({ name, description, ...spec })

add('5000-files', flat(5000),
  '5,000 files fNNNNN.txt: names and CIDs sum under 256 KiB, the flat block is over it')
const v1Edge = await largestFlat('unixfs-v1-2025', 1000, 5000)
add(`flat-${v1Edge}`, flat(v1Edge), 'the largest directory of this shape that unixfs-v1-2025 keeps flat')
add(`flat-${v1Edge + 1}`, flat(v1Edge + 1), 'one entry more: unixfs-v1-2025 shards it')
const legacyEdge = await largestFlat('unixfs-v0-2015', 5000, 7000)
add(`flat-${legacyEdge}`, flat(legacyEdge), 'the largest directory of this shape that unixfs-v0-2015 keeps flat')
add(`flat-${legacyEdge + 1}`, flat(legacyEdge + 1), 'one entry more: unixfs-v0-2015 shards it')
add('nested', {
  groups: [
    { dir: 'big', prefix: 'f', suffix: '.txt', count: 5000 },
    { dir: 'small', prefix: 'g', suffix: '.md', count: 3 },
    { prefix: 'top', suffix: '', count: 2 }
  ]
}, 'a directory holding a directory that only unixfs-v1-2025 shards, a small one and two files')
add('long-names', {
  groups: [{ prefix: 'x'.repeat(200) + '-', suffix: '', count: 1200 }]
}, '1,200 files with 206-byte names: both profiles shard it')

for (const c of cases) {
  c.cids = {}
  c.root_types = {}
  for (const profile of Object.keys(PROFILES)) {
    const r = await importDir(c, profile)
    c.cids[profile] = r.cid
    c.root_types[profile] = r.type
  }
}

const out = JSON.stringify({
  generator: 'crates/sovra-cas/tests/reference-importer/generate.mjs',
  importer: 'ipfs-unixfs-importer ' + JSON.parse(readFileSync(new URL('./node_modules/ipfs-unixfs-importer/package.json', import.meta.url))).version,
  file_bytes: 'file i holds the bytes of `${i}\\n` (decimal, then a newline); names are prefix + i zero-padded to 5 digits + suffix',
  cases
}, null, 2) + '\n'

const check = process.argv.indexOf('--check')
if (check >= 0) {
  const expected = readFileSync(process.argv[check + 1], 'utf8')
  if (expected !== out) {
    console.error('the reference importer now gives other directory CIDs than ' + process.argv[check + 1])
    console.error(out)
    process.exit(1)
  }
  console.log('reference importer agrees with ' + process.argv[check + 1])
} else {
  process.stdout.write(out)
}
