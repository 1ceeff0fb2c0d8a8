// The browser tests: the reference apps in Chromium against a running local stack (with the
// pipeline stand-in). Run by tests/web/test_browser.py (make test), or by hand with `make dev`
// running: `node test/browser.mjs results.json` in web/. Scenarios share pages and run in order;
// each result is {name, ok, seconds, error?}. Screenshots go to BABELCAST_SCREENSHOTS.
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import {
  captions,
  create,
  endpoints,
  joinListener,
  launch,
  openPage,
  signIn,
  waitForCaptions,
  waitForState,
} from "./harness.mjs";

const [out = "browser-results.json"] = process.argv.slice(2);
const wav = process.env.BABELCAST_FAKE_MIC_WAV;
const shots = process.env.BABELCAST_SCREENSHOTS ?? "../.local/reports";
if (!wav) throw new Error("set BABELCAST_FAKE_MIC_WAV to a WAV file (the fake microphone)");
mkdirSync(shots, { recursive: true });

const doc = endpoints();
const browser = await launch(wav);
const s = {}; // what the scenarios share: pages and the session
const results = [];

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function screenshot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

const scenarios = {
  "speaker signs in, creates and streams; es and fr listeners get their own language": async () => {
    s.speaker = await openPage(browser, `${doc.webAppUrl}/speaker/`);
    await signIn(s.speaker, doc);
    Object.assign(s, await create(s.speaker));
    check(/^[a-z]+-[a-z]+-\d+$/.test(s.sessionId), `session id ${s.sessionId}`);
    check(s.link.includes(`session=${s.sessionId}`), `listener link ${s.link}`);
    check((await s.speaker.locator("#qr svg").count()) === 1, "no QR code");
    s.es = await joinListener(browser, s.link, "es");
    s.fr = await joinListener(browser, s.link, "fr");
    await s.speaker.waitForFunction(() => document.querySelector("#listener-count")?.textContent === "2");
    check((await captions(s.es)).length === 0, "a caption before any audio");
    await s.speaker.click("#mic");
    await waitForCaptions(s.es, /^\[es\] segment \d+ — \d\.\d s of audio$/, 2);
    await waitForCaptions(s.fr, /^\[fr\] segment \d+ — /, 2);
    check(!(await captions(s.es)).some((text) => text.startsWith("[fr]")), "French reached the Spanish listener");
    check(!(await captions(s.fr)).some((text) => text.startsWith("[es]")), "Spanish reached the French listener");
    for (const page of [s.es, s.fr])
      await page.waitForFunction(() => document.querySelector("#audio-played")?.textContent !== "0.0 s");
    const times = await Promise.all(
      [s.speaker, s.es].map((page) => page.evaluate(() => ({ ...document.body.dataset }))),
    );
    s.latency = {
      firstCaptionMs: Math.round(Number(times[1].firstCaptionAt) - Number(times[0].firstAudioAt)),
      firstAudioMs: Math.round(Number(times[1].firstAudioAt) - Number(times[0].firstAudioAt)),
    };
    await screenshot(s.speaker, "speaker-live");
    await screenshot(s.es, "listener-live");
  },

  "pause shows paused on both listeners and resume continues": async () => {
    await s.speaker.click("#pause");
    await Promise.all([waitForState(s.es, "paused"), waitForState(s.fr, "paused"), waitForState(s.speaker, "paused")]);
    await screenshot(s.es, "listener-paused");
    await s.speaker.click("#resume");
    await Promise.all([waitForState(s.es, "live"), waitForState(s.fr, "live")]);
    const before = (await captions(s.es)).length;
    await waitForCaptions(s.es, /^\[es\] segment/, before + 1);
  },

  "a listener changes language mid-session": async () => {
    await s.fr.selectOption("#language", "de");
    await waitForCaptions(s.fr, /^\[de\] segment \d+/, 1);
    check(new URL(s.fr.url()).searchParams.get("lang") === "de", "the URL keeps the language for a reload");
  },

  "a listener page reload rejoins the same session": async () => {
    await s.es.reload();
    await waitForState(s.es, "live", 30_000);
    check((await s.es.textContent("#session-label")) === s.sessionId, "rejoined another session");
    await waitForCaptions(s.es, /^\[es\] segment/, 1);
  },

  "end shows ended on the listeners and closes their sockets": async () => {
    await s.speaker.click("#end");
    await Promise.all([waitForState(s.es, "ended"), waitForState(s.fr, "ended"), waitForState(s.speaker, "ended")]);
    const deadline = Date.now() + 10_000;
    // each page's current socket (a reload left the one before it behind)
    const open = () => [s.es, s.fr].map((page) => page.sockets.at(-1)).filter((socket) => !socket?.closed);
    while (open().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    check(open().length === 0, `${open().length} listener socket(s) still open after the end`);
    await screenshot(s.es, "listener-ended");
    await screenshot(s.speaker, "speaker-ended");
  },

  "the flag-off (legacy WebSocket createSession) path streams too": async () => {
    const speaker = await openPage(browser, `${doc.webAppUrl}/speaker/?legacy=1`);
    await signIn(speaker, doc);
    const { link } = await create(speaker, { legacy: true, language: "de" });
    check((await speaker.textContent("#creation-method"))?.includes("legacy"), "not created over the socket");
    const listener = await joinListener(browser, link, "it");
    await speaker.click("#mic");
    await waitForCaptions(listener, /^\[it\] segment \d+/, 1);
    await speaker.click("#end");
    await waitForState(listener, "ended");
  },

  "a page from an origin that is not allowed is refused by CORS": async () => {
    const server = createServer((_, response) => response.end("<!doctype html><title>elsewhere</title>"));
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const elsewhere = await openPage(browser, `http://127.0.0.1:${server.address().port}/`);
      const url = `${doc.httpApiUrl}/sessions/${s.sessionId}`;
      const attempt = (target) =>
        fetch(target).then(
          (response) => `status ${response.status}`,
          (error) => `refused: ${error.name}`,
        );
      const refused = await elsewhere.evaluate(attempt, url);
      check(refused === "refused: TypeError", `from a foreign origin: ${refused}`);
      const allowed = await s.speaker.evaluate(attempt, url);
      check(allowed === "status 200", `from the apps' origin: ${allowed}`);
    } finally {
      server.close();
    }
  },
};

for (const [name, scenario] of Object.entries(scenarios)) {
  const started = performance.now();
  try {
    await scenario();
    results.push({ name, ok: true, seconds: (performance.now() - started) / 1000 });
  } catch (error) {
    results.push({
      name,
      ok: false,
      seconds: (performance.now() - started) / 1000,
      error: String(error?.stack ?? error),
    });
  }
}
const pageErrors = [s.speaker, s.es, s.fr].flatMap((page) => page?.consoleErrors ?? []);
writeFileSync(out, JSON.stringify({ results, latency: s.latency, pageErrors }, null, 2));
await browser.close();
for (const result of results)
  console.log(`${result.ok ? "ok  " : "FAIL"} ${result.seconds.toFixed(1)} s  ${result.name}`);
if (s.latency)
  console.log(
    `first caption ${s.latency.firstCaptionMs} ms, first audio ${s.latency.firstAudioMs} ms after the first audio sent`,
  );
process.exit(results.every((result) => result.ok) ? 0 : 1);
