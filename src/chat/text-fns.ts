/** Pure checks on what a resident sends, before anything else sees it. */

export const MAX_TEXT_CHARS = 2000;

export type TextCheck =
  | { ok: true; text: string }
  | { ok: false; reason: "empty" | "too_long" | "control_chars" | "malformed" };

// Control characters (Unicode Cc: C0, DEL, C1) other than tab, newline and carriage return.
const CONTROL_CHARS = /[^\P{Cc}\t\n\r]/u;

/**
 * Counts characters as residents see them (code points), so 2000 Chinese
 * characters or emoji are allowed whatever their UTF-16 length.
 */
export function checkResidentText(raw: string): TextCheck {
  if (!raw.isWellFormed()) return { ok: false, reason: "malformed" };
  if (CONTROL_CHARS.test(raw)) return { ok: false, reason: "control_chars" };
  const text = raw.replace(/\r\n?/g, "\n").trim();
  if (text.length === 0) return { ok: false, reason: "empty" };
  let count = 0;
  for (const _ of text) {
    count++;
    if (count > MAX_TEXT_CHARS) return { ok: false, reason: "too_long" };
  }
  return { ok: true, text };
}

export const textProblemMessages: Record<Exclude<TextCheck, { ok: true }>["reason"], string> = {
  empty: "消息不能为空，请输入你想问的内容。",
  too_long: `消息太长了，每条请不超过${MAX_TEXT_CHARS}字，可以分几次发送。`,
  control_chars: "消息里有无法识别的字符，请重新输入。",
  malformed: "消息里有无法识别的字符，请重新输入。",
};
