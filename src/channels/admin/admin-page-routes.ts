import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { staticPageRoutes } from "../web/web-routes.ts";

const require = createRequire(import.meta.url);

/**
 * The admin pages at /admin, assets under /admin/static, plus Chart.js's UMD
 * build from node_modules (no CDN; the CSP allows only 'self'). The page holds
 * no data: everything comes from /api/admin/*, which requires an admin session.
 */
export async function adminPageRoutes(app: FastifyInstance): Promise<void> {
  // The package exports only its module entry points: the UMD build sits next to them in dist/.
  const chart = readFileSync(join(dirname(require.resolve("chart.js")), "chart.umd.min.js"));
  app.get("/admin/static/chart.umd.min.js", async (_request, reply) =>
    reply.type("text/javascript; charset=utf-8").send(chart),
  );
  await staticPageRoutes(app, {
    dir: fileURLToPath(new URL("./public/", import.meta.url)),
    pagePath: "/admin",
    assetPrefix: "/admin/static",
  });
}
