/**
 * In-process notice that a staff session has ended (logout, revocation), so
 * whatever holds resources for that session — the staff WebSocket's open
 * sockets — can let them go at once instead of waiting for the next request.
 *
 * One instance per app: the staff plugin creates it and exposes it as
 * `app.staffSessions`; the staff service emits on it whenever it revokes a
 * session. Usage from another plugin:
 *
 *   const off = app.staffSessions.onSessionClosed((sessionId) => {
 *     for (const socket of socketsBySession.get(sessionId) ?? []) socket.close(4401, "session closed");
 *   });
 *   app.addHook("onClose", async () => off());
 *
 * (`request.staff.sessionId` is the id to index sockets by.) Listeners are
 * called synchronously; one that throws does not stop the others.
 */

export type SessionClosedListener = (sessionId: string) => void;

export interface SessionEvents {
  /** Registers a listener; returns a function that removes it. */
  onSessionClosed(listener: SessionClosedListener): () => void;
  emitSessionClosed(sessionId: string): void;
}

export function createSessionEvents(onListenerError: (err: unknown) => void = () => {}): SessionEvents {
  const listeners = new Set<SessionClosedListener>();
  return {
    onSessionClosed(listener) {
      // A wrapper, so that registering the same function twice gives two independent registrations.
      const entry: SessionClosedListener = (id) => listener(id);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    emitSessionClosed(sessionId) {
      for (const listener of [...listeners]) {
        try {
          listener(sessionId);
        } catch (err) {
          onListenerError(err);
        }
      }
    },
  };
}
