#!/usr/bin/env node
// Generates src/generated/ from the repository's API documents, the single source of truth:
//   docs/openapi.yaml  -> src/generated/openapi.ts   (openapi-typescript)
//   docs/asyncapi.yaml -> src/generated/messages.ts  (below: no maintained tool turns AsyncAPI 3
//                                                      message payloads into plain TypeScript types)
// `node scripts/generate-types.mjs` writes them; `--check` exits 1 when a committed file is stale
// (the contract test in test/unit/contract.test.ts does the same check in-process).
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import { parse } from "yaml";

const here = new URL("../", import.meta.url);
const docs = new URL("../../docs/", here);
export const OUTPUTS = {
  openapi: new URL("src/generated/openapi.ts", here),
  messages: new URL("src/generated/messages.ts", here),
};

const banner = (source) =>
  `// Generated from docs/${source} by packages/web-client/scripts/generate-types.mjs.\n` +
  "// Do not edit: change the document, then run `npm run generate` (a contract test fails when stale).\n";

export async function renderOpenApi() {
  // defaultNonNullable off: a field with a default (qualityTier) stays optional in requests
  const ast = await openapiTS(new URL("openapi.yaml", docs), { defaultNonNullable: false });
  return `${banner("openapi.yaml")}\n${astToString(ast)}`;
}

export async function renderMessages() {
  const document = parse(await readFile(new URL("asyncapi.yaml", docs), "utf8"));
  return renderAsyncApi(document);
}

export async function renderAll() {
  return { openapi: await renderOpenApi(), messages: await renderMessages() };
}

// --- AsyncAPI 3 -> TypeScript ---------------------------------------------------------------------

const pascal = (name) => name.charAt(0).toUpperCase() + name.slice(1);
const refName = (ref) => ref.split("/").pop();
const literal = (value) => JSON.stringify(value);

function comment(text, indent) {
  if (!text) return "";
  const lines = String(text).trim().split("\n");
  return `${indent}/** ${lines.join(`\n${indent} * `)} */\n`;
}

function typeOf(schema, indent) {
  if (schema.$ref) return refName(schema.$ref);
  if ("const" in schema) return literal(schema.const);
  if (schema.enum) return schema.enum.map(literal).join(" | ");
  if (Array.isArray(schema.type)) {
    return schema.type.map((type) => typeOf({ ...schema, type }, indent)).join(" | ");
  }
  switch (schema.type) {
    case "string":
      return "string";
    case "integer":
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array":
      return `Array<${typeOf(schema.items ?? {}, indent)}>`;
    case "object":
      return objectType(schema, indent);
    default:
      return "unknown";
  }
}

function objectType(schema, indent) {
  const required = new Set(schema.required ?? []);
  const inner = `${indent}  `;
  const lines = Object.entries(schema.properties ?? {}).map(
    ([name, property]) =>
      `${comment(property.description, inner)}${inner}${name}${required.has(name) ? "" : "?"}: ${typeOf(property, inner)};`,
  );
  const extra = schema.additionalProperties;
  if (extra === true || (extra && typeof extra === "object")) {
    lines.push(`${inner}[key: string]: ${extra === true ? "unknown" : typeOf(extra, inner)};`);
  }
  return lines.length ? `{\n${lines.join("\n")}\n${indent}}` : "Record<string, never>";
}

function declaration(name, schema, doc) {
  const type = typeOf(schema, "");
  const head = comment(doc, "");
  return type.startsWith("{") ? `${head}export interface ${name} ${type}\n` : `${head}export type ${name} = ${type};\n`;
}

export function renderAsyncApi(document) {
  const { schemas, messages } = document.components;
  const channel = document.channels.session;
  const out = [banner("asyncapi.yaml")];

  out.push("// --- shared schemas\n");
  for (const [name, schema] of Object.entries(schemas)) {
    out.push(declaration(name, schema, schema.description));
  }
  const languages = schemas.Language.enum;
  out.push(`/** Every supported language (the Terraform variable \`supported_languages\`). */
export const LANGUAGES: readonly Language[] = ${literal(languages)};\n`);
  const sessionIdPattern = channel.bindings.ws.query.properties.sessionId.pattern;
  out.push(`/** What a session id looks like (\`?sessionId=\` is refused with 400 otherwise). */
export const SESSION_ID_PATTERN: RegExp = /${sessionIdPattern}/;\n`);

  // Which messages the client sends and which the server sends: from the operations.
  const channelMessageKey = (ref) => refName(ref);
  const componentOf = (key) => refName(channel.messages[key].$ref);
  const clientKeys = [];
  const serverKeys = [];
  for (const operation of Object.values(document.operations)) {
    const keys = operation.messages.map((m) => componentOf(channelMessageKey(m.$ref)));
    (operation.action === "receive" ? clientKeys : serverKeys).push(...keys);
    for (const reply of operation.reply?.messages ?? []) serverKeys.push(componentOf(channelMessageKey(reply.$ref)));
  }
  const unique = (keys) => [...new Set(keys)];

  out.push("\n// --- messages\n");
  for (const [key, message] of Object.entries(messages)) {
    const doc = [message.title, message.summary].filter(Boolean).join(": ") || message.name;
    out.push(declaration(`${pascal(key)}Message`, message.payload, doc));
  }

  out.push("\n// --- what travels which way\n");
  const clients = unique(clientKeys);
  out.push(
    `/** A message a client sends (its \`action\` selects the route). */\nexport type ClientMessage =\n${clients.map((k) => `  | ${pascal(k)}Message`).join("\n")};\n`,
  );
  const byName = new Map();
  for (const key of unique(serverKeys)) {
    const name = messages[key].name;
    byName.set(name, [...(byName.get(name) ?? []), `${pascal(key)}Message`]);
  }
  out.push(
    `/** Every message the server sends, by its \`type\` (pipeline payloads without a known type are \`translation\`). */\nexport interface ServerMessageMap {\n${[
      ...byName,
    ]
      .map(([name, types]) => `  ${name}: ${types.join(" | ")};`)
      .join("\n")}\n}\n`,
  );
  out.push("export type ServerMessageType = keyof ServerMessageMap;\n");
  out.push("export type ServerMessage = ServerMessageMap[ServerMessageType];\n");
  out.push(`export const SERVER_MESSAGE_TYPES: readonly ServerMessageType[] = ${literal([...byName.keys()])};\n`);
  out.push(
    `/** The \`code\` of an \`error\` message. */\nexport type WebSocketErrorCode = ErrorMessage["code"] | AudioBufferFullMessage["code"];\n`,
  );
  return out.join("");
}

// --- command line ---------------------------------------------------------------------------------

async function main() {
  const check = process.argv.includes("--check");
  const rendered = await renderAll();
  const stale = [];
  for (const [name, text] of Object.entries(rendered)) {
    const target = OUTPUTS[name];
    const current = await readFile(target, "utf8").catch(() => "");
    if (current === text) continue;
    if (check) stale.push(fileURLToPath(target));
    else await writeFile(target, text);
  }
  if (stale.length) {
    console.error(`stale generated types (run \`npm run generate\` in packages/web-client):\n  ${stale.join("\n  ")}`);
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
