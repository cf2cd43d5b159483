import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { errors } from "../../shared/errors.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webmanifest": "application/manifest+json",
  ".mp3": "audio/mpeg",
  ".wav": "audio/wav",
};

export interface StaticPageOptions {
  /** Folder with index.html and its assets. */
  dir: string;
  /** Where index.html is served, e.g. "/" or "/staff". */
  pagePath: string;
  /** Where the other files are served, e.g. "/static" → /static/app.js. */
  assetPrefix: string;
}

/**
 * A page and its assets, read once at start-up (a handful of small files).
 * Nothing is cached anywhere: a shared phone must not keep what a resident
 * saw (Cache-Control: no-store is set for every response by app.ts).
 */
export async function staticPageRoutes(app: FastifyInstance, opts: StaticPageOptions): Promise<void> {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(opts.dir)) {
    const type = TYPES[extname(name)];
    if (type) files.set(name, { body: readFileSync(join(opts.dir, name)), type });
  }
  const index = files.get("index.html");
  if (!index) throw new Error(`page missing: ${join(opts.dir, "index.html")}`);

  app.get(opts.pagePath, async (_request, reply) => reply.type(index.type).send(index.body));
  app.get<{ Params: { file: string } }>(`${opts.assetPrefix}/:file`, async (request, reply) => {
    const file = files.get(request.params.file);
    if (!file || request.params.file === "index.html") throw errors.notFound();
    return reply.type(file.type).send(file.body);
  });
}

/** The resident web chat at `/`. */
export async function webRoutes(app: FastifyInstance): Promise<void> {
  await staticPageRoutes(app, {
    dir: fileURLToPath(new URL("./public/", import.meta.url)),
    pagePath: "/",
    assetPrefix: "/static",
  });
}
