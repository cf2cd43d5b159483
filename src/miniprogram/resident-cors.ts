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

export async function registerResidentCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  const allowed = new Set(origins);
  await app.register(cors, {
    hideOptionsRoute: true,
    delegator: (request, callback) => {
      if (allowed.size === 0 || !isResidentApiPath(request.url)) return callback(null, { origin: false });
      callback(null, {
        origin: (origin, cb) => cb(null, origin !== undefined && allowed.has(origin)),
        methods: ["GET", "POST"],
        allowedHeaders: ["Content-Type"],
        credentials: false,
        maxAge: 600,
      });
    },
  });
}
