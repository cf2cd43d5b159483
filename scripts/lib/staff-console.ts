/**
 * A staff member's side of the benchmarks: sign in over HTTP (session cookie
 * and CSRF token) and open the live console feed /ws/staff with that cookie
 * and the instance's own Origin, reporting each `created` case event with the
 * time it arrived (performance.now()).
 */
import { WebSocket } from "ws";

export interface StaffSession {
  /** `fuer_staff=…`, ready for a Cookie header. */
  cookie: string;
  csrf: string;
}

export async function loginStaff(base: string, creds: { username: string; password: string }): Promise<StaffSession> {
  const res = await fetch(`${base}/api/staff/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(creds),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("fuer_staff="));
  if (!cookie) throw new Error("login set no session cookie");
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { cookie: cookie.split(";")[0] as string, csrf: csrfToken };
}

/** Opens /ws/staff on `base`; resolves once the hello frame arrived (the socket is registered for pushes). */
export function openStaffConsole(
  base: string,
  cookie: string,
  onCreated: (caseId: string, at: number) => void,
): Promise<WebSocket> {
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}/ws/staff`, { headers: { cookie, origin: base } });
  ws.on("message", (data) => {
    const at = performance.now();
    const frame = JSON.parse(String(data)) as { type: string; event?: { type: string; caseId: string } };
    if (frame.type === "case_event" && frame.event?.type === "created") onCreated(frame.event.caseId, at);
  });
  return new Promise((resolve, reject) => {
    ws.once("message", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once("error", reject);
  });
}
