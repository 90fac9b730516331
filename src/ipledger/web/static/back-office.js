// The back office in the browser: sign in by signing the node's challenge (api/auth.py), and
// sign each decision as an entry with the staff member's key. Keys, envelopes and base64url
// come from filing.js (one implementation of ledger/envelope.py in JS), JCS from
// verify-extract.js; the key never leaves the browser.

import { b64url, loadKey, makeEnvelope, sayer } from './filing.js';
import { jcs } from './verify-extract.js';

const enc = new TextEncoder();

async function signIn(box) {
  const d = box.dataset;
  const status = box.querySelector('[data-signin-status]');
  const key = await loadKey();
  if (!key) { status.textContent = d.msgNoKey; return; }
  const challenge = await (await fetch('/v1/auth/challenge', { method: 'POST' })).json();
  // identity/challenge.py: b'ipledger-auth-v1\n' + origin + b'\n' + challenge
  const message = enc.encode(`ipledger-auth-v1\n${challenge.origin}\n${challenge.challenge}`);
  const signature = b64url(new Uint8Array(
    await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey, message)));
  const response = await fetch('/v1/auth/session', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ did: key.didUrl, challenge: challenge.challenge, signature }),
  });
  const answer = await response.json();
  if (!response.ok) { status.textContent = `${d.msgRefused} ${answer.detail}`; return; }
  const form = box.querySelector('form[data-session]');
  form.elements.token.value = answer.token;
  form.submit();
}

// Sign one right.act entry and submit it: {ok, text}.
async function decide(key, origin, body) {
  const envelope = await makeEnvelope(key, origin, 'right.act', body);
  const response = await fetch('/v1/entries', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: jcs(envelope),
  });
  const answer = await response.json();
  return response.ok ? { ok: true, index: answer.index }
    : { ok: false, text: `${answer.detail}${answer.pointer ? ` (${answer.pointer})` : ''}` };
}

async function staffKey(root, say) {
  const key = await loadKey();
  if (!key) { say(root.dataset.msgNoKey, 'fail'); return null; }
  if (key.party !== root.dataset.party) {
    say(`${root.dataset.msgWrongKey} ${key.party}`, 'fail');
    return null;
  }
  return key;
}

async function submitDecision(form) {
  const d = form.dataset;
  const say = sayer(form.querySelector('[data-result]'));
  const key = await staffKey(form, say);
  if (!key) return;
  const body = { office: d.office, kind: d.kind, number: d.number, action: d.action };
  const note = form.querySelector('[name=note]')?.value.trim();
  if (note) body.note = note;
  const attest = [...form.querySelectorAll('[name=attest]:checked')].map((box) => box.value);
  if (attest.length) body.attest = attest;
  form.querySelector('button').disabled = true;
  const outcome = await decide(key, d.origin, body);
  if (!outcome.ok) {
    say(`${d.msgRefused} ${outcome.text}`, 'fail');
    form.querySelector('button').disabled = false;
    return;
  }
  const url = new URL(window.location.href);
  url.searchParams.set('done', String(outcome.index));
  window.location.assign(url.toString());
}

async function runBatch(form, action) {
  const d = form.dataset;
  const say = sayer(form.querySelector('[data-batch-results]'));
  const key = await staffKey(form, say);
  if (!key) return;
  const chosen = [...form.querySelectorAll('[name=item]:checked')].map((box) => box.value);
  if (!chosen.length) { say(d.msgNone, 'fail'); return; }
  for (const button of form.querySelectorAll('[data-batch-action]')) button.disabled = true;
  for (const item of chosen) {
    const [office, kind, number] = item.split('/');
    const outcome = await decide(key, d.origin, { office, kind, number, action });
    say(outcome.ok ? `${number}: ${d.msgRecorded} ${outcome.index}`
      : `${number}: ${d.msgRefused} ${outcome.text}`, outcome.ok ? 'pass' : 'fail');
  }
  form.querySelector('[data-batch-done]').hidden = false;
}

for (const box of document.querySelectorAll('[data-signin]')) {
  box.querySelector('[data-signin-button]').addEventListener('click', () => signIn(box));
}
for (const form of document.querySelectorAll('form[data-decision]')) {
  form.addEventListener('submit', (event) => { event.preventDefault(); submitDecision(form); });
}
for (const form of document.querySelectorAll('form[data-batch]')) {
  form.addEventListener('submit', (event) => event.preventDefault());
  for (const button of form.querySelectorAll('[data-batch-action]')) {
    button.addEventListener('click', () => runBatch(form, button.dataset.batchAction));
  }
}
