// Online filing in the browser, with a key only the applicant holds.
// The Ed25519 key lives in this browser's IndexedDB as a non-extractable WebCrypto key
// (generated here, then offered once as a PKCS#8 PEM file that `ipledger` reads, or imported
// from a file `ipledger keygen` wrote). Entries are built exactly as ledger/envelope.py
// make_envelope builds them: the RFC 8785 (JCS) canonical JSON of every field but "sig",
// signed with Ed25519; "actor" is the key's did:key URL (identity/didkey.py). They are
// submitted to POST /v1/entries; the server never sees the key.

import { jcs } from './verify-extract.js';

const enc = new TextEncoder();
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
// RFC 8410 OneAsymmetricKey v0 for Ed25519, followed by the 32-byte seed (identity/keyfile.py).
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03,
  0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
const ED25519_PUB = [0xed, 0x01]; // multicodec ed25519-pub as an unsigned varint
const DB = 'ipledger-filing';
const STORE = 'keys';

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export function base58btc(bytes) {
  let n = 0n;
  for (const b of bytes) n = n * 256n + BigInt(b);
  let out = '';
  while (n > 0n) { out = BASE58[Number(n % 58n)] + out; n /= 58n; }
  for (const b of bytes) { if (b !== 0) break; out = '1' + out; }
  return out;
}

export function b64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_')
    .replace(/=+$/, '');
}

export function fromB64url(text) {
  const std = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(std + '='.repeat((4 - (std.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

export function didKeyUrl(publicKey) {
  const mb = 'z' + base58btc(concat(Uint8Array.from(ED25519_PUB), publicKey));
  return `did:key:${mb}#${mb}`;
}

// registry/records.py party_id_for: "P" + the first 20 hex digits of SHA-256(DID), upper case.
export async function partyId(didUrl) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256',
    enc.encode(didUrl.split('#')[0])));
  return 'P' + [...digest.slice(0, 10)].map((b) => b.toString(16).padStart(2, '0')).join('')
    .toUpperCase();
}

// ledger/timefmt.py format_rfc3339_ms: UTC with milliseconds, e.g. 2026-09-21T14:13:20.000Z.
export function rfc3339ms(ms) { return new Date(ms).toISOString(); }

export function newNonce() { return b64url(crypto.getRandomValues(new Uint8Array(16))); }

// options.endorsements: [{actor, sig}] made over endorsementPayload of the same fields.
export async function makeEnvelope(key, ledger, type, body, options = {}) {
  const env = {
    v: 1, ledger, type, actor: key.didUrl, nonce: options.nonce ?? newNonce(),
    created: options.created ?? rfc3339ms(options.createdMs ?? Date.now()), body,
  };
  if (options.endorsements?.length) env.endorsements = options.endorsements;
  const sig = await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey, enc.encode(jcs(env)));
  return { ...env, sig: b64url(new Uint8Array(sig)) };
}

// ledger/envelope.py endorsement_payload: every field but sig, seq and endorsements.
export function endorsementPayload(draft) {
  const { sig, seq, endorsements, ...rest } = draft; // eslint-disable-line no-unused-vars
  return jcs(rest);
}

export async function endorse(key, draft) {
  const sig = await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey,
    enc.encode(endorsementPayload(draft)));
  return { actor: key.didUrl, sig: b64url(new Uint8Array(sig)) };
}

// A request to endorse travels in a link's fragment (never sent to any server): the
// base64url of the UTF-8 JCS of the draft envelope (no "sig").
export function requestLink(draft) {
  return `${window.location.origin}/endorse#r=${b64url(enc.encode(jcs(draft)))}`;
}

export function readRequest(fragment) {
  const m = /^#?r=([A-Za-z0-9_-]+)$/.exec(fragment.trim());
  if (!m) throw new Error('no request in this link');
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromB64url(m[1])));
}

export async function sha256Hex(text) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', enc.encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function pem(der) {
  const b64 = btoa(String.fromCharCode(...der));
  const lines = b64.match(/.{1,64}/g).join('\n');
  return `-----BEGIN PRIVATE KEY-----\n${lines}\n-----END PRIVATE KEY-----\n`;
}

