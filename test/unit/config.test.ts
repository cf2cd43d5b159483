import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.ts";

describe("config: a bad value stops start-up with the variable named", () => {
  it.each([
    { env: { REDIS_URL: "http://127.0.0.1:6379" }, error: /REDIS_URL: must start with redis:\/\/ or rediss:\/\// },
    { env: { REDIS_URL: "127.0.0.1:6379" }, error: /REDIS_URL/ },
    {
      env: { DATABASE_URL: "mysql://x" },
      error: /DATABASE_URL: must start with file:, postgres:\/\/ or postgresql:\/\//,
    },
    { env: { DATABASE_POOL_SIZE: "0" }, error: /DATABASE_POOL_SIZE/ },
    {
      env: { ADMIN_USERNAME: "admin" },
      error: /ADMIN_PASSWORD: ADMIN_USERNAME and ADMIN_PASSWORD must be set together/,
    },
  ])("$env", ({ env, error }) => {
    expect(() => loadConfig(env)).toThrow(error);
  });

  it.each([
    { env: {}, redis: undefined },
    { env: { REDIS_URL: "" }, redis: undefined },
    { env: { REDIS_URL: "redis://127.0.0.1:6379/2" }, redis: "redis://127.0.0.1:6379/2" },
    {
      env: { REDIS_URL: "rediss://user:secret@cache.internal:6380" },
      redis: "rediss://user:secret@cache.internal:6380",
    },
  ])("REDIS_URL $env.REDIS_URL → $redis", ({ env, redis }) => {
    expect(loadConfig(env).REDIS_URL).toBe(redis);
  });

  it("is frozen: parsed once, read everywhere, changed nowhere", () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });
});
