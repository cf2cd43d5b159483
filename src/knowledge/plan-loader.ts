import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { PlanClause } from "./knowledge-types.ts";
import { PlanParseError, parsePlans } from "./plan-parser-fns.ts";

/** Resolved from this module so start-up works from any working directory. */
export const DEFAULT_PLAN_PATH = fileURLToPath(
  new URL("../../knowledge/plans/jiyuan-women-children-plans-2021-2030.txt", import.meta.url),
);

/**
 * Reads and parses the plan text. Runs once at start-up, so it is synchronous
 * and fails loudly: a malformed source must stop the service rather than let
 * it answer from half a plan.
 */
export function loadPlanClauses(filePath: string = DEFAULT_PLAN_PATH): PlanClause[] {
  let source: string;
  try {
    source = readFileSync(filePath, "utf8");
  } catch (err) {
    throw new Error(`Cannot read plan source ${filePath}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return parsePlans(source);
  } catch (err) {
    if (err instanceof PlanParseError) {
      throw new Error(`${filePath}:${err.line}: malformed plan source: ${err.reason}`, { cause: err });
    }
    throw err;
  }
}
