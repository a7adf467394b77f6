// A real SMTP server for the test suite (the smtp-server package, as used by Nodemailer), on loopback.
// Every accepted message is written whole to OUT_DIR/<n>.eml; the Message-ID of each goes to OUT_DIR/message-ids.log.
// Recipients whose local part starts with "bounce" are refused with 550 (a hard bounce); "later" with 451 (transient).
// With --dedupe, a message whose Message-ID was already accepted is acknowledged (250) and dropped, the way a provider
// with idempotency keys behaves; each such resend is logged to OUT_DIR/duplicates.log.
// Usage: node smtp-sink.mjs OUT_DIR [--dedupe]  — prints "listening <port>" once ready, then "accepted <n>" after
// writing the n-th message (what the tests wait for).
import { SMTPServer } from 'smtp-server';
import fs from 'node:fs';
import path from 'node:path';

const out = process.argv[2];
const dedupe = process.argv.includes('--dedupe');
fs.mkdirSync(out, { recursive: true });
const seen = new Set();
let count = 0;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  size: 10 * 1024 * 1024,
  onRcptTo(address, session, callback) {
    const local = address.address.split('@')[0];
    if (local.startsWith('bounce')) {
      const error = new Error('5.1.1 No such user here');
      error.responseCode = 550;
      return callback(error);
    }
    if (local.startsWith('later')) {
      const error = new Error('4.2.1 Mailbox busy, try again later');
      error.responseCode = 451;
      return callback(error);
    }
    callback();
  },
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', chunk => chunks.push(chunk));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks);
      const header = raw.toString('utf8').split(/\r?\n\r?\n/)[0];
      const id = (header.match(/^Message-ID:\s*(<[^>]+>)/im) || [])[1] || '';
      if (dedupe && id && seen.has(id)) {
        fs.appendFileSync(path.join(out, 'duplicates.log'), `${id}\n`);
        return callback(null, 'Duplicate Message-ID, already delivered');
      }
      seen.add(id);
      const n = ++count;
      fs.writeFileSync(path.join(out, `${n}.eml`), raw);
      fs.appendFileSync(path.join(out, 'message-ids.log'), `${id}\n`);
      console.log(`accepted ${n}`);
      callback(null, `Queued as ${n}`);
    });
  },
});

// A client that dies mid-session (the test kills Cairn while it sends) must not take the server down.
server.on('error', error => fs.appendFileSync(path.join(out, 'errors.log'), `${error.code || ''} ${error.message}\n`));

server.listen(0, '127.0.0.1', () => console.log(`listening ${server.server.address().port}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
