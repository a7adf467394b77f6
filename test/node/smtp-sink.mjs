// A real SMTP server for the test suite (the smtp-server package, as used by Nodemailer), on loopback.
// Every accepted message is written whole to OUT_DIR/<n>.eml; the Message-ID of each goes to OUT_DIR/message-ids.log.
// Recipients whose local part starts with "bounce" are refused with 550 (a hard bounce); "later" with 451 (transient).
// Usage: node smtp-sink.mjs OUT_DIR  — prints "listening <port>" once ready.
import { SMTPServer } from 'smtp-server';
import fs from 'node:fs';
import path from 'node:path';

const out = process.argv[2];
fs.mkdirSync(out, { recursive: true });
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
      const n = ++count;
      fs.writeFileSync(path.join(out, `${n}.eml`), raw);
      fs.appendFileSync(path.join(out, 'message-ids.log'), `${id}\n`);
      callback(null, `Queued as ${n}`);
    });
  },
});

server.listen(0, '127.0.0.1', () => console.log(`listening ${server.server.address().port}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
