/**
 * Live delivery to the sockets of one conversation (staff replies, status
 * changes). In-process only; the database stays the record, so a page that
 * reconnects fetches what it missed.
 */
export type HubEvent = { type: string } & Record<string, unknown>;

export interface ConversationHub {
  subscribe(conversationId: string, listener: (event: HubEvent) => void): () => void;
  publish(conversationId: string, event: HubEvent): number;
}

export function createConversationHub(): ConversationHub {
  const listeners = new Map<string, Set<(event: HubEvent) => void>>();
  return {
    subscribe(conversationId, listener) {
      let set = listeners.get(conversationId);
      if (!set) {
        set = new Set();
        listeners.set(conversationId, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(conversationId);
      };
    },
    publish(conversationId, event) {
      const set = listeners.get(conversationId);
      if (!set) return 0;
      for (const listener of set) listener(event);
      return set.size;
    },
  };
}
