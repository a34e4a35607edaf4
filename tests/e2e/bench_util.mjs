// @ts-check
/** Helpers shared by the benchmark's sections (bench.mjs and the T2 section in bench_t2.mjs). */
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, ask } from './harness.mjs';

/** Upper bound on one request, so that a hung engine turns into an error row instead of a hung benchmark. */
export const REQUEST_TIMEOUT_MS = 120_000;

/** @param {number[]} xs */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** @param {number} n */
export const bytes = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : `${(n / 1e3).toFixed(1)} KB`);
/** @param {number} ms */
export const millis = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
/** @param {number} x */
export const times = (x) => `${x.toFixed(2)}x`;

/** @param {unknown} e */
export const errText = (e) => String((e && /** @type {any} */ (e).message) || e).split('\n')[0];

/**
 * Race a promise against a deadline.
 * @template T @param {Promise<T>} p @param {number} ms @param {string} what @returns {Promise<T>}
 */
export function withTimeout(p, ms, what) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const deadline = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms / 1000} s`)), ms); });
  return /** @type {Promise<T>} */ (Promise.race([p, deadline]).finally(() => clearTimeout(timer)));
}

/**
 * `ask()` with a deadline, turning `{ok:false}` replies into exceptions so each section has one failure path.
 * @param {import('playwright-core').Page} page @param {object} msg @param {number} [ms]
 */
export async function askOk(page, msg, ms = REQUEST_TIMEOUT_MS) {
  const reply = await withTimeout(ask(page, msg), ms, /** @type {any} */ (msg).type);
  if (!reply || reply.ok !== true) throw new Error(`${/** @type {any} */ (msg).type} failed: ${JSON.stringify(reply && reply.error || reply)}`);
  return reply;
}

/** @type {{bin: string, profile: string} | null} */
let cli = null;

/**
 * The native `scout` CLI, release build (built or brought up to date once per run: a stale binary would measure old
 * code; the release build's tokenizer is what a user of the CLI runs). Falls back to the debug build.
 */
export function nativeCli() {
  if (cli) return cli;
  const r = spawnSync('cargo', ['build', '--release', '--bin', 'scout'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status === 0) return (cli = { bin: path.join(ROOT, 'target/release/scout'), profile: 'release' });
  const d = spawnSync('cargo', ['build', '--bin', 'scout'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (d.status !== 0) throw new Error('cargo build --bin scout failed');
  return (cli = { bin: path.join(ROOT, 'target/debug/scout'), profile: 'debug' });
}
