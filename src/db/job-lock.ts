/**
 * Jobs that several instances run on a timer (SLA alerts, retention) must act
 * once per item: on PostgreSQL each item's transaction first takes
 * `pg_try_advisory_xact_lock(<job id>, hashtext(<item>))` — held until
 * commit — and skips the item when another instance holds it (that one does
 * the work; the job re-checks its condition after the lock, so a later pass
 * sees the committed result). SQLite is one instance and serialises writes:
 * no lock needed.
 */
import type { DatabaseProvider } from "../config/database-url.ts";
import type { Db } from "./prisma-client.ts";

export const JOB_SLA_MONITOR = 7301;
export const JOB_RETENTION = 7302;

/** The part of a transaction client the lock needs. */
type Raw = Pick<Db, "$queryRawUnsafe">;

/** True when this transaction may work on `item` of `job`; always true on SQLite. */
export async function tryJobLock(tx: Raw, provider: DatabaseProvider, job: number, item: string): Promise<boolean> {
  if (provider !== "postgresql") return true;
  const rows = await tx.$queryRawUnsafe<{ locked: boolean }[]>(
    "SELECT pg_try_advisory_xact_lock($1::int, hashtext($2)) AS locked",
    job,
    item,
  );
  return rows[0]?.locked === true;
}
