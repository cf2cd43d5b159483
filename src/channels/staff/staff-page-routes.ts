import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { staticPageRoutes } from "../web/web-routes.ts";

/**
 * The staff console at /staff, its assets under /staff/static. The page itself
 * is public (it holds no data); everything it shows comes from /api/staff/*,
 * which requires a staff session.
 */
export async function staffPageRoutes(app: FastifyInstance): Promise<void> {
  await staticPageRoutes(app, {
    dir: fileURLToPath(new URL("./public/", import.meta.url)),
    pagePath: "/staff",
    assetPrefix: "/staff/static",
  });
}
