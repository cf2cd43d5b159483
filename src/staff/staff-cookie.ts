import type { FastifyReply, FastifyRequest } from "fastify";

/** The session cookie; it carries the random token, the database only its SHA-256. */
export const STAFF_COOKIE = "fuer_staff";

function baseOptions(request: FastifyRequest) {
  return {
    httpOnly: true,
    sameSite: "strict" as const,
    path: "/",
    // request.protocol honours trustProxy (X-Forwarded-Proto from the reverse proxy).
    secure: request.protocol === "https",
  };
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, maxAgeMs: number): void {
  reply.setCookie(STAFF_COOKIE, token, { ...baseOptions(request), maxAge: Math.max(0, Math.floor(maxAgeMs / 1000)) });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(STAFF_COOKIE, baseOptions(request));
}
