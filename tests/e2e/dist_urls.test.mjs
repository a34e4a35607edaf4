// @ts-check
/**
 * The built extension holds no address that could phone home unnoticed: every remote host in its code and data
 * (scripts, pages, wasm and runtime binaries, JSON) is listed in remote_urls.json with why it is never fetched, or
 * when it is. A new address fails the test until someone says why it is there; an entry no file holds any more
 * fails too, so the list stays true. (The network audit of the browser tests proves the running side.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DIST, ROOT } from './harness.mjs';

const LISTED = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/e2e/remote_urls.json'), 'utf8')).hosts;
/** Hosts that are this machine (the test build's own permission and test servers). */
const LOCAL = /^(127\.0\.0\.1|localhost)(:\d+)?$/;

/** @param {string} dir @returns {string[]} */
function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === '_locales' ? [] : files(p);
    return /\.(js|mjs|html|json|wasm|css)$/.test(e.name) ? [p] : [];
  });
}

test('every remote address in the built extension is accounted for', () => {
  /** @type {Map<string, Set<string>>} listed host → files that hold it */
  const found = new Map();
  const unexplained = [];
  for (const file of files(DIST)) {
    // Binaries hold literals side by side ("https://huggingface.co" then "alt…"): a listed host matches as a prefix.
    const text = fs.readFileSync(file).toString('latin1');
    for (const m of text.matchAll(/https?:\/\/([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?)/g)) {
      const host = m[1];
      if (LOCAL.test(host)) continue;
      const entry = Object.keys(LISTED).find((h) => host === h || host.startsWith(h));
      const rel = path.relative(DIST, file);
      if (!entry) unexplained.push(`${rel}: ${m[0]}`);
      else found.set(entry, (found.get(entry) || new Set()).add(rel));
    }
  }
  for (const [host, where] of found) console.log(`${host}: ${[...where].join(', ')}`);
  assert.deepEqual(unexplained, [], 'addresses with no reason in tests/e2e/remote_urls.json');
  const stale = Object.keys(LISTED).filter((h) => !found.has(h));
  assert.deepEqual(stale, [], 'entries of remote_urls.json that no file holds any more');
});
