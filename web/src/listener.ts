// The listener app: join by id or link (no sign-in), choose and change the language, captions and
// gapless audio, paused / resumed / ended / reconnecting. The session and language live in the URL,
// so a reload (or a shared link) rejoins the same session.
import {
  ConnectionRefusedError,
  LANGUAGES,
  type Language,
  SESSION_ID_PATTERN,
  SessionHttpService,
  WebSocketClient,
} from "@babelcast/web-client";
import { type AppConfig, loadConfig } from "./config.js";
import { PcmPlayer } from "./player.js";
import { element, fillLanguages, serverError, setState, show, showError } from "./ui.js";

const MAX_CAPTIONS = 50;

let config: AppConfig;
let client: WebSocketClient | undefined;
const player = new PcmPlayer((seconds) => {
  element("audio-played").textContent = `${seconds.toFixed(1)} s`;
  show("sound", false);
});

async function main(): Promise<void> {
  config = await loadConfig();
  const query = new URLSearchParams(location.search);
  const language = (query.get("lang") ?? navigator.language.slice(0, 2)) as Language;
  fillLanguages(element<HTMLSelectElement>("language"), LANGUAGES, LANGUAGES.includes(language) ? language : "es");
  element<HTMLInputElement>("session-input").value = query.get("session") ?? "";
  element<HTMLFormElement>("join").addEventListener("submit", (event) => {
    event.preventDefault();
    void player.unlock();
    void run(join);
  });
  element<HTMLSelectElement>("language").addEventListener("change", () => void run(changeLanguage));
  element("sound").addEventListener("click", () => void player.unlock().then((on) => show("sound", !on)));
  element("leave").addEventListener("click", leave);
  setState("idle", "Not connected");
  if (query.get("session")) await run(join); // a reload or a shared link: rejoin
}

async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    showError(error);
  }
}

/** "blessed-shepherd-427", or a listener link that carries it (…/listen/?session=…). */
export function sessionIdFrom(input: string): string {
  const text = input.trim();
  try {
    const fromLink = new URL(text).searchParams.get("session");
    if (fromLink) return fromLink;
  } catch {
    // not a link
  }
  return text.toLowerCase();
}

async function join(): Promise<void> {
  const sessionId = sessionIdFrom(element<HTMLInputElement>("session-input").value);
  if (!SESSION_ID_PATTERN.test(sessionId)) {
    showError({ code: "INVALID_SESSION_ID", message: "A session id looks like blessed-shepherd-427." });
    return;
  }
  const language = element<HTMLSelectElement>("language").value as Language;
  client?.close();
  setState("connecting", "Joining…");
  const session = await new SessionHttpService({ apiBaseUrl: config.httpApiUrl }).getSession(sessionId);
  const listener = new WebSocketClient({ url: config.websocketUrl, httpApiUrl: config.httpApiUrl });
  watch(listener);
  try {
    await listener.connect({ sessionId, targetLanguage: language });
  } catch (error) {
    setState(error instanceof ConnectionRefusedError ? "refused" : "error", "Could not join");
    throw error;
  }
  client = listener;
  remember(sessionId, language);
  element("session-label").textContent = sessionId;
  show("join-panel", false);
  show("listen-panel", true);
  show("sound", !(await player.unlock())); // a reload has no user gesture: the browser may want a click
  if (session.status === "paused") setState("paused", "Paused by the speaker");
  else setState("live", "Live");
  element<HTMLSelectElement>("language").focus();
}

function watch(listener: WebSocketClient): void {
  listener.on("translation", (segment) => {
    const text = typeof segment.translatedText === "string" ? segment.translatedText : "";
    if (text) addCaption(text);
    if (typeof segment.translatedAudio === "string") {
      if (!document.body.dataset.firstAudioAt) document.body.dataset.firstAudioAt = String(Date.now());
      const rate = (segment as { sampleRate?: unknown }).sampleRate;
      player.play(segment.translatedAudio, typeof rate === "number" ? rate : 16_000);
    }
  });
  listener.on("sessionPaused", () => setState("paused", "Paused by the speaker"));
  listener.on("sessionResumed", () => setState("live", "Live"));
  listener.on("sessionEnded", ({ reason }) =>
    setState("ended", reason === "expired" ? "The session expired" : "The speaker ended the session"),
  );
  listener.on("reconnecting", ({ attempt }) => setState("reconnecting", `Reconnecting (attempt ${attempt})…`));
  listener.on("connected", ({ reconnected }) => reconnected && setState("live", "Live"));
  listener.on("error", (message) => showError(serverError(message)));
  listener.on("closed", ({ reason, error }) => {
    if (error) showError(error);
    if (reason === "failed" || reason === "refused") setState("closed", "Disconnected");
  });
}

function addCaption(text: string): void {
  if (!document.body.dataset.firstCaptionAt) document.body.dataset.firstCaptionAt = String(Date.now());
  const item = document.createElement("li");
  item.textContent = text;
  const list = element("captions");
  list.append(item);
  while (list.children.length > MAX_CAPTIONS) list.firstElementChild?.remove();
  item.scrollIntoView({ block: "nearest" });
}

async function changeLanguage(): Promise<void> {
  const language = element<HTMLSelectElement>("language").value as Language;
  if (client?.state !== "open") return; // not joined yet: the choice applies on join
  await client.changeLanguage(language);
  player.reset();
  remember(element("session-label").textContent ?? "", language);
  addCaption(`— now in ${language} —`);
}

function remember(sessionId: string, language: string): void {
  const url = new URL(location.href);
  url.searchParams.set("session", sessionId);
  url.searchParams.set("lang", language);
  history.replaceState(null, "", url);
}

function leave(): void {
  client?.close();
  client = undefined;
  player.reset();
  history.replaceState(null, "", location.pathname);
  show("listen-panel", false);
  show("join-panel", true);
  setState("idle", "Not connected");
}

void run(main);
