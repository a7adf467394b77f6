// Verifies the DKIM signature of a message with mailauth (an implementation independent of Cairn's MimeKit),
// answering the DNS query for the selector with the public key given instead of asking DNS.
// Usage: node dkim-verify.mjs MESSAGE.eml SELECTOR DOMAIN PUBLIC_KEY_BASE64 — prints the result JSON.
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import fs from 'node:fs';

const [file, selector, domain, publicKey] = process.argv.slice(2);
const resolver = async (name, type) => {
  if (type === 'TXT' && name === `${selector}._domainkey.${domain}`) {
    return [[`v=DKIM1; k=rsa; p=${publicKey}`]];
  }
  const error = new Error(`no ${type} record for ${name}`);
  error.code = 'ENOTFOUND';
  throw error;
};
const result = await dkimVerify(fs.readFileSync(file), { resolver });
console.log(JSON.stringify(result.results.map(r => ({
  status: r.status.result,
  domain: r.signingDomain,
  selector: r.selector,
  canonicalization: r.format,
  comment: r.status.comment || null,
}))));
