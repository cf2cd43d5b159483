/**
 * GET /ws/staff — the console's live feed. Admits a signed-in staff member
 * whose page comes from this very origin (a WebSocket is not bound by CORS, so
 * without the Origin check any site the staff member visits could open one
 * with their cookie). Pushes a `case_event` frame for every case event the
 * member may see (not `viewed`); `{type:"resume", after}` replays what a
 * reconnecting console missed, from the database, then continues live.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { WebSocket } from "ws";
import { toErrorBody } from "../shared/error-handler.ts";
import { errors } from "../shared/errors.ts";
import { canSeeQueue, STAFF_COOKIE, staffOf } from "../staff/staff-plugin.ts";
import type { AuthenticatedStaff } from "../staff/staff-service.ts";
import { caseErrors } from "./case-errors.ts";
import type { EventBus } from "./case-events-bus.ts";
import { isLiveEventType } from "./case-fns.ts";
import { staffWsInboundSchema } from "./case-schemas.ts";
import type { CaseService } from "./case-service.ts";
import type { CaseEventFrame } from "./case-types.ts";

export interface StaffWsOptions {
  cases: CaseService;
  bus: EventBus;
  /** How often open sockets re-check their session (expiry, disabled account, changed queues). */
  revalidateMs?: number;
}

/** Console frames are tiny; anything bigger is not a console. */
const STAFF_FRAME_LIMIT = 4 * 1024;
/** A console this far behind is not reading: close it (it will reconnect and resume). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Close codes: the session ended; the client is too slow. */
const CLOSE_SESSION_ENDED = 4401;
const CLOSE_TOO_SLOW = 4408;

interface Client {
  socket: WebSocket;
  staff: AuthenticatedStaff;
  token: string | undefined;
  /** While a resume is replaying: live frames wait here, in arrival order. */
  held: CaseEventFrame[] | null;
  /** Sequence numbers the last resume sent, so a frame is never sent twice. */
  replayed: Set<number>;
}

/** scheme://host[:port] of the request itself; honours trustProxy (X-Forwarded-Proto/Host). */
export function ownOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`.toLowerCase();
}

function send(client: Client, payload: unknown): void {
  const { socket } = client;
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
    socket.close(CLOSE_TOO_SLOW, "too slow");
    return;
  }
  socket.send(JSON.stringify(payload));
}

function sendError(client: Client, error: unknown): void {
  send(client, { type: "error", ...toErrorBody(error).body });
}

export async function staffWsRoutes(app: FastifyInstance, opts: StaffWsOptions): Promise<void> {
  const clients = new Set<Client>();

  function offer(client: Client, frame: CaseEventFrame): void {
    if (client.held) {
      client.held.push(frame);
      return;
    }
    // Not "seq <= after": on PostgreSQL a lower seq can commit after a higher one, and
    // then it arrives live after the resume; the console dedupes by seq.
    if (client.replayed.has(frame.seq)) return;
    send(client, frame);
  }

  const unsubscribe = opts.bus.subscribe(async (notice) => {
    if (clients.size === 0 || !isLiveEventType(notice.type)) return;
    // Read once from the database (the record), then fan out to whoever may see it.
    const built = await opts.cases.frameFor(notice.seq);
    if (!built) return;
    for (const client of clients) {
      if (built.queues.some((q) => canSeeQueue(client.staff, q))) offer(client, built.frame);
    }
  });

  const offSession = app.staffSessions.onSessionClosed((sessionId) => {
    for (const client of clients) {
      if (client.staff.sessionId === sessionId) client.socket.close(CLOSE_SESSION_ENDED, "session closed");
    }
  });

  // Sessions also end by expiry, and accounts get disabled or change queues: re-check now and then.
  const revalidate = setInterval(() => {
    for (const client of clients) {
      app.staffService
        .authenticate(client.token)
        .then((staff) => {
          if (!staff || staff.sessionId !== client.staff.sessionId) {
            client.socket.close(CLOSE_SESSION_ENDED, "session ended");
          } else {
            client.staff = staff;
          }
        })
        .catch((err: unknown) => app.log.warn({ err }, "staff socket session check failed"));
    }
  }, opts.revalidateMs ?? 60_000);
  revalidate.unref();

  app.addHook("onClose", async () => {
    clearInterval(revalidate);
    unsubscribe();
    offSession();
    for (const client of clients) client.socket.close(1001, "server closing");
  });

  async function resume(client: Client, after: number): Promise<void> {
    client.held = [];
    client.replayed = new Set();
    try {
      // Sequence numbers are taken at insert, not at commit: replay from a little before
      // `after` so an event numbered earlier but committed later is not skipped.
      let cursor = await opts.cases.resumeCursor(after);
      for (;;) {
        const page = await opts.cases.eventsAfter(client.staff, cursor);
        for (const frame of page.events) {
          client.replayed.add(frame.seq);
          send(client, frame);
        }
        cursor = page.next;
        if (!page.more) break;
      }
    } finally {
      const held = client.held ?? [];
      client.held = null;
      for (const frame of held) offer(client, frame);
    }
    send(client, { type: "resumed", after, upTo: Math.max(after, ...client.replayed) });
  }

  const originCheck = async (request: FastifyRequest) => {
    const origin = request.headers.origin;
    if (typeof origin !== "string" || origin.toLowerCase() !== ownOrigin(request)) {
      request.log.warn("staff socket refused: foreign or missing Origin");
      throw caseErrors.originRefused();
    }
  };

  app.get("/ws/staff", { websocket: true, onRequest: [app.requireStaff(), originCheck] }, (socket, request) => {
    const client: Client = {
      socket,
      staff: staffOf(request),
      token: request.cookies[STAFF_COOKIE],
      held: null,
      replayed: new Set(),
    };
    clients.add(client);
    // Frames are handled one at a time, so a resume finishes before the next frame is read.
    let queue: Promise<void> = Promise.resolve();

    const handle = async (raw: Buffer, isBinary: boolean) => {
      if (isBinary) return sendError(client, errors.validation("请发送文字消息。"));
      if (raw.length > STAFF_FRAME_LIMIT) {
        sendError(client, errors.frameTooLarge());
        socket.close(1009, "frame too large");
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(raw.toString("utf8"));
      } catch {
        return sendError(client, errors.invalidJson());
      }
      const frame = staffWsInboundSchema.safeParse(json);
      if (!frame.success) {
        const issue = frame.error.issues[0];
        return sendError(client, errors.validation(issue ? `${issue.path.join(".")} ${issue.message}` : ""));
      }
      if (frame.data.type === "ping") return send(client, { type: "pong" });
      try {
        await resume(client, frame.data.after);
      } catch (err) {
        request.log.error({ err }, "staff socket resume failed");
        sendError(client, err);
      }
    };

    socket.on("message", (raw: Buffer, isBinary: boolean) => {
      queue = queue.then(() => handle(raw, isBinary));
    });
    socket.on("close", () => clients.delete(client));
    socket.on("error", (err) => request.log.warn({ err: { message: err.message } }, "staff socket error"));
    send(client, { type: "hello", staff: { id: client.staff.id, displayName: client.staff.displayName } });
  });
}
