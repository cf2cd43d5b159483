/**
 * WeChat contact ids are personal data: at rest they exist only as a keyed
 * hash (to find the resident's conversation again) and as AES-256-GCM
 * ciphertext (so a staff reply can be delivered later). Pure except for the
 * random IV, which callers may pass in for tests.
 *
 * Both keys come from WECHAT_ID_SECRET through HKDF with different labels, so
 * the hash key and the encryption key are never the same bytes.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";

export const MIN_SECRET_LENGTH = 32;

export interface ContactKeys {
  readonly refKey: Buffer;
  readonly encKey: Buffer;
}

const SALT = "jiyuan-fuer/wechat-contact";
const REF_PREFIX = "wx1.";
const CIPHER_PREFIX = "v1.";
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Ciphertexts are bound to their purpose: one made for something else does not decrypt as a contact.
const AAD = Buffer.from("jiyuan-fuer:wechat-contact:v1");

/** A contact reference: prefix + base64url of a 32-byte HMAC (43 characters). */
export const CONTACT_REF_PATTERN = /^wx1\.[A-Za-z0-9_-]{43}$/;
export const CONTACT_CIPHER_PATTERN = /^v1\.[A-Za-z0-9_-]{39,1400}$/;

export function deriveContactKeys(secret: string): ContactKeys {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`WECHAT_ID_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  const derive = (label: string) => Buffer.from(hkdfSync("sha256", secret, SALT, label, 32));
  return Object.freeze({ refKey: derive("contact-ref/v1"), encKey: derive("contact-cipher/v1") });
}

/** Keyed hash of a contact id: equal ids give equal refs; without the secret it reveals nothing. */
export function contactRefOf(keys: ContactKeys, contactId: string): string {
  return REF_PREFIX + createHmac("sha256", keys.refKey).update(contactId, "utf8").digest("base64url");
}

export function isContactRef(value: string): boolean {
  return CONTACT_REF_PATTERN.test(value);
}

export function encryptContact(keys: ContactKeys, contactId: string, iv: Buffer = randomBytes(IV_BYTES)): string {
  if (iv.length !== IV_BYTES) throw new Error("IV must be 12 bytes");
  const cipher = createCipheriv("aes-256-gcm", keys.encKey, iv);
  cipher.setAAD(AAD);
  const body = Buffer.concat([cipher.update(contactId, "utf8"), cipher.final()]);
  return CIPHER_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

/** Throws when the text was not made with these keys or was altered. */
export function decryptContact(keys: ContactKeys, sealed: string): string {
  if (!sealed.startsWith(CIPHER_PREFIX)) throw new Error("unknown contact cipher version");
  const raw = Buffer.from(sealed.slice(CIPHER_PREFIX.length), "base64url");
  if (raw.length <= IV_BYTES + TAG_BYTES) throw new Error("contact cipher too short");
  const decipher = createDecipheriv("aes-256-gcm", keys.encKey, raw.subarray(0, IV_BYTES));
  decipher.setAAD(AAD);
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
}
