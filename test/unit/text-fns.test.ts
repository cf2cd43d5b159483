import { describe, expect, it } from "vitest";
import { checkResidentText } from "../../src/chat/text-fns.ts";

describe("checkResidentText", () => {
  it.each([
    ["plain Chinese", "俺村有没有儿童之家", { ok: true, text: "俺村有没有儿童之家" }],
    ["trims surrounding whitespace", "  你好 \n", { ok: true, text: "你好" }],
    ["keeps inner newlines, folds CRLF", "第一行\r\n第二行", { ok: true, text: "第一行\n第二行" }],
    ["tabs are fine", "a\tb", { ok: true, text: "a\tb" }],
    ["emoji count as one character each", "🔪".repeat(2000), { ok: true, text: "🔪".repeat(2000) }],
    ["empty", "", { ok: false, reason: "empty" }],
    ["ideographic spaces only", "　　", { ok: false, reason: "empty" }],
    ["2001 characters", "字".repeat(2001), { ok: false, reason: "too_long" }],
    ["NUL", "a\u0000b", { ok: false, reason: "control_chars" }],
    ["bell", "\u0007", { ok: false, reason: "control_chars" }],
    ["C1 control", "a\u0085", { ok: false, reason: "control_chars" }],
    ["lone high surrogate", "a\ud800", { ok: false, reason: "malformed" }],
    ["lone low surrogate", "\udc00", { ok: false, reason: "malformed" }],
  ])("%s", (_name, input, expected) => {
    expect(checkResidentText(input)).toEqual(expected);
  });
});
