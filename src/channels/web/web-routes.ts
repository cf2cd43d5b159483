import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";

const PUBLIC_DIR = fileURLToPath(new URL("./public/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webmanifest": "application/manifest+json",
};

/**
 * The resident page and its assets, read once at start-up (a handful of small
 * files). Nothing is cached anywhere: a shared phone must not keep what a
 * resident saw (Cache-Control: no-store, set for every response by app.ts).
 */
export async function webRoutes(app: FastifyInstance): Promise<void> {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(PUBLIC_DIR)) {
    const type = TYPES[extname(name)];
    if (type) files.set(name, { body: readFileSync(join(PUBLIC_DIR, name)), type });
  }
  const index = files.get("index.html");
  if (!index) throw new Error(`web chat page missing: ${join(PUBLIC_DIR, "index.html")}`);

  app.get("/", async (_request, reply) => reply.type(index.type).send(index.body));
  app.get<{ Params: { file: string } }>("/static/:file", async (request, reply) => {
    const file = files.get(request.params.file);
    if (!file || request.params.file === "index.html") {
      return reply.status(404).send({ code: "ERR_NOT_FOUND", message: "没有找到这个地址。" });
    }
    return reply.type(file.type).send(file.body);
  });
}
