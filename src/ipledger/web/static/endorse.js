// A second signature in the browser. The request (a draft envelope without "sig") arrives in
// the link's fragment, which browsers never send to a server; this page shows what it says
// (from the canonical body, with its SHA-256), and then either
// - the other party endorses it with their key (ledger/envelope.py endorsement_payload) and
//   gets a link back to the actor, or
// - the actor, once every endorsement is in, signs the whole envelope (the actor's signature
//   covers the endorsements, so the actor signs last) and submits it.
// Keys, envelopes and JCS come from filing.js (one implementation).

import {
  endorse, loadKey, makeEnvelope, newNonce, partyId, readRequest, requestLink, rfc3339ms,
  sayer, sha256Hex,
} from './filing.js';
import { jcs } from './verify-extract.js';

function checkDraft(draft, origin) {
  const ok = draft && typeof draft === 'object' && draft.v === 1 && typeof draft.type === 'string'
    && typeof draft.actor === 'string' && draft.body && typeof draft.body === 'object'
    && !Array.isArray(draft.body) && !('sig' in draft);
  if (!ok) throw new Error('not a request to endorse');
  return draft.ledger === origin;
}

async function show(box, draft) {
  const q = (sel) => box.querySelector(sel);
  q('[data-request-type]').textContent = draft.type;
  const { office, kind, number } = draft.body;
  const right = q('[data-request-right]');
  right.textContent = [office, kind, number].join(' ');
  right.href = `/rights/${encodeURIComponent(office)}/${encodeURIComponent(kind)}/`
    + encodeURIComponent(number);
  q('[data-request-actor]').textContent = await partyId(draft.actor);
  const endorsers = await Promise.all((draft.endorsements || []).map((e) => partyId(e.actor)));
  if (endorsers.length) q('[data-request-endorsers]').textContent = endorsers.join(', ');
  const table = q('[data-request-body]');
  const labels = JSON.parse(table.dataset.fieldLabels || '{}');
  table.tBodies[0].replaceChildren(...Object.keys(draft.body).sort().map((name) => {
    const row = document.createElement('tr');
    row.dataset.field = name;
    const value = draft.body[name];
    const head = document.createElement('th');
    head.scope = 'row';
    // The field's name as signed, after its label in the page's language when it has one.
    const code = document.createElement('code');
    code.textContent = name;
    if (labels[name]) head.append(`${labels[name]} `);
    head.append(code);
    row.append(head);
    row.insertCell().textContent = typeof value === 'string' ? value : JSON.stringify(value);
    return row;
  }));
  const canonical = jcs(draft.body);
  q('[data-request-canonical]').textContent = canonical;
  q('[data-request-hash]').textContent = await sha256Hex(canonical);
  q('[data-request]').hidden = false;
}

async function endorseRequest(box, draft, say) {
  const d = box.dataset;
  const key = await loadKey();
  if (!key) { say(d.msgNoKey, 'fail'); return; }
  if (key.didUrl === draft.actor) { say(d.msgActorFirst, 'fail'); return; }
  // The first endorser fixes nonce and created: the replay window runs from here.
  const fixed = { ...draft, nonce: draft.nonce ?? newNonce(),
    created: draft.created ?? rfc3339ms(Date.now()) };
  delete fixed.endorsements;
  const mine = await endorse(key, fixed);
  const endorsements = [...(draft.endorsements || []).filter((e) => e.actor !== key.didUrl),
    mine];
  box.querySelector('[data-return-link]').value = requestLink({ ...fixed, endorsements });
  box.querySelector('[data-endorse-return]').hidden = false;
  box.querySelector('[data-endorse-button]').disabled = true;
  say(`${d.msgEndorsed} ${key.party}`, 'pass');
}

async function signAndSubmit(box, draft, say) {
  const d = box.dataset;
  const key = await loadKey();
  if (!key) { say(d.msgNoKey, 'fail'); return; }
  if (key.didUrl !== draft.actor) { say(`${d.msgWrongKey} ${key.party}`, 'fail'); return; }
  const button = box.querySelector('[data-final-button]');
  button.disabled = true;
  const envelope = await makeEnvelope(key, draft.ledger, draft.type, draft.body, {
    nonce: draft.nonce, created: draft.created, endorsements: draft.endorsements });
  const response = await fetch('/v1/entries', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: jcs(envelope),
  });
  const answer = await response.json();
  if (!response.ok) {
    say(`${draft.type}: ${d.msgRefused} ${answer.detail} (${answer.pointer || ''})`, 'fail');
    button.disabled = false;
    return;
  }
  say(`${draft.type}: ${d.msgRecorded} ${answer.index}`, 'pass');
}

// A party new to the register registers first (party.register), signed with this key.
async function registerParty(form) {
  const d = form.dataset;
  const say = sayer(form.querySelector('[data-party-steps]'));
  const key = await loadKey();
  if (!key) { say(d.msgNoKey, 'fail'); return; }
  const body = { name: form.elements.name.value.trim(),
    country: form.elements.country.value.trim().toUpperCase(), kind: form.elements.kind.value };
  const envelope = await makeEnvelope(key, d.origin, 'party.register', body);
  const response = await fetch('/v1/entries', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: jcs(envelope),
  });
  const answer = await response.json();
  say(response.ok ? `party.register: ${d.msgRecorded} ${answer.index}`
    : `party.register: ${d.msgRefused} ${answer.detail} (${answer.pointer || ''})`,
  response.ok ? 'pass' : 'fail');
}

async function setUp(box) {
  const error = box.querySelector('[data-request-error]');
  let draft;
  try {
    draft = readRequest(window.location.hash);
    if (!checkDraft(draft, box.dataset.origin)) {
      error.textContent = `${box.dataset.msgOtherLedger} ${draft.ledger}`;
      error.hidden = false;
      return;
    }
  } catch (e) {
    error.textContent = `${box.dataset.msgNoRequest} (${e.message})`;
    error.hidden = false;
    return;
  }
  // The language links keep the request.
  for (const link of document.querySelectorAll('a[hreflang]')) link.hash = window.location.hash;
  await show(box, draft);
  const say = sayer(box.querySelector('[data-endorse-steps]'));
  const endorseButton = box.querySelector('[data-endorse-button]');
  const finalButton = box.querySelector('[data-final-button]');
  // Offer each party its own step (a key made or imported later is checked on the click).
  const key = await loadKey();
  const isActor = key?.didUrl === draft.actor;
  endorseButton.hidden = isActor;
  finalButton.hidden = !draft.endorsements?.length || (key !== null && !isActor);
  if (isActor && !draft.endorsements?.length) say(box.dataset.msgActorFirst, 'wait');
  endorseButton.addEventListener('click', () => endorseRequest(box, draft, say));
  finalButton.addEventListener('click', () => signAndSubmit(box, draft, say));
}

for (const form of document.querySelectorAll('[data-party-form]')) {
  form.addEventListener('submit', (event) => { event.preventDefault(); registerParty(form); });
}
for (const box of document.querySelectorAll('[data-endorse]')) setUp(box);
// Another request opened in the same tab changes only the fragment: start afresh.
window.addEventListener('hashchange', () => window.location.reload());
