// @ts-check
/**
 * Huge and odd pages (issue 16, part 5): each page is served from 127.0.0.1, opened in the real extension, and
 * summarized through the same `summarize` request the popup sends for a tab. Every case must end in a defined
 * outcome within a bounded time, with no crash: a summary whose sentences come from the page's visible text, or a
 * clear error (the words the UI shows for it). The pages are generated here (big ones, encodings, scripts); the
 * legacy-encoded bytes are produced at test time by Python's codecs (`python3 -c`), so no binary file is committed.
 * A table `odd pages handled H / tried N` with one line per case (outcome, milliseconds) is printed at the end.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { launch, openPage, tabIdOf, openExtensionPage, ask, auditLaunched, startServer } from './harness.mjs';

/** Words of a text, for "this sentence occurs in the page" checks that ignore whitespace differences. */
const norm = (/** @type {string} */ s) => s.replace(/\s+/g, ' ').trim();
const esc = (/** @type {string} */ s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** A script's JSON data, safe inside `<script>`. @param {unknown} v */
const scriptJson = (v) => JSON.stringify(v).replace(/</g, '\\u003c');

// ---------------------------------------------------------------------------------------------------------------
// Text

/** A small seeded PRNG (mulberry32), so every run serves the same pages. @param {number} seed */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SUBJECTS = ['The harbour committee', 'A retired ferry captain', 'The river survey team', 'Our regional library', 'The night shift at the bakery', 'A group of volunteer divers', 'The county archive', 'The mountain rescue service', 'A family of beekeepers', 'The new school principal', 'The orchard cooperative', 'A visiting botanist', 'The town brass band', 'The lighthouse keeper', 'The water board', 'A young carpenter', 'The village football club', 'The weather station crew', 'The market traders', 'An elderly clockmaker'];
const VERBS = ['repaired', 'measured', 'described', 'photographed', 'mapped', 'restored', 'counted', 'catalogued', 'painted', 'inspected', 'rebuilt', 'studied', 'cleaned', 'replanted', 'tested', 'recorded'];
const OBJECTS = ['the old stone bridge', 'three abandoned mills', 'the flooded meadows', 'a collection of brass instruments', 'the northern sea wall', 'forty apple trees', 'the tidal gauges', 'the chapel roof', 'a shipwreck near the point', 'the winter bus timetable', 'the salt marsh paths', 'hundreds of letters from emigrants', 'the clock in the square', 'the reservoir dam', 'the ferry slipway', 'a row of fishermen\'s cottages'];
const TAILS = ['after a long and stormy winter', 'during the spring floods', 'with help from a dozen neighbours', 'before the summer visitors arrived', 'while the council argued about money', 'using tools borrowed from the museum', 'in less than a fortnight', 'for the first time in fifty years', 'although the weather kept changing', 'as part of the anniversary festival', 'despite a shortage of timber', 'on a grant from a small charity'];
const AFTER = ['Nobody expected the work to take so long.', 'The results surprised almost everyone in the valley.', 'Several schools have asked to visit next year.', 'A full report will be published in the autumn.', 'Local shops noticed more customers the following week.', 'The cost came in below the original estimate.'];

/** One varied English sentence. @param {() => number} r */
function sentence(r) {
  const pick = (/** @type {string[]} */ xs) => xs[Math.floor(r() * xs.length)];
  const n = 2 + Math.floor(r() * 900);
  const year = 1890 + Math.floor(r() * 130);
  switch (Math.floor(r() * 4)) {
    case 0: return `${pick(SUBJECTS)} ${pick(VERBS)} ${pick(OBJECTS)} ${pick(TAILS)}.`;
    case 1: return `In ${year}, ${pick(SUBJECTS).replace(/^The|^A|^An|^Our/, (m) => m.toLowerCase())} ${pick(VERBS)} ${pick(OBJECTS)} and counted ${n} visitors ${pick(TAILS)}.`;
    case 2: return `${pick(SUBJECTS)} says that ${pick(OBJECTS)} will be ${pick(VERBS)} again ${pick(TAILS)}.`;
    default: return `${pick(AFTER)}`;
  }
}

/** `count` paragraphs of 4–7 sentences each. @param {number} count @param {number} seed */
function paragraphs(count, seed) {
  const r = rng(seed);
  /** @type {string[]} */
  const out = [];
  for (let i = 0; i < count; i++) {
    const k = 4 + Math.floor(r() * 4);
    const ss = [];
    for (let j = 0; j < k; j++) ss.push(sentence(r));
    out.push(ss.join(' '));
  }
  return out;
}

/** A plain article page. @param {{title: string, paras: string[], lang?: string, dir?: string, head?: string, before?: string, after?: string}} o */
function articlePage(o) {
  return `<!doctype html><html lang="${o.lang || 'en'}"${o.dir ? ` dir="${o.dir}"` : ''}><head><meta charset="utf-8"><title>${esc(o.title)}</title>${o.head || ''}</head>
<body>${o.before || ''}<article><h1>${esc(o.title)}</h1>
${o.paras.map((p) => `<p>${esc(p)}</p>`).join('\n')}
</article>${o.after || ''}</body></html>`;
}

const TEXTS = {
  ja: {
    title: '町の図書館の百年',
    sentences: [
      '町の図書館は百年前に建てられ、今も多くの人が毎日訪れています。', '去年の春、図書館は古い建物を修理するために三か月間閉館しました。',
      '修理の間、職員は近くの公民館で本の貸し出しを続けました。', '新しい閲覧室には大きな窓があり、午後になると明るい光が入ります。',
      '子どもたちのために、土曜日の朝には読み聞かせの会が開かれています。', '地元の高校生は放課後に集まり、静かな部屋で試験の勉強をしています。',
      '図書館は地域の歴史に関する古い写真や地図も大切に保管しています。', '館長によると、昨年の利用者数は前の年より二割ほど増えました。',
      '来年は電子書籍の貸し出しを始める予定で、準備が進められています。', '住民の多くは、図書館が町の大切な集まりの場所だと考えています。',
    ],
  },
  zh: {
    title: '城市图书馆的一百年',
    sentences: [
      '这座城市的图书馆建于一百年前，至今每天仍有许多读者前来借书。', '去年春天，图书馆为了维修旧建筑而闭馆了三个月。',
      '维修期间，工作人员在附近的社区中心继续提供借书服务。', '新的阅览室有很大的窗户，下午的阳光非常明亮。',
      '每个星期六上午，图书馆都会为孩子们举办讲故事活动。', '附近中学的学生放学后常常来到安静的自习室复习功课。',
      '图书馆还认真保存着许多关于本地历史的老照片和地图。', '据馆长介绍，去年的读者人数比前一年增加了大约两成。',
      '明年图书馆计划开始提供电子书借阅服务，准备工作正在进行。', '许多居民认为，图书馆是城市里最重要的公共空间之一。',
    ],
  },
  ru: {
    title: 'Сто лет городской библиотеки',
    sentences: [
      'Городская библиотека была построена сто лет назад, и сегодня её каждый день посещают сотни читателей.', 'Прошлой весной библиотеку закрыли на три месяца, чтобы отремонтировать старое здание.',
      'Во время ремонта сотрудники продолжали выдавать книги в соседнем доме культуры.', 'В новом читальном зале большие окна, и после обеда там очень светло.',
      'По субботам утром для детей проводят громкие чтения сказок.', 'Старшеклассники приходят после уроков и готовятся к экзаменам в тихой комнате.',
      'Библиотека бережно хранит старые фотографии и карты, связанные с историей города.', 'По словам директора, в прошлом году число читателей выросло почти на пятую часть.',
      'В следующем году библиотека планирует начать выдачу электронных книг.', 'Многие жители считают библиотеку самым важным местом встреч в городе.',
    ],
  },
  ar: {
    title: 'مئة عام على مكتبة المدينة',
    sentences: [
      'بنيت مكتبة المدينة قبل مئة عام، وما زال الناس يزورونها كل يوم.', 'في الربيع الماضي أغلقت المكتبة أبوابها ثلاثة أشهر لإصلاح المبنى القديم.',
      'خلال أعمال الإصلاح واصل الموظفون إعارة الكتب في المركز الثقافي المجاور.', 'في قاعة القراءة الجديدة نوافذ كبيرة تدخل منها أشعة الشمس بعد الظهر.',
      'تقام كل صباح سبت جلسات لقراءة القصص للأطفال الصغار في القاعة الكبيرة.', 'يأتي طلاب المدرسة الثانوية بعد الدروس للمذاكرة في غرفة هادئة.',
      'تحتفظ المكتبة بصور وخرائط قديمة عن تاريخ المدينة وأسواقها القديمة.', 'قال مدير المكتبة إن عدد الزوار ارتفع في العام الماضي بنحو الخمس.',
      'تخطط المكتبة لبدء إعارة الكتب الإلكترونية في العام المقبل.', 'يرى كثير من السكان أن المكتبة هي أهم مكان للقاء في المدينة.',
    ],
  },
  he: {
    title: 'מאה שנים לספרייה העירונית',
    sentences: [
      'הספרייה העירונית נבנתה לפני מאה שנה, ועדיין אנשים רבים מבקרים בה בכל יום.', 'באביב שעבר נסגרה הספרייה לשלושה חודשים כדי לשפץ את הבניין הישן.',
      'בזמן השיפוץ המשיכו העובדים להשאיל ספרים במרכז הקהילתי הסמוך.', 'באולם הקריאה החדש יש חלונות גדולים, ואחרי הצהריים נכנס בו אור רב.',
      'בכל שבת בבוקר מתקיימת שעת סיפור לילדים באולם הגדול של הספרייה.', 'תלמידי התיכון מגיעים אחרי הלימודים ולומדים למבחנים בחדר שקט.',
      'הספרייה שומרת בקפידה תמונות ומפות ישנות על ההיסטוריה של העיר.', 'לדברי מנהלת הספרייה, מספר המבקרים גדל בשנה שעברה בכחמישית.',
      'בשנה הבאה מתכננת הספרייה להתחיל להשאיל ספרים אלקטרוניים.', 'רבים מהתושבים רואים בספרייה את מקום המפגש החשוב ביותר בעיר.',
    ],
  },
};

/** Two sentences a paragraph. @param {string[]} ss @param {string} sep */
const pairs = (ss, sep) => ss.reduce((/** @type {string[]} */ out, s, i) => (i % 2 ? (out[out.length - 1] += sep + s, out) : (out.push(s), out)), []);

/** `text` encoded by Python's codec `codec` (run at test time; Node has no legacy encoders). @param {string} text @param {string} codec */
function pyEncode(text, codec) {
  return execFileSync('python3', ['-c', 'import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().decode("utf-8").encode(sys.argv[1], "strict"))', codec], { input: Buffer.from(text, 'utf8') });
}

// ---------------------------------------------------------------------------------------------------------------
// Two tiny servers on 127.0.0.1 (different ports, so different origins) serving generated bodies with exact headers

/** @typedef {{body: Buffer | string, type: string}} Route */

/** @returns {Promise<{base: string, routes: Map<string, Route>, close: () => Promise<void>}>} */
async function ownServer() {
  /** @type {Map<string, Route>} */
  const routes = new Map();
  const server = http.createServer((req, res) => {
    const route = routes.get(new URL(req.url || '/', 'http://127.0.0.1').pathname);
    if (!route) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'); return; }
    const body = typeof route.body === 'string' ? Buffer.from(route.body, 'utf8') : route.body;
    res.writeHead(200, { 'content-type': route.type, 'content-length': body.length, 'cache-control': 'no-store' }).end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const addr = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    base: `http://127.0.0.1:${addr.port}`,
    routes,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve(undefined)); }),
  };
}

