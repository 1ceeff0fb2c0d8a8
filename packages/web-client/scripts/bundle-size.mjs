#!/usr/bin/env node
// Prints the browser bundle size of each entry point: bundled with esbuild (ESM, browser, minified,
// everything it imports included) and gzipped, as an app's bundler would ship it.
// Usage: node scripts/bundle-size.mjs [--json]
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const entries = { "@babelcast/web-client": "src/index.ts", "@babelcast/web-client/cognito": "src/cognito.ts" };
const results = {};
for (const [name, entry] of Object.entries(entries)) {
  const out = await build({
    entryPoints: [new URL(`../${entry}`, import.meta.url).pathname],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "error",
  });
  const code = out.outputFiles[0].contents;
  results[name] = { minifiedBytes: code.length, gzippedBytes: gzipSync(code, { level: 9 }).length };
}
if (process.argv.includes("--json")) console.log(JSON.stringify(results));
else {
  for (const [name, size] of Object.entries(results)) {
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    console.log(
      `${name.padEnd(32)} minified ${kb(size.minifiedBytes).padStart(9)}   gzipped ${kb(size.gzippedBytes).padStart(8)}`,
    );
  }
}