function unpem(text) {
  const m = /^-----BEGIN PRIVATE KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END PRIVATE KEY-----\s*$/
    .exec(text.trim() + '\n');
  if (!m) throw new Error('not a PEM PRIVATE KEY');
  const der = Uint8Array.from(atob(m[1].replace(/\s/g, '')), (c) => c.charCodeAt(0));
  if (der.length !== 48 || !PKCS8_PREFIX.every((b, i) => der[i] === b)) {
    throw new Error('not an Ed25519 PKCS#8 (RFC 8410) private key');
  }
  return der;
}

// A key from a 32-byte seed: the non-extractable signing key, its public key and ids.
export async function keyFromSeed(seed) {
  const der = concat(PKCS8_PREFIX, seed);
  const probe = await crypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, true, ['sign']);
  const publicKey = fromB64url((await crypto.subtle.exportKey('jwk', probe)).x);
  const privateKey = await crypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, false,
    ['sign']);
  const didUrl = didKeyUrl(publicKey);
  return { privateKey, publicKey, didUrl, party: await partyId(didUrl) };
}

function database() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function store(action, value) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, action === 'get' ? 'readonly' : 'readwrite');
    const os = tx.objectStore(STORE);
    const request = action === 'get' ? os.get('applicant')
      : action === 'put' ? os.put(value, 'applicant') : os.delete('applicant');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export async function loadKey() {
  const saved = await store('get');
  return saved ? { ...saved, publicKey: new Uint8Array(saved.publicKey) } : null;
}

export async function saveKey(key) { await store('put', key); }

// A progress list: say(text, state) appends one step, its state for the styles.
export function sayer(list) {
  return (text, state) => {
    const li = document.createElement('li');
    li.textContent = text;
    li.dataset.state = state;
    list.append(li);
  };
}

export async function generateSeed() { return crypto.getRandomValues(new Uint8Array(32)); }

// --- the key panel -------------------------------------------------------------------------

function fillParty(key) {
  for (const input of document.querySelectorAll('[name=applicant], [data-party-input], #f-party')) {
    if (!input.value) input.value = key.party;
  }
}

function show(panel, key, message) {
  panel.querySelector('[data-key-status]').textContent = message;
  const ids = panel.querySelector('[data-key-ids]');
  ids.hidden = !key;
  if (key) {
    panel.querySelector('[data-key-did]').textContent = key.didUrl.split('#')[0];
    panel.querySelector('[data-key-party]').textContent = key.party;
    fillParty(key);
  }
}

async function setUpPanel(panel) {
  const d = panel.dataset;
  // The buttons work from the start: reading the saved key (IndexedDB) can take a while,
  // and a key made or imported meanwhile is the one to show.
  let changed = false;
  const showNew = (key, message) => { changed = true; show(panel, key, message); };
  panel.querySelector('[data-key-generate]').addEventListener('click', async () => {
    const seed = await generateSeed();
    const fresh = await keyFromSeed(seed);
    await saveKey(fresh);
    const link = panel.querySelector('[data-key-download] a');
    link.href = URL.createObjectURL(new Blob([pem(concat(PKCS8_PREFIX, seed))],
      { type: 'application/x-pem-file' }));
    panel.querySelector('[data-key-download]').hidden = false;
    showNew(fresh, d.msgSaved);
  });
  panel.querySelector('[data-key-import]').addEventListener('change', async (event) => {
    try {
      const der = unpem(await event.target.files[0].text());
      const imported = await keyFromSeed(der.slice(16));
      await saveKey(imported);
      showNew(imported, d.msgSaved);
    } catch (e) {
      showNew(null, `${d.msgBad} ${e.message}`);
    }
  });
  panel.querySelector('[data-key-forget]').addEventListener('click', async () => {
    await store('delete');
    panel.querySelector('[data-key-download]').hidden = true;
    showNew(null, d.msgNone);
  });
  const key = await loadKey();
  if (!changed) show(panel, key, key ? d.msgSaved : d.msgNone);
}

// --- live fee quote on the filing form ----------------------------------------------------

function classCount(form) {
  const goods = form.querySelector('[name=goods]');
  if (!goods) return 1;
  const classes = new Set(goods.value.split('\n').map((l) => /^\s*(\d{1,2})\s*:/.exec(l))
    .filter(Boolean).map((m) => Number(m[1])));
  return Math.max(1, classes.size);
}

