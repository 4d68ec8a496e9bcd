#!/usr/bin/env node
// A third-party HL7 v2 MLLP sender: Medplum's Hl7Client (npm @medplum/hl7, Apache-2.0), used as Medplum
// documents: new Hl7Client({host, port}), then sendAndWait(Hl7Message.parse(text)) for each message.
//
// Framing, the connection and the wait for each ACK come from Medplum's code; this file only feeds it.
// Usage: node tests/realserver/mllp_client.js --port N --file messages.json [--timeout-ms 5000]
// (messages.json: a JSON list of ER7 texts; the timeout is sendAndWait's, per message).
// Prints one line per message (`ack <MSA-1> <MSA-2>` or `error <text>`), then `done N`.
'use strict';

const path = require('node:path');
const fs = require('node:fs');
const { createRequire } = require('node:module');

const req = createRequire(path.join(__dirname, '.node', 'package.json'));
const { Hl7Client } = req('@medplum/hl7');
const hl7req = createRequire(req.resolve('@medplum/hl7'));
const { Hl7Message } = hl7req('@medplum/core');

const args = process.argv.slice(2);
const port = Number(args[args.indexOf('--port') + 1]);
const texts = JSON.parse(fs.readFileSync(args[args.indexOf('--file') + 1], 'utf8'));
const timeoutMs = args.includes('--timeout-ms') ? Number(args[args.indexOf('--timeout-ms') + 1]) : 5000;

async function main() {
  const client = new Hl7Client({ host: '127.0.0.1', port, connectTimeout: 5000 });
  let n = 0;
  for (const text of texts) {
    try {
      const ack = await client.sendAndWait(Hl7Message.parse(text), { timeoutMs });
      const msa = ack.getSegment('MSA');
      console.log(`ack ${msa?.getField(1)?.toString()} ${msa?.getField(2)?.toString()}`);
      n += 1;
    } catch (err) {
      console.log(`error ${err.message}`);
    }
  }
  await client.close();
  console.log(`done ${n}`);
  // Hl7Client leaves its connect-timeout timer running after close (the process would linger ~5 s).
  process.exit(0);
}

main().catch((err) => { console.log(`error ${err.message}`); process.exit(1); });
