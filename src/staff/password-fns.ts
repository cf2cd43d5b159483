/**
 * Password policy for staff accounts (pure: no I/O). Staff accounts open
 * victims' and minors' case files, so a password must be long and must not be
 * one an attacker tries first. Reasons are Chinese because staff read them.
 *
 * Hashing (argon2id) lives in staff-service.ts.
 */

export const PASSWORD_MIN_LENGTH = 12;
/** Bounds the work one login does; nobody types more. */
export const PASSWORD_MAX_LENGTH = 256;

export type PasswordCheck = { ok: true } | { ok: false; reason: string };

export interface PasswordPolicyInput {
  /** The account's username; a password containing it is refused. */
  username?: string;
  /** Lower-cased common passwords (see parseBlocklist). */
  blocklist: ReadonlySet<string>;
}

/** One password per line; blank lines and lines starting with # are skipped; lower-cased. */
export function parseBlocklist(text: string): Set<string> {
  const set = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    set.add(line.toLowerCase());
  }
  return set;
}

/**
 * Keyboard walks and similar "patterns" people mistake for random strings. A
 * password that is a stretch of one of these (either direction) is refused.
 */
const KEYBOARD_WALKS = [
  "`1234567890-=",
  "qwertyuiop[]\\",
  "asdfghjkl;'",
  "zxcvbnm,./",
  "qwertyuiopasdfghjklzxcvbnm",
  "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
  "qazwsxedcrfvtgbyhnujmikolp",
  "1q2w3e4r5t6y7u8i9o0p",
  "q1w2e3r4t5y6u7i8o9p0",
  "1a2b3c4d5e6f7g8h9i0j",
  "a1b2c3d4e5f6g7h8i9j0",
  "zaq1xsw2cde3vfr4bgt5nhy6mju7,ki8.lo9/;p0",
  "!qaz@wsx#edc$rfv%tgb^yhn&ujm*ik,(ol.)p;/",
  "1qazxsw23edcvfr45tgbnhy67ujm",
  "!@#$%^&*()_+",
];

const LEET: Record<string, string> = {
  "@": "a",
  "4": "a",
  "0": "o",
  "3": "e",
  $: "s",
  "5": "s",
  "!": "i",
  "1": "i",
  "7": "t",
};

function deLeet(s: string): string {
  return [...s].map((c) => LEET[c] ?? c).join("");
}

/** Strips digits, punctuation and spaces from both ends: "Password123!" → "password". */
function core(s: string): string {
  return s.replace(/^[^\p{L}]+/u, "").replace(/[^\p{L}]+$/u, "");
}

function isAllSame(chars: string[]): boolean {
  return new Set(chars).size === 1;
}

/** The whole password is one shorter unit repeated: "abcabcabcabc", "121212121212". */
function isRepeatedUnit(chars: string[]): boolean {
  const n = chars.length;
  for (let unit = 1; unit <= n / 2; unit++) {
    if (n % unit !== 0) continue;
    let repeats = true;
    for (let i = unit; i < n && repeats; i++) if (chars[i] !== chars[i - unit]) repeats = false;
    if (repeats) return true;
  }
  return false;
}

/** Each character is the previous one plus (or minus) one; digits wrap: "123456789012", "lkjihgfedcba". */
function isSequential(chars: string[]): boolean {
  const step = (a: string, b: string): number => {
    if (/\d/.test(a) && /\d/.test(b)) {
      const d = (Number(b) - Number(a) + 10) % 10;
      return d === 1 ? 1 : d === 9 ? -1 : 0;
    }
    const d = (b.codePointAt(0) ?? 0) - (a.codePointAt(0) ?? 0);
    return d === 1 || d === -1 ? d : 0;
  };
  const first = step(chars[0] ?? "", chars[1] ?? "");
  if (first === 0) return false;
  for (let i = 2; i < chars.length; i++) if (step(chars[i - 1] ?? "", chars[i] ?? "") !== first) return false;
  return true;
}

function isKeyboardWalk(lower: string): boolean {
  return KEYBOARD_WALKS.some((walk) => walk.includes(lower) || [...walk].reverse().join("").includes(lower));
}

function isBlocklisted(lower: string, blocklist: ReadonlySet<string>): boolean {
  const whole = [lower, deLeet(lower)];
  if (whole.some((form) => blocklist.has(form))) return true;
  // A common word padded with digits or symbols ("Password123456!", "5201314woaini", "P@ssw0rd2024") is still that word.
  const cores = [core(lower), deLeet(core(lower)), core(deLeet(lower))];
  return cores.some((c) => c.length >= 4 && blocklist.has(c));
}

/** Checks a new password; the reason is Chinese and never repeats the password. */
export function checkPasswordPolicy(password: string, input: PasswordPolicyInput): PasswordCheck {
  const chars = [...password];
  if (chars.length < PASSWORD_MIN_LENGTH) {
    return { ok: false, reason: `密码至少需要${PASSWORD_MIN_LENGTH}个字符。` };
  }
  if (chars.length > PASSWORD_MAX_LENGTH) {
    return { ok: false, reason: `密码不能超过${PASSWORD_MAX_LENGTH}个字符。` };
  }
  const lower = password.toLowerCase();
  const lowerChars = [...lower];
  if (isAllSame(lowerChars)) return { ok: false, reason: "密码不能全是同一个字符。" };
  if (isSequential(lowerChars) || isKeyboardWalk(lower)) {
    return { ok: false, reason: "密码不能是连续的字符或键盘顺序（如 123456…、abcdef…、qwerty…）。" };
  }
  if (isRepeatedUnit(lowerChars)) return { ok: false, reason: "密码不能是简单重复的字符组合。" };
  const username = input.username?.trim().toLowerCase() ?? "";
  // A one- or two-letter username would match almost any password; from three letters on it is a real hint.
  if (username.length >= 3 && (lower.includes(username) || deLeet(lower).includes(username))) {
    return { ok: false, reason: "密码不能包含用户名。" };
  }
  if (isBlocklisted(lower, input.blocklist)) {
    return { ok: false, reason: "这是常见密码，很容易被猜到，请换一个。" };
  }
  return { ok: true };
}