/** @type {Awaited<ReturnType<typeof ownServer>>} */
let A;
/** @type {Awaited<ReturnType<typeof ownServer>>} */
let B;
/** The harness's static server: the warm-up page. @type {Awaited<ReturnType<typeof startServer>>} */
let sample;
before(async () => { [A, B, sample] = await Promise.all([ownServer(), ownServer(), startServer()]); });
after(async () => { await Promise.all([A?.close(), B?.close(), sample?.close()]); });

const HTML = 'text/html; charset=utf-8';

// ---------------------------------------------------------------------------------------------------------------
// The browser: one for all cases (the engine and model load once); a case that hangs gets the browser replaced.

/** @type {Awaited<ReturnType<typeof launch>> | null} */
let browser = null;
/** @type {import('playwright-core').Page | null} */
let asker = null;

async function ensureBrowser() {
  if (browser && asker) return { b: browser, asker };
  browser = await launch();
  asker = await openExtensionPage(browser.ctx, browser.extensionId, 'options.html');
  // Warm the engine once (runtime + model), so the cases measure their page, not the first model load.
  const url = `${sample.base}/sample/article.html`;
  const page = await openPage(browser.ctx, url);
  const warm = await ask(asker, { type: 'summarize', tabId: await tabIdOf(browser.sw, url) });
  assert.equal(warm.ok, true, JSON.stringify(warm.error));
  await page.close();
  return { b: browser, asker };
}

