/**
 * isUniqueViolation (src/chat/chat-idempotency.ts): the one signal that a
 * concurrent identical send won a race, whichever layer raised it. A miss
 * here turns a client's retry into a 500; a false match would answer a real
 * failure with someone else's reply.
 */
import { describe, expect, it } from "vitest";
import { isUniqueViolation } from "../../src/chat/chat-idempotency.ts";

describe("isUniqueViolation", () => {
  it.each([
    { layer: "Prisma model API", err: { code: "P2002" } },
    { layer: "pg driver (SQLSTATE unique_violation)", err: { code: "23505", severity: "ERROR" } },
    { layer: "better-sqlite3, primary key", err: { code: "SQLITE_CONSTRAINT_PRIMARYKEY" } },
    { layer: "better-sqlite3, unique index", err: { code: "SQLITE_CONSTRAINT_UNIQUE" } },
    {
      layer: "Prisma raw query carrying the adapter's error",
      err: { code: "P2010", meta: { driverAdapterError: { cause: { kind: "UniqueConstraintViolation" } } } },
    },
    {
      layer: "the PostgreSQL adapter",
      err: { name: "DriverAdapterError", cause: { kind: "UniqueConstraintViolation" } },
    },
  ])("true for a unique violation from the $layer", ({ err }) => {
    expect(isUniqueViolation(err)).toBe(true);
  });

  it.each([
    { what: "a foreign-key violation (pg)", err: { code: "23503" } },
    { what: "a foreign-key violation (SQLite)", err: { code: "SQLITE_CONSTRAINT_FOREIGNKEY" } },
    {
      what: "another adapter error",
      err: { name: "DriverAdapterError", cause: { kind: "ForeignKeyConstraintViolation" } },
    },
    { what: "a record not found (Prisma)", err: { code: "P2025" } },
    { what: "a plain Error", err: new Error("duplicate key value") },
    { what: "null", err: null },
    { what: "a string", err: "23505" },
  ])("false for $what", ({ err }) => {
    expect(isUniqueViolation(err)).toBe(false);
  });
});
