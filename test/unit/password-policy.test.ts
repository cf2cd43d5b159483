import { describe, expect, it } from "vitest";
import { loadCommonPasswords } from "../../src/staff/common-passwords.ts";
import { checkPasswordPolicy, parseBlocklist } from "../../src/staff/password-fns.ts";

const blocklist = loadCommonPasswords();

describe("staff password policy", () => {
  it.each([
    // [case, password, username, reason pattern]
    ["shorter than 12 characters", "Xk9#pLq2vB", "li", /至少需要12个字符/],
    ["11 characters", "Xk9#pLq2vBz", "li", /至少需要12个字符/],
    ["12345678910 (11 characters) is too short", "12345678910", "li", /至少需要12个字符/],
    ["over 256 characters", "Xk9#pLq2vBzw".repeat(22), "li", /不能超过256个字符/],
    ["all the same character", "aaaaaaaaaaaa", "li", /同一个字符/],
    ["all the same Chinese character", "密密密密密密密密密密密密", "li", /同一个字符/],
    ["ascending digits (wrapping after 9)", "123456789012", "li", /连续/],
    ["descending digits", "987654321098", "li", /连续/],
    ["ascending letters", "abcdefghijklm", "li", /连续/],
    ["descending letters, upper case", "ZYXWVUTSRQPO", "li", /连续/],
    ["a keyboard row", "qwertyuiop[]", "li", /连续|键盘/],
    ["a keyboard column walk", "1qaz2wsx3edc4rfv", "li", /连续|键盘/],
    ["a repeated short pattern", "abcabcabcabc", "li", /重复/],
    ["a repeated digit pair", "121212121212", "li", /重复|连续/],
    ["contains the username", "Zhangsan-2024-Secure", "zhangsan", /用户名/],
    ["contains the username in other case", "my-LIXIAOMING-pass!", "lixiaoming", /用户名/],
    ["contains the username in leetspeak", "w@ngf3ng-is-here", "wangfeng", /用户名/],
    ["blocklisted: password123456", "password123456", "li", /常见密码/],
    ["blocklisted, case-insensitive", "PassWord123456", "li", /常见密码/],
    ["blocklisted: a123456789 padded", "a1234567890", "li", /常见密码|至少/],
    ["blocklisted: woaini1314520", "woaini1314520", "li", /常见密码/],
    ["blocklisted: 5201314woaini", "5201314woaini", "li", /常见密码/],
    ["blocklisted: qwertyuiop123", "qwertyuiop123", "li", /常见密码|键盘/],
    ["blocklisted: 1q2w3e4r5t6y", "1q2w3e4r5t6y", "li", /常见密码|键盘/],
    ["a common word padded with digits and symbols", "Password2024!!", "li", /常见密码/],
    ["a common word in leetspeak, padded", "P@ssw0rd2024!", "li", /常见密码/],
    ["a common pinyin phrase padded", "woaini13145200", "li", /常见密码/],
    ["the local place name padded", "jiyuan12345678", "li", /常见密码/],
  ])("refuses %s", (_case, password, username, reason) => {
    const result = checkPasswordPolicy(password, { username, blocklist });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toMatch(reason);
      expect(result.reason).toMatch(/[\u4e00-\u9fff]/);
      expect(result.reason).not.toContain(password);
    }
  });

  it.each([
    ["a long passphrase", "河边的柳树发芽了-2031", "li"],
    ["mixed random characters", "Xk9#pLq2vBzw", "li"],
    ["words with separators", "correct-horse-battery-staple", "zhangsan"],
    ["exactly 12 characters", "t7Rq!m2Lp9Zx", "li"],
    ["a two-letter username inside is not a hint", "limpid-river-9472", "li"],
    ["a long pinyin sentence", "jintianxiayu-wangwang-88", "wangfeng"],
  ])("accepts %s", (_case, password, username) => {
    expect(checkPasswordPolicy(password, { username, blocklist })).toEqual({ ok: true });
  });

  it("works without a username", () => {
    expect(checkPasswordPolicy("Xk9#pLq2vBzw", { blocklist }).ok).toBe(true);
  });

  it("the blocklist file holds a few hundred entries including the Chinese patterns", () => {
    expect(blocklist.size).toBeGreaterThan(300);
    for (const p of ["12345678910", "a123456789", "woaini1314", "qwertyuiop", "password123456", "5201314"]) {
      expect(blocklist.has(p)).toBe(true);
    }
  });

  it("parseBlocklist skips comments and blank lines and lower-cases", () => {
    expect([...parseBlocklist("# comment\n\n  PassWord  \r\nabc\n")]).toEqual(["password", "abc"]);
  });
});