async function dropBrowser() {
  const b = browser;
  browser = null;
  asker = null;
  if (b) await b.ctx.close().catch(() => {});
}

/** The words the UI shows for an error reply (ui/i18n.js `errorText`, as the popup renders it). @param {any} err */
async function uiErrorText(err) {
  if (!asker) return String(err && err.message);
  return asker.evaluate(async (e) => (await import('./ui/i18n.js')).errorText(e), err);
}

// ---------------------------------------------------------------------------------------------------------------
// Cases

/**
 * A case: the page (`url` registers it and returns its address), its visible text, and what counts as handled.
 * - `sentences`: the source's sentences; every summary sentence must then hold at least one of them whole;
 * - `want`: how many distinct sentences the summary must have (default 3: key points, short, the popup's default);
 * - `errors`: error codes that are a defined outcome for this page (default none: a summary is expected);
 * - `mayCrash`: Chromium's renderer may crash on this page by itself, before Scout is asked: then a clear
 *   `unreadable_page` error is the defined outcome (else the page is held to the rules above);
 * - `bound`: the most milliseconds the reply may take (3× the time measured on a 2-core machine, at least 20 s).
 * @typedef {{
 *   name: string,
 *   url: () => string,
 *   visible: string,
 *   sentences?: string[],
 *   want?: number,
 *   bound: number,
 *   check?: (reply: any, ctx: {page: import('playwright-core').Page, hits: string[], tabId: number}) => Promise<string> | string,
 *   errors?: string[],
 *   mayCrash?: boolean,
 *   todo?: string,
 * }} Case
 */

/** @type {{name: string, outcome: string, ms: number, ok: boolean, todo?: string}[]} */
const table = [];

/**
 * A summary of `want` distinct sentences, each in the page's visible text (and, with `sentences`, holding at least
 * one whole sentence of the source), without replacement characters.
 * @param {any} r @param {Case} c
 */
function checkSummary(r, c) {
  const visible = norm(c.visible);
  const ss = r.summary.sentences.map((/** @type {any} */ s) => String(s.text));
  for (const s of ss) {
    assert.ok(!s.includes('\uFFFD'), `replacement character in: ${s}`);
    assert.ok(visible.includes(norm(s)), `summary sentence not in the page's visible text: ${s.slice(0, 300)}`);
    if (c.sentences) assert.ok(c.sentences.some((x) => norm(s).includes(norm(x))), `not a sentence of the page: ${s.slice(0, 300)}`);
  }
  const want = c.want ?? 3;
  assert.equal(new Set(ss.map(norm)).size, ss.length, `repeated sentences: ${JSON.stringify(ss)}`);
  assert.ok(ss.length >= want, `${ss.length} sentence(s) where ${want} were asked for: ${JSON.stringify(ss)}`);
  return ss;
}

