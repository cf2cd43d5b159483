import { errors } from "../shared/errors.ts";
import type { ChatRequest } from "./chat-types.ts";
import { checkResidentText, textProblemMessages } from "./text-fns.ts";

const codeFor = {
  empty: "ERR_TEXT_EMPTY",
  too_long: "ERR_TEXT_TOO_LONG",
  control_chars: "ERR_TEXT_INVALID",
  malformed: "ERR_TEXT_INVALID",
} as const;

/** Applies the resident-text rules shared by every channel; throws an AppError with a Chinese message. */
export function acceptChatRequest(req: ChatRequest): ChatRequest & { text: string } {
  const checked = checkResidentText(req.text);
  if (!checked.ok) {
    const e = errors.validation();
    throw Object.assign(e, { code: codeFor[checked.reason], message: textProblemMessages[checked.reason] });
  }
  return { ...req, text: checked.text };
}
