import type { FastifyInstance } from "fastify";
import type { WebSocket } from "ws";
import { toErrorBody } from "../shared/error-handler.ts";
import { errors } from "../shared/errors.ts";
import { acceptChatRequest } from "./chat-intake.ts";
import { wsInboundSchema } from "./chat-schemas.ts";
import type { ChatService } from "./chat-service.ts";
import type { ConversationHub } from "./conversation-hub.ts";
import type { ResidentLimiter } from "./resident-limiter.ts";

/** The contract allows 64 KiB frames; larger ones (up to the socket's hard cap) get a clear error, then a close. */
export const WS_FRAME_LIMIT = 64 * 1024;

export interface ChatWsOptions {
  chat: ChatService;
  limiter: ResidentLimiter;
  hub: ConversationHub;
}

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
    // Frames are handled one at a time so replies keep the order of questions.
    let queue: Promise<void> = Promise.resolve();

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
      const frame = wsInboundSchema.safeParse(parsedJson);
      if (!frame.success) {
        const issue = frame.error.issues[0];
        return sendError(socket, errors.validation(issue ? `${issue.path.join(".")} ${issue.message}` : ""));
      }
      if (frame.data.type === "ping") return send(socket, { type: "pong" });
      const message = frame.data;
      try {
        opts.limiter.check(request.ip, message.conversationId ?? conversationId);
        const accepted = acceptChatRequest({
          text: message.text,
          conversationId: message.conversationId ?? conversationId,
          channel: message.channel ?? "web",
          area: message.area,
          clientMessageId: message.clientMessageId,
        });
        const response = await opts.chat.handle(accepted);
        if (response.conversationId !== conversationId) {
          unsubscribe?.();
          conversationId = response.conversationId;
          unsubscribe = opts.hub.subscribe(conversationId, (event) => send(socket, event));
        }
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
