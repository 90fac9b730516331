// Verify an ipledger credential with Digital Bazaar's VC stack, offline.
//   node verify.mjs CREDENTIAL.json DID.json IPLEDGER-CONTEXT.jsonld [STATUS-LIST.json]
// Prints one JSON object: {"verified": bool, "status": "active"|"revoked"|null, "error": str}.
// Contexts come from the W3C/Digital Bazaar context packages, except the register's own
// (the file given); the DID document and the status list are the files given. Nothing is
// fetched: any other URL is an error. VC_NOW=<ISO date> checks validity at that date.
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';

const require = createRequire(import.meta.url);
const read = path => JSON.parse(readFileSync(path, 'utf8'));
const [credentialFile, didFile, contextFile, statusFile] = process.argv.slice(2);
const credential = read(credentialFile);
const didDocument = read(didFile);

const documents = new Map();
for(const name of ['@digitalbazaar/credentials-context', 'did-context',
  '@digitalbazaar/multikey-context', '@digitalbazaar/data-integrity-context']) {
  for(const [url, doc] of require(name).contexts) {
    documents.set(url, doc);
  }
}
documents.set('https://w3id.org/ipledger/v1', read(contextFile));
documents.set(didDocument.id, didDocument);
for(const method of didDocument.verificationMethod) {
  documents.set(method.id, {
    '@context': 'https://w3id.org/security/multikey/v1', ...method});
}
if(statusFile) {
  const statusList = read(statusFile);
  documents.set(statusList.id, statusList);
}

async function documentLoader(url) {
  if(!documents.has(url)) {
    throw new Error(`offline: no document for ${url}`);
  }
  return {contextUrl: null, documentUrl: url, document: documents.get(url)};
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
const options = {credential, suite, documentLoader};
if(process.env.VC_NOW) {  // tests use ledger times of their own, after today's date
  options.now = new Date(process.env.VC_NOW);
}
let status = null;
// Without a status list the status is not checked (and not claimed).
options.checkStatus = async () => ({verified: true});
if(statusFile) {
  // The status list credential is verified like any credential (at VC_NOW), then its bit
  // is read by the Bitstring Status List library.
  const statusList = await vc.verifyCredential({
    ...options, credential: documents.get(read(statusFile).id)});
  if(!statusList.verified) {
    const failure = statusList.error || statusList.results?.[0]?.error;
    console.log(JSON.stringify({verified: false, status: null,
      error: `status list: ${failure?.message || failure}`}));
    process.exit(0);
  }
  options.checkStatus = async args => {
    const result = await checkStatus({
      ...args, suite, documentLoader, verifyBitstringStatusListCredential: false});
    if(result.verified) {
      status = result.results[0].status ? 'revoked' : 'active';
    }
    return result;
  };
}
const result = await vc.verifyCredential(options);
const failure = result.error || result.results?.[0]?.error;
const error = failure ? String(failure.errors?.[0]?.message || failure.message || failure) :
  null;
if(process.env.VC_DEBUG) { console.error(result.error, result.results?.[0]?.error); }
console.log(JSON.stringify({verified: result.verified, status, error}));
