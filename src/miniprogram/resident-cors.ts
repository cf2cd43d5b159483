/**
 * CORS for the public resident API only. wx.request in a WeChat mini-program
 * does not enforce CORS (the 合法域名 list in the mini-program console does
 * that job), but browsers do — a web-view, an H5 page on another origin: those
 * origins are listed in CORS_ORIGINS (none by default). Staff and admin routes
 * (cookies + CSRF) and everything else never get CORS headers: same-origin only.
 * No credentials: the resident API uses no cookies.
 */
import cors from "@fastify/cors";
import type { FastifyInstance } from "fastify";

/** The resident routes a browser on an allowed origin may call. */
const RESIDENT_API = /^\/api\/(?:chat(?:\/history)?|search|directory(?:\/areas)?|hotlines|reports(?:\/consent)?)$/;

export function isResidentApiPath(url: string): boolean {
  const q = url.indexOf("?");
  return RESIDENT_API.test(q === -1 ? url : url.slice(0, q));
}

/**
 * Without CORS_ORIGINS nothing is registered: no route gets CORS headers, and
 * no request pays for the plugin's per-request hook. With origins, the
 * options object is built once.
 */
export async function registerResidentCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  const residentOptions = {
    origin: (origin: string | undefined, cb: (err: Error | null, allow: boolean) => void) =>
      cb(null, origin !== undefined && allowed.has(origin)),
    methods: ["GET", "POST"],
    allowedHeaders: ["Content-Type"],
    credentials: false,
    maxAge: 600,
  };
  const closed = { origin: false };
  await app.register(cors, {
    hideOptionsRoute: true,
    delegator: (request, callback) => callback(null, isResidentApiPath(request.url) ? residentOptions : closed),
  });
}
