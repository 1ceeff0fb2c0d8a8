#!/usr/bin/env node
// Measures, against a running local stack (`make dev`), what a speaker's page waits for: from
// SessionCreationOrchestrator.createSession() to the first audio chunk the service accepted (its
// bytes counted in GET /sessions/{id}/analytics, i.e. forwarded to the audio stream). Signs in with
// SRP as the stack's speaker, uses the built package (dist/, `make install`).
// Usage: node scripts/first-audio.mjs [path/to/endpoints.json] [--runs N] [--legacy]
import { readFileSync } from "node:fs";
import { WebSocket } from "ws";
import { signIn } from "../dist/cognito.js";
import { SessionCreationOrchestrator, silentLogger } from "../dist/index.js";

const args = process.argv.slice(2);
const file =
  args.find((a) => !a.startsWith("--") && !/^\d+$/.test(a)) ??
  new URL("../../../.local/endpoints.json", import.meta.url).pathname;
const runs = Number(args[args.indexOf("--runs") + 1]) || 3;
const legacy = args.includes("--legacy");
const stack = JSON.parse(readFileSync(file, "utf8"));

const started = performance.now();
const auth = await signIn({
  userPoolId: stack.userPoolId,
  clientId: stack.userPoolClientId,
  username: stack.speaker.username,
  password: stack.speaker.password,
  endpoint: stack.awsEndpointUrl,
});
const signInMs = performance.now() - started;
const orchestrator = new SessionCreationOrchestrator({
  httpApiUrl: stack.httpApiUrl,
  wsUrl: stack.websocketUrl,
  auth,
  useHttpSessionCreation: !legacy,
  WebSocket,
  logger: silentLogger,
});
const chunk = new Int16Array(1600); // 100 ms of 16 kHz PCM

const rows = [];
for (let run = 1; run <= runs; run++) {
  const t0 = performance.now();
  const result = await orchestrator.createSession({ sourceLanguage: "en" });
  if (!result.success) throw result.error;
  const created = performance.now();
  result.wsClient.sendAudio(chunk, 0);
  const sent = performance.now();
  for (;;) {
    const analytics = await orchestrator.http.getSessionAnalytics(result.sessionId);
    if (analytics.audioBytes > 0) break;
    if (performance.now() - t0 > 60_000) throw new Error("the chunk was not accepted within 60 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const accepted = performance.now();
  rows.push({ run, createAndConnectMs: created - t0, sendToAcceptedMs: accepted - sent, totalMs: accepted - t0 });
  result.wsClient.close();
  await orchestrator.http.deleteSession(result.sessionId);
}

const ms = (n) => `${Math.round(n)} ms`.padStart(8);
console.log(
  `SRP sign-in: ${ms(signInMs)}   (${legacy ? "legacy WebSocket createSession" : "POST /sessions, then connect"})`,
);
console.log("run  createSession+connect  sendAudio->accepted  createSession->first accepted chunk");
for (const row of rows) {
  console.log(
    `${String(row.run).padStart(3)}  ${ms(row.createAndConnectMs).padStart(21)}  ${ms(row.sendToAcceptedMs).padStart(19)}  ${ms(row.totalMs).padStart(35)}`,
  );
}
process.exit(0);
