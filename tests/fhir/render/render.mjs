// Loads every Questionnaire the server publishes (en and es) into LHC-Forms, the NLM's SDC
// renderer, in headless Chromium, and checks that the renderer shows every item:
//  1. the Questionnaire alone: every item without `enableWhen` is on the page and every item
//     with one is not (the renderer read our conditions);
//  2. with a QuestionnaireResponse that meets each condition: every item is on the page.
//
// usage: tests/fhir/render.sh (starts a server, fetches lforms, runs this), or
//   INTAKE_API_URL=http://127.0.0.1:8080 LFORMS_DIR=path/to/lforms/dist/lforms node render.mjs
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";

import { chromium } from "playwright-core";

const api = process.env.INTAKE_API_URL ?? "http://127.0.0.1:8080";
const lforms = process.env.LFORMS_DIR ?? ".lforms/40.1.3/package/dist/lforms";
const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";

const PAGE = `<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/lforms/webcomponent/styles.css">
<script src="/lforms/webcomponent/assets/lib/zone.min.js"></script>
<script src="/lforms/webcomponent/runtime.js" type="module"></script>
<script src="/lforms/webcomponent/polyfills.js" type="module"></script>
<script src="/lforms/webcomponent/main.js" type="module"></script>
<script src="/lforms/fhir/R4/lformsFHIR.min.js" defer></script>
</head><body><div id="form"></div></body></html>`;

const TYPES = { ".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".html": "text/html" };

// The page and the renderer's files, from this machine (no network).
const server = createServer(async (req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  if (path === "/") {
    res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
    return;
  }
  if (path.startsWith("/lforms/")) {
    const file = normalize(join(lforms, path.slice("/lforms/".length)));
    if (file.startsWith(normalize(lforms))) {
      try {
        const body = await readFile(file);
        res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
        return;
      } catch {
        // fall through to 404
      }
    }
  }
  res.writeHead(404).end();
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const origin = `http://127.0.0.1:${server.address().port}`;

/** Every item, groups included, depth first. */
function flatten(items) {
  return items.flatMap((i) => [i, ...flatten(i.item ?? [])]);
}

/** A response answering each condition's question with the answer its first `enableWhen` wants. */
function responseMeetingConditions(q) {
  const wanted = new Map();
  for (const item of flatten(q.item)) {
    for (const w of item.enableWhen ?? []) {
      if (!wanted.has(w.question)) {
        const [key] = Object.keys(w).filter((k) => k.startsWith("answer"));
        wanted.set(w.question, { [key.replace("answer", "value")]: w[key] });
      }
    }
  }
  const answer = (items) =>
    items.flatMap((i) => {
      if (i.type === "group") {
        const inner = answer(i.item ?? []);
        return inner.length ? [{ linkId: i.linkId, item: inner }] : [];
      }
      return wanted.has(i.linkId) ? [{ linkId: i.linkId, answer: [wanted.get(i.linkId)] }] : [];
    });
  return { resourceType: "QuestionnaireResponse", status: "in-progress", questionnaire: q.url, item: answer(q.item) };
}

const browser = await chromium.launch({ executablePath: browserPath, args: ["--no-sandbox"] });
const page = await browser.newPage();
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
page.on("response", (r) => {
  // Browsers ask for a favicon of their own accord; anything else missing is an error.
  if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) errors.push(`${r.status()} ${r.url()}`);
});
await page.goto(origin);
await page.waitForFunction(() => window.LForms?.Util?.addFormToPage, null, { timeout: 30000 });

/** The text LHC-Forms shows after loading `q` (with `qr` merged in, when given). */
async function rendered(q, qr) {
  return page.evaluate(
    async ([q, qr]) => {
      const el = document.getElementById("form");
      await LForms.Util.addFormToPage(q, el, { fhirVersion: "R4", ...(qr ? { questionnaireResponse: qr } : {}) });
      await new Promise((r) => setTimeout(r, 50)); // let the view settle after onFormReady
      return el.innerText.replace(/\s+/g, " ");
    },
    [q, qr],
  );
}

const norm = (s) => s.replace(/\s+/g, " ").trim();
let failures = 0;
let checked = 0;
for (const lang of ["en", "es"]) {
  const bundle = await (await fetch(`${api}/api/v1/fhir/Questionnaire?lang=${lang}`)).json();
  for (const { resource: q } of bundle.entry) {
    const items = flatten(q.item).filter((i) => i.text);
    const conditional = new Set(flatten(q.item).filter((i) => i.enableWhen).map((i) => i.linkId));
    const plain = await rendered(q);
    const full = await rendered(q, responseMeetingConditions(q));
    const problems = [];
    for (const item of items) {
      const text = norm(item.text);
      if (conditional.has(item.linkId)) {
        if (plain.includes(text)) problems.push(`${item.linkId} shown before its condition holds`);
      } else if (!plain.includes(text)) {
        problems.push(`${item.linkId} missing`);
      }
      if (!full.includes(text)) problems.push(`${item.linkId} missing when its condition holds`);
    }
    checked += items.length;
    if (problems.length) {
      failures += 1;
      console.error(`FAIL ${q.id} (${lang}): ${problems.join("; ")}`);
    } else {
      console.log(`ok ${q.id} (${lang}): ${items.length} items, ${conditional.size} conditional`);
    }
  }
}
await browser.close();
server.close();
if (errors.length) {
  console.error(`page errors:\n  ${errors.join("\n  ")}`);
}
console.log(`${checked} items checked; ${failures} questionnaire(s) failed`);
process.exit(failures || errors.length ? 1 : 0);
