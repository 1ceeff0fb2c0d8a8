// Time from the speaker's first captured audio to the first caption and the first audio at a
// listener, through the running `make dev` stack (pipeline stand-in on), in Chromium: p50 over
// RUNS sessions. `make dev` in one terminal, then in web/:
//   BABELCAST_FAKE_MIC_WAV=speech.wav node test/latency.mjs [runs]
// The speaker page stamps its first captured 100 ms block, the listener page its first caption and first
// audio (data-* on <body>); both pages run in one browser, so on one clock.
import { create, endpoints, joinListener, launch, median, openPage, signIn, waitForCaptions } from "./harness.mjs";

const runs = Number(process.argv[2] ?? 5);
const wav = process.env.BABELCAST_FAKE_MIC_WAV;
if (!wav) throw new Error("set BABELCAST_FAKE_MIC_WAV to a 16-bit mono WAV file (the fake microphone)");
const doc = endpoints();
const browser = await launch(wav);
const captionsMs = [];
const audioMs = [];
try {
  for (let run = 1; run <= runs; run++) {
    const speaker = await openPage(browser, `${doc.webAppUrl}/speaker/`);
    await signIn(speaker, doc);
    const { link } = await create(speaker);
    const listener = await joinListener(browser, link, "es");
    await speaker.click("#mic");
    await waitForCaptions(listener, /^\[es\] segment/, 1);
    await listener.waitForFunction(() => document.body.dataset.firstAudioAt);
    const sent = Number(await speaker.evaluate(() => document.body.dataset.firstAudioAt));
    const heard = await listener.evaluate(() => ({ ...document.body.dataset }));
    captionsMs.push(Math.round(Number(heard.firstCaptionAt) - sent));
    audioMs.push(Math.round(Number(heard.firstAudioAt) - sent));
    console.log(`run ${run}: first caption ${captionsMs.at(-1)} ms, first audio ${audioMs.at(-1)} ms`);
    await speaker.click("#end");
    await speaker.context().close();
    await listener.context().close();
  }
} finally {
  await browser.close();
}
console.log(`p50 over ${runs} runs: first caption ${median(captionsMs)} ms, first audio ${median(audioMs)} ms`);
