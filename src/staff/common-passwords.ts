import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseBlocklist } from "./password-fns.ts";

export const COMMON_PASSWORDS_FILE = fileURLToPath(
  new URL("../../knowledge/staff/common-passwords.txt", import.meta.url),
);

/** The blocklist of common passwords (knowledge/staff/common-passwords.txt), lower-cased. */
export function loadCommonPasswords(file: string = COMMON_PASSWORDS_FILE): Set<string> {
  return parseBlocklist(readFileSync(file, "utf8"));
}
