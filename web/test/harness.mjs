// Drives the reference apps in Chromium (playwright-core, Debian's Chromium) against a running
// local stack: shared by the browser tests (browser.mjs) and the latency script (latency.mjs).
import { existsSync, readFileSync } from "node:fs";
import { chromium } from "playwright-core";

export function endpoints(path = process.env.BABELCAST_ENDPOINTS_FILE ?? "../.local/endpoints.json") {
  if (!existsSync(path)) throw new Error(`no ${path}: start the stack with \`make dev\``);
  const document = JSON.parse(readFileSync(path, "utf8"));
  if (!document.webAppUrl) throw new Error("this stack serves no web apps (webAppUrl missing)");
  return document;
}

export function chromiumPath() {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  const found = candidates.find((path) => path && existsSync(path));
  if (!found) throw new Error("no Chromium: `make chromium` (apt) or set CHROMIUM_PATH");
  return found;
}

/** Headless Chromium whose microphone plays `wav` (looped) and whose pages may play audio unprompted. */
export function launch(wav) {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      `--use-file-for-fake-audio-capture=${wav}`,
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
}

/** A page in its own context (its own storage, as another person's browser), phone-sized when asked. */
export async function openPage(browser, url, { phone = false } = {}) {
  const context = await browser.newContext({
    viewport: phone ? { width: 390, height: 844 } : { width: 1000, height: 900 },
    permissions: ["microphone"],
  });
  const page = await context.newPage();
  page.sockets = [];
  page.on("websocket", (socket) => {
    const entry = { url: socket.url(), closed: false };
    socket.on("close", () => {
      entry.closed = true;
    });
    page.sockets.push(entry);
  });
  page.consoleErrors = [];
  page.on("pageerror", (error) => page.consoleErrors.push(String(error)));
  await page.goto(url);
  return page;
}

export async function state(page) {
  return page.locator("#state").getAttribute("data-state");
}

export async function waitForState(page, wanted, timeout = 20_000) {
  await page.waitForFunction((value) => document.querySelector("#state")?.dataset.state === value, wanted, {
    timeout,
  });
}

export async function signIn(page, document) {
  await page.waitForFunction(() => document.querySelector("#state")?.dataset.state === "signed-out");
  await page.fill("#username", document.speaker.username);
  await page.fill("#password", document.speaker.password);
  await page.click("#sign-in-button");
  await waitForState(page, "signed-in", 30_000);
}

/** Create (HTTP, or the legacy socket path) from a signed-in speaker page; returns the session id and link. */
export async function create(page, { legacy = false, language = "en" } = {}) {
  if ((await page.isChecked("#legacy")) !== legacy) await page.click("#legacy");
  await page.selectOption("#source-language", language);
  await page.click("#create-button");
  await waitForState(page, "live", 30_000);
  const sessionId = await page.textContent("#session-id");
  const link = await page.getAttribute("#listener-link", "href");
  return { sessionId, link };
}

export async function joinListener(browser, link, language) {
  const url = new URL(link);
  url.searchParams.set("lang", language);
  const page = await openPage(browser, url.toString(), { phone: true });
  await waitForState(page, "live", 30_000);
  return page;
}

export async function captions(page) {
  return page.locator("#captions li").allTextContents();
}

/** Waits until the page shows at least `count` captions matching `pattern`; returns all captions. */
export async function waitForCaptions(page, pattern, count = 1, timeout = 30_000) {
  await page.waitForFunction(
    ([source, flags, wanted]) => {
      const expression = new RegExp(source, flags);
      const items = [...document.querySelectorAll("#captions li")].map((item) => item.textContent ?? "");
      return items.filter((text) => expression.test(text)).length >= wanted;
    },
    [pattern.source, pattern.flags, count],
    { timeout },
  );
  return captions(page);
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
