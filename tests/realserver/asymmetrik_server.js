#!/usr/bin/env node
// A third independent FHIR R4 server for the integration tests: Asymmetrik's node-fhir-server-core
// 2.2.5 (npm, MIT). The library owns routing, the CapabilityStatement at [base]/metadata, parameter
// sanitising, status codes, headers and error bodies. We write only the "service" it asks every
// deployment for (its docs: GettingStarted.md), here a tiny in-memory one, shaped like the library's
// reference implementation (node-fhir-server-mongo): it stores, versions and matches resources.
//
//   node tests/realserver/asymmetrik_server.js --port 0
//   -> "FHIR R4 server (asymmetrik node-fhir-server-core 2.2.5) ready at http://127.0.0.1:N/4_0_1 pid=P"
// Binds 127.0.0.1 only; data lives in memory; SIGTERM/SIGINT exit at once.
'use strict';

const path = require('path');
const crypto = require('crypto');

const MODULES = path.join(__dirname, '.node-asymmetrik', 'node_modules');
let core;
try {
  core = require(path.join(MODULES, '@asymmetrik', 'node-fhir-server-core'));
} catch (err) {
  process.stderr.write(`node-fhir-server-core not installed (run bash tests/realserver/install.sh): ${err.message}\n`);
  process.exit(3);
}
const { ServerError } = core;
const PARAMS = path.join(MODULES, '@asymmetrik', 'node-fhir-server-core', 'dist', 'server', 'resources', '4_0_1', 'parameters');

const TYPES = ['Patient', 'Practitioner', 'Organization', 'Location', 'Encounter', 'Observation', 'Condition',
  'AllergyIntolerance', 'MedicationRequest', 'MedicationStatement', 'Device', 'DocumentReference'];

const store = new Map(); // type -> Map(id -> [versions, newest last]); deleted ids are removed

function notFound(type, id) {
  return new ServerError(`${type}/${id} not found`, {
    statusCode: 404,
    issue: [{ severity: 'error', code: 'not-found', details: { text: `${type}/${id} not found` } }],
  });
}

function invalid(text) {
  return new ServerError(text, { statusCode: 400, issue: [{ severity: 'error', code: 'invalid', details: { text } }] });
}

// --- matching: each declared parameter's `xpath` (the library's own definitions) selects the values ---

function select(resource, xpath) {
  // 'Patient.name', and the library's one XPath form "Patient.telecom[system/@value='phone']".
  if (!xpath) return [];
  const where = /^(.*)\[(\w+)\/@value='([^']*)'\]$/.exec(xpath);
  let values = [resource];
  for (const step of (where ? where[1] : xpath).split('.').slice(1)) {
    values = values.flatMap((v) => (v && typeof v === 'object' && v[step] !== undefined ? [].concat(v[step]) : []));
  }
  return where ? values.filter((v) => v && v[where[2]] === where[3]) : values;
}

