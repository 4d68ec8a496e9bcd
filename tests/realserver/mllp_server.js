#!/usr/bin/env node
// A third-party HL7 v2 MLLP receiver: Medplum's Hl7Server (npm @medplum/hl7, Apache-2.0), run with
// the handler Medplum documents: every message is answered with message.buildAck().
//
// MLLP framing, parsing, the ACK's routing, MSA and MSH-9 all come from Medplum's code; this file only
// starts the server. Usage: node tests/realserver/mllp_server.js [--port N] [--enhanced]
// Binds 127.0.0.1. --port 0 picks a free port; the ready line tells which:
//   MLLP receiver (medplum hl7 5.0.10) ready at 127.0.0.1:N pid=P
'use strict';

const path = require('node:path');
const { createRequire } = require('node:module');

const req = createRequire(path.join(__dirname, '.node', 'package.json'));
const { Hl7Server } = req('@medplum/hl7');
const fs = require('node:fs');
const version = JSON.parse(fs.readFileSync(path.join(__dirname, '.node', 'node_modules', '@medplum', 'hl7',
  'package.json'), 'utf8')).version;

const args = process.argv.slice(2);
const portAt = args.indexOf('--port');
const port = portAt >= 0 ? Number(args[portAt + 1]) : 0;
const enhanced = args.includes('--enhanced');

const server = new Hl7Server((connection) => {
  connection.addEventListener('message', ({ message }) => {
    connection.send(message.buildAck());
  });
});

server.start(port, undefined, enhanced).then(() => {
  const address = server.server.address();
  console.log(`MLLP receiver (medplum hl7 ${version}) ready at 127.0.0.1:${address.port} pid=${process.pid}`);
});

const stop = () => server.stop({ forceDrainTimeoutMs: 100 }).finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
