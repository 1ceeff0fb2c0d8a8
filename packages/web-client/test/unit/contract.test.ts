// Contract: the generated types follow docs/openapi.yaml and docs/asyncapi.yaml (regenerated in
// memory and compared with the committed files), and every error code those documents name has a
// status here. (tests/contract/test_web_client.py compares the statuses with the server's own table.)
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { OUTPUTS, renderAll } from "../../scripts/generate-types.mjs";
import { ERROR_CODE_STATUS, LANGUAGES, SESSION_ID_PATTERN } from "../../src/index.js";

const doc = async (name: string) => parse(await readFile(new URL(`../../../../docs/${name}`, import.meta.url), "utf8"));

describe("generated types", () => {
  it("src/generated/ matches what the API documents generate (run `npm run generate` if not)", async () => {
    const rendered = await renderAll();
    for (const [name, text] of Object.entries(rendered) as Array<[keyof typeof OUTPUTS, string]>) {
      const committed = await readFile(OUTPUTS[name], "utf8");
      expect(
        committed === text,
        `src/generated/${name}.ts is stale: run \`npm run generate\` in packages/web-client`,
      ).toBe(true);
    }
  }, 30_000);

  it("the languages and the session id pattern are the documents'", async () => {
    const asyncapi = await doc("asyncapi.yaml");
    const openapi = await doc("openapi.yaml");
    expect(LANGUAGES).toEqual(openapi.components.schemas.Language.enum);
    expect(SESSION_ID_PATTERN.source).toBe(asyncapi.channels.session.bindings.ws.query.properties.sessionId.pattern);
  });
});

describe("error codes", () => {
  it("every code the documents name has a status, and the HTTP ones the status the document gives them", async () => {
    const openapi = await doc("openapi.yaml");
    const asyncapi = await doc("asyncapi.yaml");
    const http: string[] = openapi.components.schemas.ErrorCode.enum;
    const ws: string[] = asyncapi.components.messages.error.payload.properties.code.enum;
    const table = ERROR_CODE_STATUS as Record<string, number>;
    for (const code of [...http, ...ws]) expect(table[code], code).toBeTypeOf("number");
    // the prose of each error response names its codes: BadRequest lists the 400 ones, and so on
    const responses = openapi.components.responses as Record<string, { description: string }>;
    const byResponse: Record<string, number> = {
      BadRequest: 400,
      Forbidden: 403,
      NotFound: 404,
      Conflict: 409,
      PayloadTooLarge: 413,
      TooManyRequests: 429,
      InternalError: 500,
      ServiceUnavailable: 503,
    };
    for (const [name, status] of Object.entries(byResponse)) {
      const named = http.filter((code) => responses[name]?.description.includes(`\`${code}\``));
      expect(named.length, name).toBeGreaterThan(0);
      for (const code of named) expect(table[code], `${code} (${name})`).toBe(status);
    }
  });
});
