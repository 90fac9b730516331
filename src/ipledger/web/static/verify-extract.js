// Verifies an ipledger register extract (ipledger-extract/1) in the browser with WebCrypto,
// as registry/extract.py verify_extract does offline: the C2SP signed-note Ed25519 signature
// of the checkpoint by the office key, the sparse-Merkle state proof of the record under the
// state root the checkpoint commits to (with the related records it relies on, e.g. the
// priority deposits its claims reference), and every history entry's RFC 6962 inclusion proof
// to the checkpoint's root hash (with the entry's own Ed25519 signatures).
// The page gives the extract URL, the verifier key and the texts (in its language) as
// data-* attributes of the element [data-verify-extract].

const enc = new TextEncoder();
const EXTRACT_FORMAT = 'ipledger-extract/1';
const RECEIPT_FORMAT = 'ipledger-receipt/1';
const STATE_ROOT_EXTENSION = 'ipledger-state-root ';
const SIG_PREFIX = '\u2014 ';

export class VerifyError extends Error {
  constructor(step, detail) { super(`${step}: ${detail}`); this.step = step; }
}

function fail(step, detail) { throw new VerifyError(step, detail); }

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

async function sha256(...parts) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', concat(...parts)));
}

// Standard base64 with padding, canonical (re-encoding gives the same text) or an error.
export function b64(text, step) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) {
    fail(step, 'not standard base64');
  }
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  if (btoa(String.fromCharCode(...bytes)) !== text) fail(step, 'not canonical base64');
  return bytes;
}

function b64url(text, step) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text)) fail(step, 'not base64url');
  const std = text.replace(/-/g, '+').replace(/_/g, '/');
  return b64(std + '='.repeat((4 - (std.length % 4)) % 4), step);
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58(text, step) {
  let n = 0n;
  for (const c of text) {
    const v = BASE58.indexOf(c);
    if (v < 0) fail(step, 'not base58btc');
    n = n * 58n + BigInt(v);
  }
  const bytes = [];
  while (n > 0n) { bytes.unshift(Number(n % 256n)); n /= 256n; }
  for (const c of text) { if (c !== '1') break; bytes.unshift(0); }
  return new Uint8Array(bytes);
}

// RFC 8785 (JCS): ECMAScript number and string serialisation, keys sorted by UTF-16 units.
export function jcs(value) {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail('format', 'a number is not finite');
    return JSON.stringify(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return '[' + value.map(jcs).join(',') + ']';
  if (typeof value === 'object') {
    return '{' + Object.keys(value).sort().map((k) => JSON.stringify(k) + ':' + jcs(value[k]))
      .join(',') + '}';
  }
  return fail('format', `cannot canonicalise a ${typeof value}`);
}

async function ed25519(publicKey, message, signature) {
  const key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false,
    ['verify']);
  return crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
}

// A signed-note verifier key: <name>+<8 hex key id>+<base64(0x01 || public key)>.
export async function parseVerifierKey(vkey) {
  const [name, hex, material] = [vkey.split('+')[0], vkey.split('+')[1],
    vkey.split('+').slice(2).join('+')];
  const raw = b64(material || '', 'verifier-key');
  if (!name || !/^[0-9a-f]{8}$/.test(hex || '') || raw.length !== 33 || raw[0] !== 1) {
    fail('verifier-key', 'not an Ed25519 signed-note verifier key');
  }
  const publicKey = raw.slice(1);
  const id = (await sha256(enc.encode(name), Uint8Array.of(0x0a, 0x01), publicKey)).slice(0, 4);
  if ([...id].map((b) => b.toString(16).padStart(2, '0')).join('') !== hex) {
    fail('verifier-key', 'key id does not match the name and key');
  }
  return { name, id, publicKey };
}

// C2SP signed note: every signature line by the known key must verify, and one must exist.
async function openNote(note, key, step) {
  if (typeof note !== 'string') fail(step, 'the checkpoint is not a string');
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) fail(step, 'malformed note');
  const text = note.slice(0, split + 1);
  let verified = 0;
  for (const line of note.slice(split + 2, -1).split('\n')) {
    if (!line.startsWith(SIG_PREFIX)) fail(step, 'malformed signature line');
    const [name, sig] = line.slice(SIG_PREFIX.length).split(' ');
    const raw = b64(sig || '', step);
    if (name !== key.name || !equal(raw.slice(0, 4), key.id)) continue;
    if (!(await ed25519(key.publicKey, enc.encode(text), raw.slice(4)))) {
      fail(step, 'the office signature does not verify');
    }
    verified += 1;
  }
  if (!verified) fail(step, 'no signature by the office key');
  return text;
}

export function parseCheckpoint(text) {
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3 || !/^(0|[1-9][0-9]*)$/.test(lines[1])) {
    fail('checkpoint-format', 'not a tlog checkpoint');
  }
  const root = b64(lines[2], 'checkpoint-format');
  if (root.length !== 32) fail('checkpoint-format', 'root hash is not 32 bytes');
  return { origin: lines[0], size: Number(lines[1]), root, extensions: lines.slice(3) };
}

