// The speaker app: sign in (Cognito SRP), create a session (POST /sessions, or the legacy
// WebSocket createSession when the flag says so), share it (id, link, QR code), stream the
// microphone, pause / resume / end, and watch the listener count and the connection.
import {
  LANGUAGES,
  type QualityTier,
  SessionCreationOrchestrator,
  SessionHttpService,
  type WebSocketClient,
} from "@babelcast/web-client";
import { type CognitoAuth, signIn } from "@babelcast/web-client/cognito";
import qrcode from "qrcode-generator";
import { type AppConfig, loadConfig } from "./config.js";
import { Microphone } from "./microphone.js";
import { element, fillLanguages, serverError, setState, show, showError } from "./ui.js";

const LISTENER_COUNT_EVERY_MS = 2_000;

interface Live {
  sessionId: string;
  client: WebSocketClient;
  sessions: SessionHttpService;
  microphone: Microphone;
  sequence: number;
  sentSamples: number;
  paused: boolean;
  timer: number;
}

let config: AppConfig;
let auth: CognitoAuth | undefined;
let live: Live | undefined;

async function main(): Promise<void> {
  config = await loadConfig();
  element<HTMLInputElement>("username").value = config.speaker?.username ?? "";
  fillLanguages(element<HTMLSelectElement>("source-language"), LANGUAGES, "en");
  const legacy = new URLSearchParams(location.search).get("legacy");
  element<HTMLInputElement>("legacy").checked = legacy === null ? !config.useHttpSessionCreation : legacy !== "0";
  element<HTMLFormElement>("sign-in").addEventListener("submit", (event) => {
    event.preventDefault();
    void run(signInSubmitted);
  });
  element<HTMLFormElement>("create").addEventListener("submit", (event) => {
    event.preventDefault();
    void run(create);
  });
  element("mic").addEventListener("click", () => void run(startMicrophone));
  element("pause").addEventListener("click", () => setPaused(true));
  element("resume").addEventListener("click", () => setPaused(false));
  element("end").addEventListener("click", () => void run(end));
  setState("signed-out", "Signed out");
}

async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    showError(error);
  }
}

async function signInSubmitted(): Promise<void> {
  const button = element<HTMLButtonElement>("sign-in-button");
  button.disabled = true;
  try {
    auth = await signIn({
      userPoolId: config.userPoolId,
      clientId: config.userPoolClientId,
      region: config.region,
      username: element<HTMLInputElement>("username").value.trim(),
      password: element<HTMLInputElement>("password").value,
      endpoint: config.cognitoEndpoint,
    });
  } finally {
    button.disabled = false;
  }
  element("signed-in-as").textContent = auth.username;
  show("sign-in-panel", false);
  show("create-panel", true);
  setState("signed-in", "Signed in");
  element<HTMLSelectElement>("source-language").focus();
}

async function create(): Promise<void> {
  if (!auth) throw new Error("Sign in first.");
  const button = element<HTMLButtonElement>("create-button");
  button.disabled = true;
  setState("connecting", "Creating the session…");
  const useHttpSessionCreation = !element<HTMLInputElement>("legacy").checked;
  const orchestrator = new SessionCreationOrchestrator({
    httpApiUrl: config.httpApiUrl,
    wsUrl: config.websocketUrl,
    auth,
    useHttpSessionCreation,
  });
  const result = await orchestrator.createSession({
    sourceLanguage: element<HTMLSelectElement>("source-language").value as (typeof LANGUAGES)[number],
    qualityTier: element<HTMLSelectElement>("tier").value as QualityTier,
  });
  button.disabled = false;
  if (!result.success) {
    setState("error", "Could not create the session");
    showError(result.error);
    return;
  }
  const sessions = new SessionHttpService({ apiBaseUrl: config.httpApiUrl, auth });
  live = {
    sessionId: result.sessionId,
    client: result.wsClient,
    sessions,
    microphone: new Microphone((pcm) => send(pcm)),
    sequence: 0,
    sentSamples: 0,
    paused: false,
    timer: window.setInterval(() => void refreshListenerCount(), LISTENER_COUNT_EVERY_MS),
  };
  watch(live.client);
  showSession(result.sessionId, result.method);
  setState("live", "Live");
  await refreshListenerCount();
}

function watch(client: WebSocketClient): void {
  client.on("connected", ({ reconnected }) => reconnected && setState(live?.paused ? "paused" : "live", "Live again"));
  client.on("reconnecting", ({ attempt }) => setState("reconnecting", `Reconnecting (attempt ${attempt})…`));
  client.on("sessionPaused", () => markPaused(true));
  client.on("sessionResumed", () => markPaused(false));
  client.on("sessionEnded", () => finish("Ended"));
  client.on("error", (message) => showError(serverError(message)));
  client.on("closed", ({ reason, error }) => {
    if (error) showError(error);
    if (reason !== "client") finish(reason === "sessionEnded" ? "Ended" : "Disconnected");
  });
}

function showSession(sessionId: string, method: string): void {
  const link = `${location.origin}/listen/?session=${encodeURIComponent(sessionId)}`;
  element("session-id").textContent = sessionId;
  element("creation-method").textContent = method === "http" ? "POST /sessions" : "WebSocket createSession (legacy)";
  const anchor = element<HTMLAnchorElement>("listener-link");
  anchor.href = link;
  anchor.textContent = link;
  const qr = qrcode(0, "M");
  qr.addData(link);
  qr.make();
  element("qr").innerHTML = qr.createSvgTag({ cellSize: 4, margin: 2, scalable: true });
  show("create-panel", false);
  show("session-panel", true);
  element("mic").focus();
}

async function startMicrophone(): Promise<void> {
  if (!live || live.microphone.active) return;
  await live.microphone.start();
  element<HTMLButtonElement>("mic").disabled = true;
  element("mic-state").textContent = "Microphone on";
  element<HTMLButtonElement>("pause").disabled = false;
}

function send(pcm: Int16Array): void {
  if (!live || live.paused) return; // paused: nothing is sent, so listeners get no backlog on resume
  live.sequence = live.client.sendAudio(pcm, live.sequence);
  live.sentSamples += pcm.length;
  element("sent").textContent = `${(live.sentSamples / 16_000).toFixed(1)} s`;
}

function setPaused(paused: boolean): void {
  if (!live) return;
  if (paused) live.client.pause();
  else live.client.resume();
  markPaused(paused);
}

function markPaused(paused: boolean): void {
  if (!live) return;
  live.paused = paused;
  element<HTMLButtonElement>("pause").disabled = paused || !live.microphone.active;
  element<HTMLButtonElement>("resume").disabled = !paused;
  setState(paused ? "paused" : "live", paused ? "Paused" : "Live");
}

async function refreshListenerCount(): Promise<void> {
  if (!live) return;
  try {
    const session = await live.sessions.getSession(live.sessionId);
    element("listener-count").textContent = String(session.listenerCount);
  } catch {
    // the count is informative; errors that matter surface on the socket
  }
}

async function end(): Promise<void> {
  if (!live) return;
  element<HTMLButtonElement>("end").disabled = true;
  await live.sessions.deleteSession(live.sessionId);
  finish("Ended");
}

function finish(text: string): void {
  if (!live) return;
  window.clearInterval(live.timer);
  live.microphone.stop();
  live.client.close();
  for (const id of ["mic", "pause", "resume", "end"]) element<HTMLButtonElement>(id).disabled = true;
  element("mic-state").textContent = "Microphone off";
  setState(text === "Ended" ? "ended" : "closed", text);
}

void run(main);
