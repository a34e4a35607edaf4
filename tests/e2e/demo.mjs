// @ts-check
/**
 * `cargo xtask demo [URL|FILE]`: open a page in headless Chromium with the built extension, summarize it through
 * the extension exactly as the popup does, and print the result.
 * Default page: the bundled sample article, served from 127.0.0.1. A FILE is served from 127.0.0.1 too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, startServer, launch, openPage, tabIdOf, openExtensionPage, ask } from './harness.mjs';

const [dist, target] = process.argv.slice(2);
if (target && !fs.existsSync(target) && !/^[a-z][a-z0-9+.-]*:/i.test(target)) {
  console.error(`demo: ${target} is neither a file nor a URL`);
  process.exit(2);
}
const server = await startServer(target && fs.existsSync(target) ? { '/file/': path.dirname(path.resolve(target)) } : {});
let url = `${server.base}/sample/article.html`;
if (target && fs.existsSync(target)) url = `${server.base}/file/${encodeURIComponent(path.basename(target))}`;
else if (target) url = target;

const t0 = performance.now();
const b = await launch({ dist: dist || undefined });
try {
  await openPage(b.ctx, url);
  const tabId = await tabIdOf(b.sw, url);
  const popup = await openExtensionPage(b.ctx, b.extensionId, `popup.html?tabId=${tabId}`);
  for (const type of ['key-points', 'tldr', 'headline']) {
    const r = await ask(popup, { type: 'summarize', tabId, options: { type, length: 'medium', format: 'plain' } });
    if (!r.ok) {
      console.error(`error (${r.error.code}): ${r.error.message}`);
      process.exitCode = 1;
      break;
    }
    if (type === 'key-points') {
      console.log(`\n${r.title}\n${'='.repeat(Math.min(80, r.title.length))}`);
      console.log(`url: ${r.url}`);
      console.log(`tier: ${r.tier}   ep: ${r.ep}   model: ${r.model || '-'}   lang: ${r.lang || '?'}   ` +
        `${r.word_count} words, ${Math.max(1, Math.round(r.reading_minutes))} min read`);
      if (r.fallback_reason) console.log(`note: ${r.fallback_reason.text}`);
      console.log(`first answer ${Math.round(performance.now() - t0)} ms after browser launch; engine: ` +
        `${r.timings.total_ms.toFixed(0)} ms (read ${r.timings.extract_ms.toFixed(0)}, model ${r.timings.embed_ms.toFixed(0)}, rank ${r.timings.rank_ms.toFixed(0)})`);
      console.log(`keywords: ${r.keywords.join(', ')}`);
    }
    console.log(`\n[${type}]`);
    for (const s of r.summary.sentences) console.log(type === 'key-points' ? `  • ${s.text}` : `  ${s.text}`);
  }
  const status = await ask(popup, { type: 'status' });
  if (status.ok && status.backend) console.log(`\nbackend: ${status.backend.ep} — ${status.backend.reason.text}; engine start ${Math.round(status.init_ms)} ms`);
  fs.mkdirSync(path.join(ROOT, 'target/screenshots'), { recursive: true });
} finally {
  await b.ctx.close();
  await server.close();
}