// RFC 9162 section 2.1.3.2: verify an inclusion proof.
export async function verifyInclusion(leaf, index, size, proof, root) {
  if (!(index >= 0 && index < size)) fail('inclusion-proof', 'index out of range');
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) fail('inclusion-proof', 'proof too long');
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(Uint8Array.of(1), p, r);
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await sha256(Uint8Array.of(1), r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0 || !equal(r, root)) fail('inclusion-proof', 'does not lead to the root hash');
}

// The register's sparse Merkle tree (registry/smt.py, version 1).
const SMT_LEAF = enc.encode('ipledger/smt/v1/leaf');
const SMT_NODE = enc.encode('ipledger/smt/v1/node');

function bit(key, i) { return (key[i >> 3] >> (7 - (i & 7))) & 1; }

export async function verifyStateProof(root, key, valueHash, proof) {
  const step = 'state-proof';
  if (!proof || typeof proof !== 'object' || !Array.isArray(proof.siblings)
      || proof.siblings.length > 256 || Object.keys(proof).sort().join() !== 'leaf,siblings') {
    fail(step, 'malformed state proof');
  }
  const empty = await sha256(enc.encode('ipledger/smt/v1/empty'));
  const siblings = proof.siblings.map((s) => (s === null ? empty : b64(s, step)));
  const m = siblings.length;
  if (siblings.some((s) => s.length !== 32)) fail(step, 'a sibling is not 32 bytes');
  if (m && proof.siblings[m - 1] === null) fail(step, 'proof is not minimal');
  const leaf = proof.leaf === null ? null
    : { key: b64(proof.leaf.key, step), value: b64(proof.leaf.value_hash, step) };
  let h;
  if (valueHash !== null) {
    if (!leaf || !equal(leaf.key, key) || !equal(leaf.value, valueHash)) {
      fail(step, 'the proof is not for this record as shown');
    }
    h = await sha256(SMT_LEAF, key, valueHash);
  } else if (leaf === null) {
    h = empty;
  } else {
    if (equal(leaf.key, key)) fail(step, 'the record exists');
    for (let i = 0; i < m; i += 1) {
      if (bit(leaf.key, i) !== bit(key, i)) fail(step, 'leaf is off the key path');
    }
    h = await sha256(SMT_LEAF, leaf.key, leaf.value);
  }
  for (let i = m - 1; i >= 0; i -= 1) {
    h = bit(key, i) ? await sha256(SMT_NODE, siblings[i], h)
      : await sha256(SMT_NODE, h, siblings[i]);
  }
  if (!equal(h, root)) fail(step, 'does not lead to the state root');
}

async function verifyRecord(stateRoot, recordId, record, proof, step) {
  const valueHash = record === null ? null : await sha256(enc.encode(jcs(record)));
  await verifyStateProof(stateRoot, await sha256(enc.encode(recordId)), valueHash, proof)
    .catch((e) => fail(step, `${recordId}: ${e.message}`));
}

// The priority deposits a right's claims reference: record id -> the SHA-256 referenced.
function depositReferences(record) {
  const refs = new Map();
  for (const claim of (record && record.priority_claims) || []) {
    if (claim.deposit) {
      refs.set(`priority/${claim.deposit.office}/${claim.deposit.number}`, claim.deposit.sha256);
    }
  }
  return refs;
}

// Records the record relies on, each proven under the same state root; every referenced
// deposit among them, holding the document the claim names.
async function verifyRelated(stateRoot, items, deposits) {
  if (!Array.isArray(items) || !items.every((i) => i && typeof i.record_id === 'string'
      && (i.record === null || (typeof i.record === 'object' && !Array.isArray(i.record))))) {
    fail('format', 'related must be a list of {record_id, record, state_proof}');
  }
  const related = new Map();
  for (const item of items) {
    await verifyRecord(stateRoot, item.record_id, item.record, item.state_proof, 'related');
    related.set(item.record_id, item.record);
  }
  for (const [recordId, digest] of deposits) {
    const deposit = related.get(recordId);
    if (!deposit || deposit.sha256 !== digest) {
      fail('related', `the referenced deposit ${recordId} is not proven to hold ${digest}`);
    }
  }
}

function actorKey(actor, step) {
  const [did, fragment] = String(actor).split('#');
  const id = did.startsWith('did:key:z') ? did.slice('did:key:'.length) : '';
  if (!id || fragment !== id) fail(step, 'the actor is not a did:key key');
  const raw = base58(id.slice(1), step);
  if (raw.length !== 34 || raw[0] !== 0xed || raw[1] !== 0x01) fail(step, 'not an Ed25519 did:key');
  return raw.slice(2);
}

function without(obj, names) {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !names.includes(k)));
}

