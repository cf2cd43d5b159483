import type { FastifyInstance } from "fastify";

/** WebSocket close code 1012 "Service Restart": the client should reconnect (the pages do, with backoff). */
export const WS_SERVICE_RESTART = 1012;
export const WS_RESTART_REASON = "service restarting, reconnect";

/**
 * @fastify/websocket `preClose`: on app.close() every open socket (residents'
 * chat, staff consoles) is closed with 1012 and a reason telling the client to
 * reconnect — to another instance behind the proxy. A chat message in flight
 * on a socket is resent by the client with its clientMessageId, so it is
 * answered once. HTTP requests in flight finish (Fastify's close waits for
 * them; new ones get 503 meanwhile).
 */
export function closeSocketsForRestart(this: FastifyInstance, done: (err?: Error) => void): void {
  const server = this.websocketServer;
  for (const client of server.clients) {
    try {
      client.close(WS_SERVICE_RESTART, WS_RESTART_REASON);
    } catch {
      client.terminate();
    }
  }
  // A client that does not answer the close handshake is cut off, so the close never hangs.
  const cutOff = setTimeout(() => {
    for (const client of server.clients) client.terminate();
  }, 1000);
  cutOff.unref();
  server.close(() => {
    clearTimeout(cutOff);
    done();
  });
}

/**
 * Responses finished while the app is closing carry `Connection: close`, so a
 * keep-alive connection with a request in flight ends with its response
 * instead of holding the close up for Fastify's 72 s keep-alive timeout.
 */
export function drainConnectionsOnClose(app: FastifyInstance): void {
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onSend", async (_request, reply) => {
    if (closing) reply.header("Connection", "close");
  });
}
