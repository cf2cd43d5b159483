import type { FastifyInstance } from "fastify";
import type { WebSocket } from "ws";
import { z } from "zod";
import { caseErrors } from "../cases/case-errors.ts";
import type { Db } from "../db/prisma-client.ts";
import { toErrorBody } from "../shared/error-handler.ts";
import { errors } from "../shared/errors.ts";
import { acceptChatRequest } from "./chat-intake.ts";
import { conversationIdSchema, wsInboundSchema } from "./chat-schemas.ts";
import type { ChatService } from "./chat-service.ts";
import type { ConversationHub, HubEvent } from "./conversation-hub.ts";
import { loadHistory } from "./resident-delivery.ts";
import type { ResidentLimiter } from "./resident-limiter.ts";

/** The contract allows 64 KiB frames; larger ones (up to the socket's hard cap) get a clear error, then a close. */
export const WS_FRAME_LIMIT = 64 * 1024;

export interface ChatWsOptions {
  chat: ChatService;
  limiter: ResidentLimiter;
  hub: ConversationHub;
  db: Db;
}

/**
 * `{type:"resume", conversationId, after?}`: a page that comes back (reload,
 * lost connection) listens to its conversation again and receives the staff
 * and bot replies written after `after` (all of them without it) as
 * `staff_reply` frames, then `{type:"resumed"}`, then live frames.
 */
export const wsResumeSchema = z.strictObject({
  type: z.literal("resume"),
  conversationId: conversationIdSchema,
  after: z.iso.datetime({ offset: true }).optional(),
});

function send(socket: WebSocket, payload: unknown): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(payload));
}

function sendError(socket: WebSocket, error: unknown): void {
  const { body } = toErrorBody(error);
  send(socket, { type: "error", ...body });
}

export async function chatWsRoutes(app: FastifyInstance, opts: ChatWsOptions): Promise<void> {
  app.get("/ws/chat", { websocket: true }, (socket, request) => {
    let conversationId: string | undefined;
    let unsubscribe: (() => void) | undefined;
    /** While a resume replays stored replies, live ones wait here (so none is lost or sent twice). */
    let held: HubEvent[] | null = null;
    // Frames are handled one at a time so replies keep the order of questions.
    let queue: Promise<void> = Promise.resolve();

    const listen = (id: string) => {
      if (id === conversationId) return;
      unsubscribe?.();
      conversationId = id;
      unsubscribe = opts.hub.subscribe(id, (event) => {
        if (held) held.push(event);
        else send(socket, event);
      });
    };

    const resume = async (frame: z.infer<typeof wsResumeSchema>) => {
      await opts.limiter.check(request.ip, frame.conversationId);
      held = [];
      try {
        const after = frame.after ? new Date(frame.after) : undefined;
        const stored = await loadHistory(opts.db, frame.conversationId, {
          ...(after ? { after } : {}),
          roles: ["bot", "staff"],
        });
        if (!stored) throw caseErrors.conversationNotFound();
        listen(frame.conversationId);
        const sent = new Set<string>();
        for (const m of stored) {
          sent.add(m.id);
          send(socket, {
            type: "staff_reply",
            role: m.role,
            id: m.id,
            text: m.text,
            at: m.at,
            caseId: m.caseId,
            kind: m.kind,
          });
        }
        const waiting = held;
        held = null;
        for (const event of waiting) if (typeof event.id !== "string" || !sent.has(event.id)) send(socket, event);
        send(socket, { type: "resumed", conversationId: frame.conversationId, count: stored.length });
      } finally {
        const waiting = held ?? [];
        held = null;
        for (const event of waiting) send(socket, event);
      }
    };

    const handleFrame = async (raw: Buffer, isBinary: boolean) => {
      if (isBinary) return sendError(socket, errors.validation("请发送文字消息。"));
      if (raw.length > WS_FRAME_LIMIT) {
        sendError(socket, errors.frameTooLarge());
        socket.close(1009, "frame too large");
        return;
      }
      let parsedJson: unknown;
      try {
        parsedJson = JSON.parse(raw.toString("utf8"));
      } catch {
        return sendError(socket, errors.invalidJson());
      }
      if ((parsedJson as { type?: unknown } | null)?.type === "resume") {
        const resumeFrame = wsResumeSchema.safeParse(parsedJson);
        if (!resumeFrame.success) {
          const issue = resumeFrame.error.issues[0];
          return sendError(socket, errors.validation(issue ? `${issue.path.join(".")} ${issue.message}` : ""));
        }
        try {
          await resume(resumeFrame.data);
        } catch (err) {
          const { status } = toErrorBody(err);
          if (status >= 500) request.log.error({ err }, "chat resume failed");
          sendError(socket, err);
        }
        return;
      }
      const frame = wsInboundSchema.safeParse(parsedJson);
      if (!frame.success) {
        const issue = frame.error.issues[0];
        return sendError(socket, errors.validation(issue ? `${issue.path.join(".")} ${issue.message}` : ""));
      }
      if (frame.data.type === "ping") return send(socket, { type: "pong" });
      const message = frame.data;
      try {
        await opts.limiter.check(request.ip, message.conversationId ?? conversationId);
        const accepted = acceptChatRequest({
          text: message.text,
          conversationId: message.conversationId ?? conversationId,
          channel: message.channel ?? "web",
          area: message.area,
          clientMessageId: message.clientMessageId,
        });
        const response = await opts.chat.handle(accepted);
        listen(response.conversationId);
        send(socket, { type: "reply", clientMessageId: message.clientMessageId ?? null, ...response });
      } catch (err) {
        const { status } = toErrorBody(err);
        if (status >= 500) request.log.error({ err }, "chat message failed");
        sendError(socket, err);
      }
    };

    socket.on("message", (raw: Buffer, isBinary: boolean) => {
      queue = queue.then(() => handleFrame(raw, isBinary));
    });
    socket.on("close", () => unsubscribe?.());
    socket.on("error", (err) => request.log.warn({ err: { message: err.message } }, "chat socket error"));
  });
}