/** Capture the tab as the service worker does (page_capture.js in the extension's isolated world). @param {number} tabId */
async function captureTab(tabId) {
  if (!asker) throw new Error('no browser');
  return asker.evaluate(async (id) => {
    const { capturePage } = await import('./page_capture.js');
    const [res] = await chrome.scripting.executeScript({ target: { tabId: id }, func: capturePage, args: [false] });
    return res.result;
  }, tabId);
}

/** @param {Case} c */
async function runCase(c) {
  const { b, asker: from } = await ensureBrowser();
  const page = await b.ctx.newPage();
  let crashed = false;
  page.on('crash', () => { crashed = true; });
  /** @type {string[]} */
  const hits = [];
  page.on('console', (m) => { if (m.text().startsWith('scout-odd-hit ')) hits.push(m.text().slice(14)); });
  const url = c.url();
  try {
    await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
  } catch (e) {
    if (!(c.mayCrash && crashed)) throw e;
  }
  if (c.mayCrash && !crashed) await page.waitForEvent('crash', { timeout: 2_000 }).catch(() => {});
  const crashedBefore = crashed;
  const tabId = await tabIdOf(b.sw, url);
  const hitsBefore = hits.length;
  const t0 = performance.now();
  /** @type {any} */
  let reply;
  let timedOut = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  try {
    reply = await Promise.race([
      ask(from, { type: 'summarize', tabId }),
      new Promise((_, reject) => { timer = setTimeout(() => { timedOut = true; reject(new Error(`no reply within ${c.bound} ms`)); }, c.bound); }),
    ]);
  } catch (e) {
    const ms = performance.now() - t0;
    table.push({ name: c.name, outcome: `NO REPLY: ${String(e).slice(0, 120)}`, ms, ok: false, todo: c.todo });
    // The engine may still be busy with this page: the next case gets a fresh browser.
    if (timedOut) await dropBrowser();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  const ms = performance.now() - t0;
  try {
    assert.ok(!crashed || crashedBefore, 'the page crashed while Scout read it');
    let outcome;
    if (reply.ok) {
      assert.equal(reply.type, 'summary', JSON.stringify(reply).slice(0, 300));
      const ss = checkSummary(reply, c);
      const extra = c.check ? await c.check(reply, { page, hits: hits.slice(hitsBefore), tabId }) : '';
      outcome = `${reply.tier} summary, ${ss.length} sentences${extra ? `; ${extra}` : ''}`;
    } else {
      const words = await uiErrorText(reply.error);
      const allowed = [...(c.errors || []), ...(crashedBefore ? ['unreadable_page'] : [])];
      assert.ok(allowed.includes(reply.error.code), `error ${reply.error.code}: ${words}`);
      assert.ok(words.trim().length > 0, 'the error has words for the UI');
      if (crashedBefore) assert.match(words, /reload it/, 'a crashed page is not a missing permission');
      outcome = `${crashedBefore ? 'renderer crashed by itself before Scout was asked; ' : ''}error ${reply.error.code}: "${words}"`;
    }
    assert.ok(ms <= c.bound, `took ${ms.toFixed(0)} ms, bound ${c.bound} ms`);
    table.push({ name: c.name, outcome, ms, ok: true, todo: c.todo });
  } catch (e) {
    table.push({ name: c.name, outcome: `FAILED: ${String(/** @type {any} */ (e).message || e).split('\n')[0].slice(0, 200)}`, ms, ok: false, todo: c.todo });
    throw e;
  } finally {
    await page.close().catch(() => {});
  }
}

/** @type {Case[]} */
const CASES = [];

// 1. A 10 MB page: many paragraphs of varied generated text.
{
  const paras = paragraphs(19_000, 1);
  const html = articlePage({ title: 'Ten megabytes of valley news', paras });
  CASES.push({
    name: '1. 10 MB page',
    url: () => { A.routes.set('/big10mb', { body: html, type: HTML }); return `${A.base}/big10mb`; },
    visible: paras.join('\n'),
    bound: 35_000,
    check: () => `page ${(Buffer.byteLength(html) / 1e6).toFixed(1)} MB`,
  });
}

// 2. A 100,000-element page: 11,111 one-sentence paragraphs, each sentence split into 8 <span>s (9 elements each).
/** @param {string[]} ss sentences of at least 8 words @param {string} title */
function spanPage(ss, title) {
  const spans = (/** @type {string} */ s) => {
    const w = s.split(' ');
    const cut = Array.from({ length: 9 }, (_, k) => Math.round((k * w.length) / 8));
    return Array.from({ length: 8 }, (_, k) => `<span>${esc(w.slice(cut[k], cut[k + 1]).join(' '))}</span>`).join(' ');
  };
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><article><h1>${title}</h1>\n${ss.map((s) => `<p>${spans(s)}</p>`).join('\n')}\n</article></body></html>`;
}
{
  const r = rng(2);
  /** @type {Set<string>} */
  const seen = new Set();
  while (seen.size < 11_111) {
    const s = sentence(r);
    if (s.split(' ').length >= 8) seen.add(s);
  }
  const ss = [...seen];
  const html = spanPage(ss, 'A hundred thousand different elements');
  CASES.push({
    name: '2. 100,000 elements',
    url: () => { A.routes.set('/elements', { body: html, type: HTML }); return `${A.base}/elements`; },
    visible: ss.join('\n'),
    bound: 27_000,
    check: async (_r, { page }) => `${await page.evaluate(() => document.querySelectorAll('article *').length)} elements in the article`,
  });
  // The same size, as a list of short items: each item is the first 8 words of a generated sentence, and a quarter
  // of them are six stock lines, each repeated about 450 times (as a feed repeats its "Read more" lines).
  const r2 = rng(2);
  /** @type {string[]} */
  const items = [];
  while (items.length < 11_111) {
    const w = sentence(r2).split(' ');
    if (w.length >= 8) items.push(w.slice(0, 8).join(' ').replace(/[.,]$/, '') + '.');
  }
  const html2 = spanPage(items, 'A hundred thousand elements');
  CASES.push({
    name: '2b. 100,000 elements, lines repeated',
    url: () => { A.routes.set('/elements-repeated', { body: html2, type: HTML }); return `${A.base}/elements-repeated`; },
    visible: items.join('\n'),
    bound: 20_000,
    check: () => `${new Set(items).size} distinct of ${items.length} lines`,
  });
}

// 3. One 2 MB paragraph.
{
  const r = rng(3);
  /** @type {string[]} */
  const ss = [];
  let len = 0;
  while (len < 2_000_000) { const s = sentence(r); ss.push(s); len += s.length + 1; }
  const text = ss.join(' ');
  CASES.push({
    name: '3. one 2 MB paragraph',
    url: () => { A.routes.set('/paragraph', { body: articlePage({ title: 'One very long paragraph', paras: [text] }), type: HTML }); return `${A.base}/paragraph`; },
    visible: text,
    bound: 20_000,
  });
}

// 4. Deep nesting: 10,000 levels of <div>.
// - 4a: built by script, so the DOM really is 10,000 deep (the HTML parser stops nesting at 512 levels), with
//   paragraphs at every 1,000th level and the article at the bottom. The <div>s are `display: contents`: laid out
//   as boxes, a tree this deep crashes Chromium's renderer by itself (4c);
// - 4b: 10,000 <div> tags in the HTML source (Chromium's parser flattens them beyond 512 levels);
// - 4c: the same tree as 4a laid out: Chromium's renderer crashes by itself before Scout is asked (on the 2-core
//   test machine 2,000 levels render and 3,000 crash); Scout must then answer with a clear error in bounded time,
//   and keep working (the last test asks the same engine again).
/** @param {string[]} paras @param {string} style */
function deepPage(paras, style) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ten thousand levels deep</title><style>${style}</style></head><body><div id="root"></div>
<script>
const paras = ${scriptJson(paras)};
let cur = document.getElementById('root');
for (let i = 1; i <= 10000; i++) {
  const d = document.createElement('div');
  cur.appendChild(d);
  cur = d;
  if (i % 1000 === 0 && i < 10000) { const p = document.createElement('p'); p.textContent = paras[i / 1000 - 1]; cur.appendChild(p); }
}
const h = document.createElement('h1'); h.textContent = 'Ten thousand levels deep'; cur.appendChild(h);
for (const t of paras.slice(9)) { const p = document.createElement('p'); p.textContent = t; cur.appendChild(p); }
document.body.dataset.depth = String((() => { let n = 0; for (let e = cur; e; e = e.parentElement) n++; return n; })());
</script></body></html>`;
}
{
  const paras = paragraphs(12, 4);
  CASES.push({
    name: '4a. 10,000 nested <div> (DOM, display: contents)',
    url: () => { A.routes.set('/deep', { body: deepPage(paras, '#root div { display: contents }'), type: HTML }); return `${A.base}/deep`; },
    visible: paras.join('\n'),
    bound: 20_000,
    check: async (_r, { page }) => {
      const depth = Number(await page.evaluate(() => document.body.dataset.depth));
      assert.ok(depth > 10_000, `DOM depth ${depth}`);
      return `DOM depth ${depth}`;
    },
  });
  const paras2 = paragraphs(8, 41);
  const src = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ten thousand div tags</title></head><body>${'<div>'.repeat(10_000)}<h1>Ten thousand div tags</h1>${paras2.map((p) => `<p>${esc(p)}</p>`).join('')}${'</div>'.repeat(10_000)}</body></html>`;
  CASES.push({
    name: '4b. 10,000 nested <div> (HTML source)',
    url: () => { A.routes.set('/deep-source', { body: src, type: HTML }); return `${A.base}/deep-source`; },
    visible: paras2.join('\n'),
    bound: 20_000,
  });
  CASES.push({
    name: '4c. 10,000 nested <div> laid out (renderer crash)',
    url: () => { A.routes.set('/deep-crash', { body: deepPage(paras, ''), type: HTML }); return `${A.base}/deep-crash`; },
    visible: paras.join('\n'),
    bound: 20_000,
    mayCrash: true,
  });
}

// 5. Legacy encodings, declared in the Content-Type header, and only in <meta charset>.
for (const [lang, codec, label] of /** @type {const} */ ([['ja', 'shift_jis', 'Shift_JIS'], ['ru', 'cp1251', 'windows-1251'], ['zh', 'gbk', 'GBK']])) {
  const t = TEXTS[lang];
  const paras = pairs(t.sentences, lang === 'ru' ? ' ' : '');
  for (const where of /** @type {const} */ (['header', 'meta'])) {
    const path = `/enc-${lang}-${where}`;
    CASES.push({
      name: `5. ${label} (charset in ${where === 'header' ? 'Content-Type' : '<meta> only'})`,
      url: () => {
        const page = articlePage({ title: t.title, paras, lang }).replace('<meta charset="utf-8">', where === 'meta' ? `<meta charset="${label}">` : '');
        A.routes.set(path, { body: pyEncode(page, codec), type: where === 'header' ? `text/html; charset=${label}` : 'text/html' });
        return `${A.base}${path}`;
      },
      visible: paras.join('\n'),
      sentences: t.sentences,
      bound: 20_000,
      check: async (r, { page }) => {
        assert.equal(r.title, t.title, 'the title is decoded');
        assert.equal(await page.evaluate(() => document.characterSet), label, 'the browser decoded the page as declared');
        return `title "${r.title}", first sentence "${r.summary.sentences[0].text.slice(0, 16)}…"`;
      },
    });
  }
}

// 6. Right-to-left pages (Arabic, Hebrew) and a CJK page.
for (const [lang, dir] of /** @type {const} */ ([['ar', 'rtl'], ['he', 'rtl'], ['ja', undefined]])) {
  const t = TEXTS[lang];
  const paras = pairs(t.sentences, lang === 'ja' ? '' : ' ');
  CASES.push({
    name: `6. ${lang}${dir ? ' dir=rtl' : ' (CJK)'}`,
    url: () => { A.routes.set(`/script-${lang}`, { body: articlePage({ title: t.title, paras, lang, dir }), type: HTML }); return `${A.base}/script-${lang}`; },
    visible: paras.join('\n'),
    sentences: t.sentences,
    bound: 20_000,
    check: (r) => { assert.equal(r.title, t.title); return `lang ${r.lang}`; },
  });
}

// 7. Frames: the article in a same-origin iframe, and in a cross-origin one (another port of 127.0.0.1).
{
  const paras = paragraphs(8, 7);
  const intro = 'This site shows its stories in a frame below. Use the menu to find older stories.';
  const frame = articlePage({ title: 'The framed article', paras });
  for (const kind of /** @type {const} */ (['same-origin', 'cross-origin'])) {
    CASES.push({
      name: `7. article in a ${kind} iframe`,
      url: () => {
        const server = kind === 'same-origin' ? A : B;
        server.routes.set(`/frame-${kind}`, { body: frame, type: HTML });
        A.routes.set(`/framed-${kind}`, { body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Framed stories</title></head><body><header><p>${intro}</p></header><iframe src="${server.base}/frame-${kind}" width="900" height="600" title="story"></iframe></body></html>`, type: HTML });
        return `${A.base}/framed-${kind}`;
      },
      visible: `${intro}\n${paras.join('\n')}`,
      // The top document holds two sentences of its own: a summary of it alone has two.
      want: 2,
      bound: 20_000,
      errors: ['empty_page'],
      check: (r) => {
        const fromFrame = r.summary.sentences.some((/** @type {any} */ s) => norm(paras.join(' ')).includes(norm(s.text)));
        return `reads ${fromFrame ? "the frame's article" : 'the top document only (not the frame)'}`;
      },
    });
  }
}

