import { describe, expect, it } from "vitest";
import {
  CONTACT_CIPHER_PATTERN,
  CONTACT_REF_PATTERN,
  contactRefOf,
  decryptContact,
  deriveContactKeys,
  encryptContact,
  isContactRef,
} from "../../src/channels/wechat/contact-crypto-fns.ts";

const SECRET = "a-test-secret-that-is-long-enough-0123456789";
const OTHER_SECRET = "another-test-secret-long-enough-9876543210";
const keys = deriveContactKeys(SECRET);
const otherKeys = deriveContactKeys(OTHER_SECRET);

const ids = ["wxid_abc123", "@5f2e9a1b3c4d", "张三的微信", "a", "x".repeat(500), "filehelper", "wxid_🙂"];

describe("deriveContactKeys", () => {
  it.each([
    ["", false],
    ["short", false],
    ["x".repeat(31), false],
    ["x".repeat(32), true],
    [SECRET, true],
  ])("secret of length %#: accepted=%s", (secret, ok) => {
    if (ok) expect(() => deriveContactKeys(secret)).not.toThrow();
    else expect(() => deriveContactKeys(secret)).toThrow(/WECHAT_ID_SECRET/);
  });

  it("derives different keys for hashing and encryption", () => {
    expect(keys.refKey.equals(keys.encKey)).toBe(false);
    expect(keys.refKey).toHaveLength(32);
    expect(keys.encKey).toHaveLength(32);
  });
});

describe("contactRefOf", () => {
  it.each(ids)("is deterministic, well-formed and free of the id: %s", (id) => {
    const ref = contactRefOf(keys, id);
    expect(ref).toBe(contactRefOf(keys, id));
    expect(ref).toMatch(CONTACT_REF_PATTERN);
    expect(isContactRef(ref)).toBe(true);
    if (id.length > 3) expect(ref).not.toContain(id);
  });

  it.each([
    ["different ids", () => contactRefOf(keys, "wxid_a"), () => contactRefOf(keys, "wxid_b")],
    ["different secrets", () => contactRefOf(keys, "wxid_a"), () => contactRefOf(otherKeys, "wxid_a")],
    ["case matters", () => contactRefOf(keys, "wxid_A"), () => contactRefOf(keys, "wxid_a")],
  ])("differs for %s", (_label, a, b) => {
    expect(a()).not.toBe(b());
  });

  it.each([
    ["wx1.", false],
    ["wx1.abc", false],
    [`wx2.${"A".repeat(43)}`, false],
    [`wx1.${"A".repeat(43)}`, true],
    [`wx1.${"A".repeat(42)}=`, false],
  ])("isContactRef(%s) = %s", (value, expected) => {
    expect(isContactRef(value)).toBe(expected);
  });
});

describe("encryptContact / decryptContact", () => {
  it.each(ids)("round-trips %s", (id) => {
    const sealed = encryptContact(keys, id);
    expect(sealed).toMatch(CONTACT_CIPHER_PATTERN);
    if (id.length > 3) expect(sealed).not.toContain(id);
    expect(decryptContact(keys, sealed)).toBe(id);
  });

  it("uses a fresh IV each time, so equal ids do not give equal ciphertexts", () => {
    expect(encryptContact(keys, "wxid_abc")).not.toBe(encryptContact(keys, "wxid_abc"));
  });

  it("is deterministic for a given IV (what the format looks like)", () => {
    const iv = Buffer.alloc(12, 7);
    expect(encryptContact(keys, "wxid_abc", iv)).toBe(encryptContact(keys, "wxid_abc", iv));
    expect(() => encryptContact(keys, "wxid_abc", Buffer.alloc(8))).toThrow(/12 bytes/);
  });

  const sealed = encryptContact(keys, "wxid_abc123");
  const body = Buffer.from(sealed.slice(3), "base64url");
  const flip = (at: number) => {
    const copy = Buffer.from(body);
    copy[at] = (copy[at] ?? 0) ^ 1;
    return `v1.${copy.toString("base64url")}`;
  };
  it.each([
    ["the wrong key", otherKeys, sealed],
    ["a changed IV", keys, flip(0)],
    ["a changed tag", keys, flip(14)],
    ["a changed ciphertext", keys, flip(body.length - 1)],
    ["a truncated text", keys, `v1.${body.subarray(0, 20).toString("base64url")}`],
    ["an unknown version", keys, `v9.${body.toString("base64url")}`],
    ["no prefix", keys, body.toString("base64url")],
  ])("refuses %s", (_label, k, text) => {
    expect(() => decryptContact(k, text)).toThrow();
  });
});
