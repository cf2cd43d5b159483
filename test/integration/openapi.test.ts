/**
 * The OpenAPI document: valid OpenAPI 3, and every public resident route the
 * app actually serves is in it with tags, Chinese/English text and its
 * request/response schemas; internal routes are not. /docs is served locally
 * under its own self-only CSP.
 */
import SwaggerParser from "@apidevtools/swagger-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPublicApiPath } from "../../src/shared/openapi.ts";
import { buildTestApp, type TestApp } from "../helpers/test-app.ts";

type Operation = {
  tags?: string[];
  summary?: string;
  description?: string;
  parameters?: { in: string; name: string }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
};
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; tags: { name: string }[] };

let t: TestApp;
let doc: Doc;

beforeAll(async () => {
  t = await buildTestApp();
  const res = await t.app.inject({ url: "/openapi.json" });
  expect(res.statusCode).toBe(200);
  doc = res.json() as Doc;
});

afterAll(async () => {
  await t?.close();
});

/**
 * Every route the app serves, from printRoutes: a tree whose lines are
 * `│   ├── segment (METHODS)`; a route's path is its ancestors' segments joined.
 */
function servedRoutes(): { method: string; url: string }[] {
  const out: { method: string; url: string }[] = [];
  const stack: string[] = [];
  for (const line of t.app.printRoutes({ commonPrefix: false }).split("\n")) {
    const m = /^((?:│ {3}| {4})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m?.[2]) continue;
    const depth = (m[1] ?? "").length / 4;
    stack.length = depth;
    stack.push(m[2]);
    const url = stack.join("");
    if (m[3]) for (const method of m[3].split(/,\s*/)) out.push({ method, url });
  }
  return out;
}

const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
const hasCjk = (s: string | undefined) => /[\u4e00-\u9fff]/.test(s ?? "");
const hasLatin = (s: string | undefined) => /[A-Za-z]{4,}/.test(s ?? "");

describe("GET /openapi.json", () => {
  it("is a valid OpenAPI 3 document", async () => {
    expect(doc.openapi).toMatch(/^3\.0\./);
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it("lists every public route the app serves, with tags, Chinese and English text and its schemas", () => {
    const routes = servedRoutes().filter((r) => r.method !== "HEAD" && r.method !== "OPTIONS");
    const pub = routes.filter((r) => isPublicApiPath(r.url));
    // The resident API as the brief names it: the filter must not have lost any of it.
    const names = pub.map((r) => `${r.method} ${r.url}`);
    for (const expected of [
      "POST /api/chat",
      "GET /api/search",
      "GET /api/chat/history",
      "GET /ws/chat",
      "GET /api/directory",
      "GET /api/directory/areas",
      "GET /api/hotlines",
      "GET /api/reports/consent",
      "POST /api/reports",
      "GET /healthz",
      "GET /api/info",
    ])
      expect(names).toContain(expected);

    for (const r of pub) {
      const op = doc.paths[toOpenApiPath(r.url)]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.url} is in the document`).toBeDefined();
      if (!op) continue;
      expect(op.tags?.length, `${r.method} ${r.url} has a tag`).toBeGreaterThan(0);
      expect(hasCjk(`${op.summary} ${op.description}`), `${r.method} ${r.url} has Chinese text`).toBe(true);
      expect(hasLatin(`${op.summary} ${op.description}`), `${r.method} ${r.url} has English text`).toBe(true);
      if (r.url.startsWith("/ws/")) {
        expect(op.tags).toContain("websocket");
        expect(op.responses["101"], `${r.url} documents the upgrade`).toBeDefined();
        continue;
      }
      const ok = op.responses["200"]?.content?.["application/json"]?.schema;
      expect(ok, `${r.method} ${r.url} has a 200 response schema`).toBeDefined();
      if (r.method === "POST") {
        expect(
          op.requestBody?.content["application/json"]?.schema,
          `${r.method} ${r.url} has a body schema`,
        ).toBeDefined();
      }
    }
  });

  it("documents request parameters and error responses of the resident routes", () => {
    const search = doc.paths["/api/search"]?.get;
    expect(search?.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(["q", "type", "area", "limit"]));
    const directory = doc.paths["/api/directory"]?.get;
    expect(directory?.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(["area", "category"]));
    expect(directory?.responses["400"]).toBeDefined();
    const reports = doc.paths["/api/reports"]?.post;
    expect(Object.keys(reports?.responses ?? {})).toEqual(expect.arrayContaining(["200", "400", "409", "429"]));
    const body = JSON.stringify(reports?.requestBody);
    for (const field of ["category", "whatHappened", "contact", "consent", "this_chat", "wechatId"])
      expect(body).toContain(field);
    expect(doc.tags.map((tag) => tag.name)).toEqual(
      expect.arrayContaining(["chat", "websocket", "directory", "reports", "system"]),
    );
  });

  it("leaves out staff, admin and bot routes, the pages and the docs themselves", () => {
    const paths = Object.keys(doc.paths);
    expect(paths.filter((p) => /^\/(api\/(staff|admin|bot)|ws\/staff|docs|staff|admin|static)/.test(p))).toEqual([]);
    expect(paths).not.toContain("/");
    expect(paths).not.toContain("/openapi.json");
  });
});

describe("/docs", () => {
  it("serves Swagger UI from this origin under its own CSP, still self-only", async () => {
    const page = await t.app.inject({ url: "/docs/" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    expect(page.body).not.toMatch(/https?:\/\//);
    const csp = String(page.headers["content-security-policy"]);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).not.toMatch(/https?:|\*/);
    const css = await t.app.inject({ url: "/docs/static/swagger-ui.css" });
    expect(css.statusCode).toBe(200);
    const init = await t.app.inject({ url: "/docs/static/swagger-initializer.js" });
    expect(init.statusCode).toBe(200);
    expect(init.body).toContain("validatorUrl");
  });

  it("leaves the strict CSP on every other page", async () => {
    const home = await t.app.inject({ url: "/" });
    const csp = String(home.headers["content-security-policy"]);
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
  });
});