// 8. Shadow DOM: the article inside an open shadow root, and inside a closed one.
{
  const paras = paragraphs(8, 8);
  const intro = 'Stories from the coast, collected by our readers. New stories appear every week.';
  for (const mode of /** @type {const} */ (['open', 'closed'])) {
    CASES.push({
      name: `8. article in ${mode === 'open' ? 'an' : 'a'} ${mode} shadow root`,
      url: () => {
        A.routes.set(`/shadow-${mode}`, {
          body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shadow stories</title></head><body><header><p>${intro}</p></header><div id="host"></div>
<script>
const root = document.getElementById('host').attachShadow({ mode: '${mode}' });
const art = document.createElement('article');
const h = document.createElement('h1'); h.textContent = 'The shadowed article'; art.appendChild(h);
for (const t of ${scriptJson(paras)}) { const p = document.createElement('p'); p.textContent = t; art.appendChild(p); }
root.appendChild(art);
</script></body></html>`,
          type: HTML,
        });
        return `${A.base}/shadow-${mode}`;
      },
      visible: `${intro}\n${paras.join('\n')}`,
      // The top document holds two sentences of its own: a summary of it alone has two.
      want: 2,
      bound: 20_000,
      errors: ['empty_page'],
      check: (r) => {
        const fromShadow = r.summary.sentences.some((/** @type {any} */ s) => norm(paras.join(' ')).includes(norm(s.text)));
        return `reads ${fromShadow ? 'the shadow root\'s article' : 'the light DOM only (not the shadow root)'}`;
      },
    });
  }
}

// 9. A page that adds and removes paragraphs every 5 ms while it is captured.
{
  const paras = paragraphs(10, 9);
  const pool = paragraphs(40, 99);
  CASES.push({
    name: '9. mutating every 5 ms',
    url: () => {
      A.routes.set('/mutating', {
        body: articlePage({
          title: 'A page that never sits still',
          paras,
          after: `<section id="live"></section><script>
const pool = ${scriptJson(pool)};
const box = document.getElementById('live');
let i = 0;
window.__mutations = 0;
setInterval(() => {
  const p = document.createElement('p'); p.textContent = pool[i++ % pool.length]; box.appendChild(p);
  if (box.children.length > 12) box.children[Math.floor(Math.random() * box.children.length)].remove();
  window.__mutations++;
}, 5);
</script>`,
        }),
        type: HTML,
      });
      return `${A.base}/mutating`;
    },
    visible: [...paras, ...pool].join('\n'),
    bound: 20_000,
    check: async (_r, { page }) => {
      const before = await page.evaluate(() => /** @type {any} */ (window).__mutations);
      await new Promise((res) => setTimeout(res, 100));
      const after = await page.evaluate(() => /** @type {any} */ (window).__mutations);
      assert.ok(after > before, 'the page kept mutating');
      return `page still mutating (${after} mutations so far)`;
    },
  });
}

// 10. A page that redefines the DOM and JS built-ins the capture uses, before the capture runs.
{
  const paras = paragraphs(8, 10);
  const hostile = `<script>
(() => {
  const hit = (n) => console.debug('scout-odd-hit ' + n);
  const getter = (proto, name, value) => Object.defineProperty(proto, name, { configurable: true, get() { hit(name); return value; } });
  getter(Node.prototype, 'textContent', 'PWNED textContent. PWNED again.');
  getter(HTMLElement.prototype, 'innerText', 'PWNED innerText. PWNED again.');
  getter(Element.prototype, 'outerHTML', '<p>PWNED outerHTML. PWNED again.</p>');
  getter(Element.prototype, 'tagName', 'SCRIPT');
  getter(Document.prototype, 'title', 'PWNED title');
  getter(Document.prototype, 'body', null);
  getter(Document.prototype, 'documentElement', null);
  getter(HTMLElement.prototype, 'hidden', true);
  Element.prototype.querySelectorAll = function () { hit('Element.querySelectorAll'); return []; };
  Document.prototype.querySelectorAll = function () { hit('Document.querySelectorAll'); return []; };
  Element.prototype.getAttribute = function () { hit('getAttribute'); return 'true'; };
  Element.prototype.setAttribute = function () { hit('setAttribute'); throw new Error('PWNED setAttribute'); };
  Element.prototype.remove = function () { hit('remove'); };
  Document.prototype.importNode = function () { hit('importNode'); return document.createElement('div'); };
  Node.prototype.cloneNode = function () { hit('cloneNode'); return document.createElement('div'); };
  DOMImplementation.prototype.createHTMLDocument = function () { hit('createHTMLDocument'); throw new Error('PWNED'); };
  window.getComputedStyle = function () { hit('getComputedStyle'); return { display: 'none', visibility: 'hidden', position: 'fixed' }; };
  Object.defineProperty(window, 'innerWidth', { get() { hit('innerWidth'); return -5000; } });
  window.getSelection = function () { hit('getSelection'); return 'PWNED selection. PWNED again.'; };
  Array.prototype.map = function () { hit('Array.map'); return ['PWNED map']; };
  Array.prototype.push = function () { hit('Array.push'); return 0; };
  Array.prototype[Symbol.iterator] = function* () { hit('Array.iterator'); yield 'PWNED'; };
  NodeList.prototype[Symbol.iterator] = function* () { hit('NodeList.iterator'); };
  JSON.stringify = function () { hit('JSON.stringify'); return '"PWNED"'; };
  JSON.parse = function () { hit('JSON.parse'); return { pwned: true }; };
  String.prototype.replace = function () { hit('String.replace'); return 'PWNED replace'; };
  String.prototype.trim = function () { hit('String.trim'); return 'PWNED trim'; };
  Set.prototype.has = function () { hit('Set.has'); return false; };
  window.Set = function () { hit('Set'); return { has: () => false }; };
  window.String = function () { hit('String'); return 'PWNED String'; };
  Object.defineProperty = function () { hit('Object.defineProperty'); throw new Error('PWNED'); };
})();
</script>`;
  CASES.push({
    name: '10. redefined built-ins (main world)',
    url: () => { A.routes.set('/redefined', { body: articlePage({ title: 'A page that rewrites the DOM', paras, head: hostile }), type: HTML }); return `${A.base}/redefined`; },
    visible: paras.join('\n'),
    bound: 20_000,
    check: (r, { hits }) => {
      assert.equal(r.title, 'A page that rewrites the DOM', 'the title is the real one');
      assert.ok(!JSON.stringify(r).includes('PWNED'), 'nothing the page redefined reached the reply');
      assert.deepEqual(hits, [], 'none of the page\'s redefined functions ran while Scout read it');
      const redefined = (hostile.match(/^ {2}getter\(/gm) || []).length + (hostile.match(/hit\('/g) || []).length;
      return `none of the page's ${redefined} redefinitions ran in Scout's world`;
    },
  });
}

// 10b. DOM clobbering aimed at what page_capture.js reads: `document.X` (in the page's own world, document's named
// properties override its members for <img name>, <form name>, <embed name>, <iframe name>, <object name>: the page
// sees an <img> as `document.body`) and window globals by id. Chromium does not expose document's named properties
// to an extension's isolated world, where the capture runs, so this must not change what Scout reads.
{
  const paras = paragraphs(8, 11);
  const clobber = ['documentElement', 'body', 'implementation', 'title', 'contentType']
    .map((n) => `<img name="${n}" alt="" width="1" height="1">`).join('')
    + '<form id="document"></form><form name="getSelection"></form><img name="getComputedStyle" alt="" width="1" height="1">'
    + '<a id="chrome" href="#top"></a><a id="location" href="#top"></a><img id="innerWidth" alt="" width="1" height="1">'
    + '<a id="scrollY" href="#top"></a><form id="window"></form><a id="JSON" href="#top"></a><a id="Set" href="#top"></a>';
  CASES.push({
    name: '10b. DOM clobbering of document.* / globals',
    url: () => { A.routes.set('/clobber', { body: articlePage({ title: 'A page that clobbers the document', paras, before: clobber }), type: HTML }); return `${A.base}/clobber`; },
    visible: paras.join('\n'),
    bound: 20_000,
    check: async (r, { page }) => {
      assert.equal(await page.evaluate(() => document.body instanceof HTMLImageElement), true, 'the clobbering is in effect in the page');
      assert.equal(r.title, 'A page that clobbers the document', 'the title is the real one');
      return 'visible text read despite clobbered document.body/documentElement/implementation/title';
    },
  });
  // A form's controls override the form element's own members in every world: `form.remove` is a control named
  // "remove". A shop's mini-cart, hidden until opened, with a "remove" button per item, is an ordinary page.
  const cart = '<form id="mini-cart" action="#" style="display:none"><p>Your basket holds one item.</p>'
    + '<button name="remove" value="sku-1041">Remove</button><button name="checkout">Check out</button></form>';
  CASES.push({
    name: '10c. hidden cart form with a button named "remove"',
    url: () => { A.routes.set('/clobber-cart', { body: articlePage({ title: 'A shop page with a mini-cart', paras, after: cart }), type: HTML }); return `${A.base}/clobber-cart`; },
    visible: paras.join('\n'),
    bound: 20_000,
    check: (r) => {
      assert.equal(r.title, 'A shop page with a mini-cart');
      assert.ok(!JSON.stringify(r).includes('basket'), 'the hidden cart is not read');
      return 'the article is read; the hidden cart is not';
    },
  });
  // And a visible form whose controls shadow the element methods and properties the capture calls.
  const formText = 'Search the archive for older stories about the valley and its people.';
  const formClobber = `<form action="#" class="search"><p>${formText}</p>${['setAttribute', 'getAttribute', 'hidden', 'tagName', 'querySelectorAll', 'getBoundingClientRect', 'innerText', 'textContent', 'outerHTML', 'attributes', 'children']
    .map((n) => `<input type="hidden" name="${n}">`).join('')}<input type="search" name="q" aria-label="search"></form>`;
  CASES.push({
    name: '10d. form controls named setAttribute, getAttribute, hidden…',
    url: () => { A.routes.set('/clobber-form', { body: articlePage({ title: 'A page with a clobbering form', paras, after: formClobber }), type: HTML }); return `${A.base}/clobber-form`; },
    visible: `${paras.join('\n')}\n${formText}`,
    bound: 20_000,
    check: async (r, { tabId }) => {
      assert.equal(r.title, 'A page with a clobbering form');
      const captured = await captureTab(tabId);
      assert.ok(captured && captured.html.includes(formText), 'the visible form\'s text is in the captured HTML');
      return 'visible text read, the visible form included';
    },
  });
}

for (const c of CASES) {
  test(c.name, c.todo ? { todo: c.todo } : {}, () => runCase(c));
}

test('the engine still answers after the odd pages; the table', async () => {
  try {
    const { b, asker: from } = await ensureBrowser();
    const url = `${sample.base}/sample/article.html`;
    await openPage(b.ctx, url);
    const r = await ask(from, { type: 'summarize', tabId: await tabIdOf(b.sw, url), refresh: true });
    assert.equal(r.ok, true, JSON.stringify(r.error));
  } finally {
    await dropBrowser();
    const handled = table.filter((t) => t.ok).length;
    const width = Math.max(...table.map((t) => t.name.length));
    console.log(`odd pages handled ${handled} / tried ${table.length}`);
    for (const t of table) console.log(`  ${t.ok ? 'ok  ' : t.todo ? 'TODO' : 'FAIL'} ${t.name.padEnd(width)}  ${String(Math.round(t.ms)).padStart(6)} ms  ${t.outcome}`);
    const todo = table.filter((t) => !t.ok && t.todo);
    if (todo.length) console.log(`known bugs (todo): ${todo.map((t) => `${t.name}: ${t.todo}`).join(' | ')}`);
  }
});

test('network audit: nothing the extension did in these tests left 127.0.0.1', () => {
  assert.ok(auditLaunched() >= 1, 'the tests above launched a browser');
});