function strings(value) {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

function tokens(value) {
  if (typeof value === 'string' || typeof value === 'boolean') return [{ code: String(value) }];
  if (!value || typeof value !== 'object') return [];
  if (Array.isArray(value.coding)) return value.coding.map((c) => ({ system: c.system, code: c.code }));
  if ('value' in value) return [{ system: value.system, code: String(value.value) }]; // Identifier, ContactPoint
  return [{ system: value.system, code: value.code }];
}

function range(text) {
  // A FHIR date/dateTime as [start, end) in ms, by its precision.
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/.exec(text || '');
  if (!m) return null;
  const [, y, mo, d, h, mi, s, tz] = m;
  const start = Date.parse(`${y}-${mo || '01'}-${d || '01'}T${h || '00'}:${mi || '00'}:${s || '00'}${tz || 'Z'}`);
  const end = new Date(start);
  if (!mo) end.setUTCFullYear(end.getUTCFullYear() + 1);
  else if (!d) end.setUTCMonth(end.getUTCMonth() + 1);
  else if (!h) end.setUTCDate(end.getUTCDate() + 1);
  else if (!s) end.setUTCMinutes(end.getUTCMinutes() + 1);
  else end.setUTCSeconds(end.getUTCSeconds() + 1);
  return [start, end.getTime()];
}

function dateRanges(value) {
  if (typeof value === 'string') return [range(value)].filter(Boolean);
  if (value && typeof value === 'object' && (value.start || value.end)) {
    const lo = range(value.start), hi = range(value.end);
    return [[lo ? lo[0] : -Infinity, hi ? hi[1] : Infinity]];
  }
  return [];
}

function matchOne(kind, modifier, values, wanted) {
  switch (kind) {
    case 'string': {
      const want = wanted.toLowerCase();
      return values.flatMap(strings).some((s) => {
        const have = s.toLowerCase();
        if (modifier === 'exact') return s === wanted;
        return modifier === 'contains' ? have.includes(want) : have.startsWith(want);
      });
    }
    case 'token': {
      const bar = wanted.indexOf('|');
      const system = bar < 0 ? undefined : wanted.slice(0, bar);
      const code = bar < 0 ? wanted : wanted.slice(bar + 1);
      const hit = values.flatMap(tokens).some((t) => (system === undefined || (system === '' ? !t.system : t.system === system))
        && (code === '' || t.code === code));
      return modifier === 'not' ? !hit : hit;
    }
    case 'date': {
      const p = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(.*)$/.exec(wanted);
      const prefix = p[1] || 'eq';
      const want = range(p[2]);
      if (!want) throw invalid(`Invalid date search value: ${wanted}`);
      return values.flatMap(dateRanges).some(([lo, hi]) => ({
        eq: lo >= want[0] && hi <= want[1], ne: !(lo >= want[0] && hi <= want[1]),
        gt: hi > want[1], lt: lo < want[0], ge: hi > want[0], le: lo < want[1],
        sa: lo >= want[1], eb: hi <= want[0], ap: lo < want[1] && hi > want[0],
      }[prefix]));
    }
    case 'reference':
      return values.some((v) => v && typeof v.reference === 'string'
        && (v.reference === wanted || v.reference.endsWith(`/${wanted}`)));
    case 'uri':
      return values.some((v) => v === wanted);
    default:
      throw invalid(`Search parameters of type ${kind} are not supported by this server`);
  }
}

function matches(type, resource, args) {
  const defs = Object.assign({}, require(path.join(PARAMS, 'resource.parameters.js')),
    require(path.join(PARAMS, `${type.toLowerCase()}.parameters.js`)));
  for (const [key, raw] of Object.entries(args)) {
    const [name, modifier] = key.split(':');
    const def = defs[name];
    if (!def || name === 'base_version') continue;
    const xpath = name === '_id' ? `${type}.id` : (def.xpath || '').replace(/^Resource\./, `${type}.`);
    const values = select(resource, xpath);
    for (const value of [].concat(raw)) { // repeated parameter: AND; a comma: OR
      if (!String(value).split(',').some((one) => matchOne(def.type, modifier, values, one))) return false;
    }
  }
  return true;
}

// --- the service node-fhir-server-core calls for each interaction ---

function service(type) {
  const table = () => store.get(type) || store.set(type, new Map()).get(type);
  const stamp = (body, id, versionId) => Object.assign({}, body, {
    resourceType: type, id, meta: Object.assign({}, body.meta, { versionId, lastUpdated: new Date().toISOString() }),
  });
  const write = (id, body) => {
    if (!body || body.resourceType !== type) throw invalid(`Expected a ${type} resource body`);
    const versions = table().get(id) || [];
    const resource = stamp(body, id, String(versions.length + 1));
    table().set(id, versions.concat([resource]));
    return { resource, created: versions.length === 0 };
  };
  const base = (req) => `${req.protocol}://${req.get('host')}/${req.params.base_version}`;
  return {
    search: async (args, { req }) => {
      const hits = [...table().values()].map((v) => v[v.length - 1]).filter((r) => matches(type, r, args));
      return {
        resourceType: 'Bundle', type: 'searchset', total: hits.length,
        // The parameters actually used (R4 search.html): the library has already dropped any it does not know.
        link: [{ relation: 'self', url: `${base(req)}/${type}?${new URLSearchParams(Object.entries(args)
          .filter(([k]) => k !== 'base_version').flatMap(([k, v]) => [].concat(v).map((one) => [k, one])))}` }],
        // FHIR JSON has no empty arrays: no matches, no entry.
        entry: hits.length ? hits.map((r) => ({ fullUrl: `${base(req)}/${type}/${r.id}`, resource: r, search: { mode: 'match' } })) : undefined,
      };
    },
    searchById: async (args) => {
      const versions = table().get(args.id);
      if (!versions) throw notFound(type, args.id);
      return versions[versions.length - 1];
    },
    searchByVersionId: async (args) => {
      const found = (table().get(args.id) || []).find((r) => r.meta.versionId === args.version_id);
      if (!found) throw notFound(type, `${args.id}/_history/${args.version_id}`);
      return found;
    },
    create: async (args, { req }) => {
      const { resource } = write(crypto.randomUUID(), req.body);
      return { id: resource.id, resource_version: resource.meta.versionId };
    },
    update: async (args, { req }) => {
      if (req.body && req.body.id !== args.id) throw invalid(`Body id ${req.body.id} does not match the URL id ${args.id}`);
      const { resource, created } = write(args.id, req.body);
      return { id: resource.id, created, resource_version: resource.meta.versionId };
    },
    remove: async (args) => {
      if (!table().delete(args.id)) throw notFound(type, args.id);
      return {};
    },
    historyById: async (args, { req }) => {
      const versions = table().get(args.id);
      if (!versions) throw notFound(type, args.id);
      return {
        resourceType: 'Bundle', type: 'history', total: versions.length,
        link: [{ relation: 'self', url: `${base(req)}/${type}/${args.id}/_history` }],
        entry: versions.slice().reverse().map((r) => ({
          fullUrl: `${base(req)}/${type}/${r.id}`, resource: r,
          request: { method: r.meta.versionId === '1' ? 'POST' : 'PUT', url: `${type}/${r.id}` },
        })),
      };
    },
  };
}

function main() {
  const i = process.argv.indexOf('--port');
  if (i < 0 || process.argv[i + 1] === undefined) {
    process.stderr.write('usage: asymmetrik_server.js --port N (0 for any free port)\n');
    process.exit(2);
  }
  const profiles = {};
  for (const type of TYPES) profiles[type] = { service: service(type), versions: ['4_0_1'] };
  const server = core.initialize({ profiles, logging: { level: 'error' } });
  const http = server.app.listen(Number(process.argv[i + 1]), '127.0.0.1', () => {
    const { port } = http.address();
    process.stdout.write(`FHIR R4 server (asymmetrik node-fhir-server-core 2.2.5) ready at http://127.0.0.1:${port}/4_0_1 pid=${process.pid}\n`);
  });
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
}

main();