async function verifyEntrySignatures(entry, step) {
  if (entry.actor === 'ledger' && String(entry.type).startsWith('system.')) return;
  const payload = enc.encode(jcs(without(entry, ['sig', 'seq'])));
  if (!(await ed25519(actorKey(entry.actor, step), payload, b64url(entry.sig, step)))) {
    fail(step, "the actor's signature does not verify");
  }
  const endorsements = entry.endorsements || [];
  const endorsed = enc.encode(jcs(without(entry, ['sig', 'seq', 'endorsements'])));
  for (const e of endorsements) {
    if (!(await ed25519(actorKey(e.actor, step), endorsed, b64url(e.sig, step)))) {
      fail(step, 'an endorsement does not verify');
    }
  }
}

// Every check of verify_extract; returns the steps passed, throws VerifyError at the first
// failure (its .step names it, .passed lists the steps that held before).
export async function verifyExtract(doc, vkey) {
  const passed = [];
  try {
    if (!doc || doc.format !== EXTRACT_FORMAT || typeof doc.record_id !== 'string'
        || !(doc.record === null || (typeof doc.record === 'object' && !Array.isArray(doc.record)))) {
      fail('format', `not an ${EXTRACT_FORMAT} document`);
    }
    const key = await parseVerifierKey(vkey);
    const text = await openNote(doc.checkpoint, key, 'checkpoint-signature');
    const checkpoint = parseCheckpoint(text);
    if (checkpoint.size !== doc.tree_size) fail('checkpoint-size', 'tree_size differs');
    passed.push('checkpoint-signature');
    const ext = checkpoint.extensions.find((e) => e.startsWith(STATE_ROOT_EXTENSION));
    if (!ext) fail('state-root', 'the checkpoint commits to no state root');
    const stateRoot = b64(ext.slice(STATE_ROOT_EXTENSION.length), 'state-root');
    await verifyRecord(stateRoot, doc.record_id, doc.record, doc.state_proof, 'state-proof');
    await verifyRelated(stateRoot, doc.related || [], depositReferences(doc.record));
    passed.push('state-proof');
    const history = doc.history || [];
    if (!Array.isArray(history)) fail('format', 'history must be a list');
    for (const [i, receipt] of history.entries()) {
      const step = 'history';
      if (receipt.format !== RECEIPT_FORMAT || receipt.checkpoint !== doc.checkpoint
          || receipt.tree_size !== doc.tree_size) {
        fail(step, `entry ${i} is not proven against the extract's checkpoint`);
      }
      const entry = receipt.entry;
      if (!entry || entry.ledger !== checkpoint.origin || !entry.seq
          || entry.seq.index !== receipt.index || !Array.isArray(receipt.inclusion_proof)) {
        fail(step, `entry ${i} is not bound to this ledger and index`);
      }
      const leaf = await sha256(Uint8Array.of(0), enc.encode(jcs(entry)));
      await verifyInclusion(leaf, receipt.index, receipt.tree_size,
        receipt.inclusion_proof.map((p) => b64(p, step)), checkpoint.root)
        .catch((e) => fail(step, `entry ${i}: ${e.message}`));
      await verifyEntrySignatures(entry, 'entry-signatures');
    }
    passed.push('history', 'entry-signatures');
    return { passed, checkpoint, history: history.length };
  } catch (e) {
    const err = e instanceof VerifyError ? e : new VerifyError('format', String(e));
    err.passed = passed;
    throw err;
  }
}

const STEPS = ['checkpoint-signature', 'state-proof', 'history', 'entry-signatures'];

const SHOWN_AS = { 'verifier-key': 'checkpoint-signature', 'checkpoint-format':
  'checkpoint-signature', 'checkpoint-size': 'checkpoint-signature', 'state-root': 'state-proof',
related: 'state-proof', format: 'checkpoint-signature' };

function render(box, passed, failed) {
  const d = box.dataset;
  const failedStep = failed === null ? null : (SHOWN_AS[failed] || failed);
  const ok = failedStep === null;
  const badge = box.querySelector('[data-badge]');
  badge.textContent = ok ? d.msgVerified : d.msgNotVerified;
  badge.className = ok ? 'badge badge-ok' : 'badge badge-bad';
  box.dataset.result = ok ? 'verified' : 'not-verified';
  const list = box.querySelector('[data-checks]');
  list.replaceChildren(...STEPS.map((step) => {
    const li = document.createElement('li');
    const state = passed.includes(step) ? 'pass' : (step === failedStep ? 'fail' : 'skip');
    li.dataset.step = step;
    li.dataset.state = state;
    li.textContent = `${d[`msgStatus${state[0].toUpperCase()}${state.slice(1)}`]}: `
      + d[`msgStep${step.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join('')}`];
    return li;
  }));
}

async function run(box) {
  try {
    const response = await fetch(box.dataset.extract, { headers: { Accept: 'application/json' } });
    if (!response.ok) fail('format', `HTTP ${response.status}`);
    const result = await verifyExtract(await response.json(), box.dataset.vkey);
    render(box, result.passed, null);
  } catch (e) {
    render(box, e.passed || [], e.step || 'format');
  }
}

for (const box of document.querySelectorAll('[data-verify-extract]')) run(box);