// The page's language's separators (data-decimal, data-group, data-group-from on the fee
// table), as web/i18n.py's Catalogue.money writes them.
function money(amount, exponent, currency, { decimal = '.', group = ',', groupFrom = '4' } = {}) {
  const unit = 10 ** exponent;
  let whole = String(Math.floor(amount / unit));
  if (whole.length >= Number(groupFrom)) whole = whole.replace(/\B(?=(\d{3})+$)/g, group);
  const fraction = exponent ? decimal + String(amount % unit).padStart(exponent, '0') : '';
  return `${whole}${fraction} ${currency}`;
}

async function updateFee(form) {
  const box = form.querySelector('[data-fee-box]');
  const table = box.querySelector('[data-fee-table]');
  const office = form.querySelector('[name=office]').value;
  const response = await fetch('/v1/fees/quote', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ office, kind: form.dataset.kind, classes: classCount(form) }),
  });
  if (!response.ok || !table) return;
  const quote = await response.json();
  const labels = JSON.parse(box.dataset.feeLabels || '{}');
  table.tBodies[0].replaceChildren(...quote.lines.map((line) => {
    const row = document.createElement('tr');
    row.dataset.fee = line.fee;
    for (const text of [labels[line.fee] || line.fee.replace(/_/g, ' '), String(line.count),
      money(line.amount, quote.exponent, quote.currency, table.dataset)]) {
      row.insertCell().textContent = text;
    }
    return row;
  }));
  const total = table.querySelector('#fee-total');
  total.textContent = money(quote.total, quote.exponent, quote.currency, table.dataset);
  total.dataset.total = String(quote.total);
}

// --- signing and submitting the planned entries -------------------------------------------

async function filedNumber(party, index) {
  const response = await fetch(`/v1/parties/${party}/filings`);
  const filing = (await response.json()).filings.find((f) => f.filed_index === index);
  if (!filing) throw new Error(`no filing recorded by entry ${index}`);
  return filing.number;
}

async function signAll(box) {
  const d = box.dataset;
  const list = box.querySelector('[data-sign-steps]');
  const say = (text, state) => {
    const li = document.createElement('li');
    li.textContent = text;
    li.dataset.state = state;
    list.append(li);
  };
  const key = await loadKey();
  if (!key) { say(d.msgNoKey, 'fail'); return; }
  if (key.party !== d.party) { say(`${d.msgWrongKey} ${key.party}`, 'fail'); return; }
  box.querySelector('[data-sign-submit]').disabled = true;
  const plan = JSON.parse(document.getElementById('filing-plan').textContent);
  let last = null;
  for (const step of plan) {
    if (step.endorser) { await askEndorsement(box, key, step); return; }
    try {
      const body = step.needs_number
        ? { ...step.body, number: await filedNumber(d.party, last) } : step.body;
      const envelope = await makeEnvelope(key, d.origin, step.type, body);
      const response = await fetch('/v1/entries', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: jcs(envelope),
      });
      const answer = await response.json();
      if (!response.ok) {
        say(`${step.type}: ${d.msgRefused} ${answer.detail} (${answer.pointer || ''})`, 'fail');
        box.querySelector('[data-sign-submit]').disabled = false;
        return;
      }
      last = answer.index;
      say(`${step.type}: ${d.msgRecorded} ${answer.index}`, 'pass');
    } catch (e) {
      say(`${step.type}: ${d.msgRefused} ${e.message}`, 'fail');
      return;
    }
  }
  say(d.msgDone, 'pass');
  box.querySelector('[data-sign-done]').hidden = false;
}

// An entry another party must endorse (a transfer, a licence): not signed yet, since the
// actor's signature covers the endorsements; the draft goes to that party as a link.
async function askEndorsement(box, key, step) {
  const draft = { v: 1, ledger: box.dataset.origin, type: step.type, actor: key.didUrl,
    body: step.body };
  const out = box.querySelector('[data-endorse-request]');
  out.querySelector('[data-endorse-link]').value = requestLink(draft);
  out.querySelector('[data-endorse-hash]').textContent = await sha256Hex(jcs(step.body));
  out.hidden = false;
}

for (const panel of document.querySelectorAll('[data-key-panel]')) setUpPanel(panel);
if (!document.querySelector('[data-key-panel]')) loadKey().then((key) => key && fillParty(key));
for (const form of document.querySelectorAll('[data-filing-form]')) {
  for (const name of ['office', 'goods']) {
    form.querySelector(`[name=${name}]`)?.addEventListener('change', () => updateFee(form));
  }
}
for (const box of document.querySelectorAll('[data-sign]')) {
  box.querySelector('[data-sign-submit]').addEventListener('click', () => signAll(box));
}
