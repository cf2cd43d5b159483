/** The chat contract (DESIGN §4) and the narrow interfaces the chat service depends on. */

export type Channel = "web" | "wechat" | "miniprogram";
export type ReplyKind = "answer" | "services" | "urgent" | "clarify" | "unknown";
export type CaseCategory = "domestic_violence" | "child_harm" | "sexual_violence" | "self_harm" | "trafficking_missing";
export type Severity = "immediate" | "urgent" | "concern";

export interface Citation {
  id: string;
  plan: "women" | "children";
  domain: string | null;
  section: "goal" | "measure" | "other";
  number: number | null;
  title: string;
  text: string;
}

export interface ServiceCard {
  id: string;
  name: string;
  category: string;
  area: string | null;
  phone: string | null;
  address: string | null;
  hours: string | null;
}

export interface Escalation {
  caseId: string;
  category: CaseCategory;
  severity: Severity;
  queue: string;
}

export interface ChatResponse {
  conversationId: string;
  kind: ReplyKind;
  reply: string;
  citations: Citation[];
  services: ServiceCard[];
  escalation: Escalation | null;
  /** The bot reply's message id (for 👍/👎 feedback); optional, added after the contract. */
  messageId?: string;
}

export interface ChatRequest {
  text: string;
  conversationId?: string | undefined;
  channel?: Channel | undefined;
  area?: string | undefined;
  /** Client's id for this message: a retry with the same id gets the same reply. */
  clientMessageId?: string | undefined;
}

/** What triage tells the chat service (DESIGN §5). */
export interface TriageVerdict {
  urgent: boolean;
  category: CaseCategory | null;
  severity: Severity | null;
  signals: string[];
  needsMedical?: boolean;
  followUp?: boolean;
}

export type TriageFn = (
  text: string,
  context?: { openCase?: { category: CaseCategory; severity: Severity } },
) => TriageVerdict;

/** What the answer service returns for a non-urgent message. */
export interface AnswerResult {
  kind: Exclude<ReplyKind, "urgent">;
  reply: string;
  citations: Citation[];
  services: ServiceCard[];
  unanswered: null | { reason: "unknown" | "weak"; topScore: number | null };
}

export type AnswerFn = (text: string, opts: { area?: string | null }) => AnswerResult;

export type SafetyReplyFn = (args: { category: CaseCategory; severity: Severity; needsMedical: boolean }) => string;
