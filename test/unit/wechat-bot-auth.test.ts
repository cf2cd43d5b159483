import { describe, expect, it } from "vitest";
import { bearerMatches } from "../../src/channels/wechat/bot-auth-fns.ts";

const TOKEN = "t".repeat(40);

describe("bearerMatches", () => {
  it.each([
    [`Bearer ${TOKEN}`, true],
    [`bearer ${TOKEN}`, true],
    [`Bearer  ${TOKEN} `, true],
    [undefined, false],
    ["", false],
    ["Bearer", false],
    ["Bearer ", false],
    [TOKEN, false],
    [`Basic ${TOKEN}`, false],
    [`Bearer ${TOKEN}x`, false],
    [`Bearer ${TOKEN.slice(1)}`, false],
    [`Bearer ${TOKEN} extra`, false],
  ])("%s → %s", (header, expected) => {
    expect(bearerMatches(header, TOKEN)).toBe(expected);
  });

  it("never matches when no token is configured", () => {
    expect(bearerMatches("Bearer ", "")).toBe(false);
    expect(bearerMatches("Bearer x", "")).toBe(false);
  });
});
