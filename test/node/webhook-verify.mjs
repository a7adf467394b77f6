// Verifies Standard Webhooks signatures with the specification's reference library (standardwebhooks), not Cairn's code.
// Usage: node webhook-verify.mjs SECRET < requests.ndjson — one {"id","timestamp","signature","body"} per line;
// prints one line per request: "ok" or "invalid: <reason>".
import { Webhook } from 'standardwebhooks';
import readline from 'node:readline';

const webhook = new Webhook(process.argv[2]);
const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const request = JSON.parse(line);
  try {
    webhook.verify(request.body, {
      'webhook-id': request.id,
      'webhook-timestamp': request.timestamp,
      'webhook-signature': request.signature,
    });
    console.log('ok');
  } catch (error) {
    console.log(`invalid: ${error.message}`);
  }
}
