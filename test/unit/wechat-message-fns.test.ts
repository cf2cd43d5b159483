import { describe, expect, it } from "vitest";
import { types } from "wechaty";
import { clientMessageIdFor, createSeenSet, nonTextKind, voiceTranscript } from "../../bots/wechat/message-fns.ts";
import { clientMessageIdSchema } from "../../src/chat/chat-schemas.ts";

const M = types.Message;

describe("nonTextKind", () => {
  it.each([
    [M.Audio, "voice"],
    [M.Image, "image"],
    [M.Video, "video"],
    [M.Emoticon, "sticker"],
    [M.Attachment, "file"],
    [M.Url, "link"],
    [M.MiniProgram, "miniProgram"],
    [M.Location, "location"],
    [M.Transfer, "money"],
    [M.RedEnvelope, "money"],
    [M.Contact, "other"],
    [M.ChatHistory, "other"],
    [M.Text, null],
    [M.Recalled, null],
    [M.GroupNote, null],
    [M.Post, null],
    [M.Unknown, null],
  ])("type %i → %s", (type, kind) => {
    expect(nonTextKind(type)).toBe(kind);
  });
});

describe("voiceTranscript", () => {
  it.each([
    ["", null],
    ["   ", null],
    ['<msg><voicemsg endflag="1" length="3000"/></msg>', null],
    ["[语音]", null],
    ["[Voice]", null],
    ["孕产妇死亡率的目标是多少", "孕产妇死亡率的目标是多少"],
    ["  他又打我了  ", "他又打我了"],
  ])("%j → %j", (raw, expected) => {
    expect(voiceTranscript(raw)).toBe(expected);
  });
});

describe("clientMessageIdFor", () => {
  it.each([
    ["wx1.abc", "1234567890"],
    ["wx1.abc", "cuid-like-ckx0000"],
    ["wx1.abc", "ids/with spaces+and=symbols@chatroom"],
    ["wx1.abc", "微信消息"],
  ])("fits the contract and is stable: %s / %s", (ref, id) => {
    const value = clientMessageIdFor(ref, id);
    expect(clientMessageIdSchema.safeParse(value).success).toBe(true);
    expect(value).toBe(clientMessageIdFor(ref, id));
  });

  it("differs per resident for the same message id", () => {
    expect(clientMessageIdFor("wx1.a", "1")).not.toBe(clientMessageIdFor("wx1.b", "1"));
  });
});

describe("createSeenSet", () => {
  it("reports each id once and forgets the oldest beyond its capacity", () => {
    const seen = createSeenSet(2);
    expect([seen.add("a"), seen.add("a"), seen.add("b"), seen.add("c"), seen.add("a")]).toEqual([
      true,
      false,
      true,
      true,
      true,
    ]);
  });
});
