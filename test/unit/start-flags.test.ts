/**
 * `npm start` and the servers the load, bench and kill-test scripts start run
 * with the same Node.js flags, so measured figures describe what is deployed.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SERVER_NODE_FLAGS } from "../../scripts/lib/server-process.ts";

describe("server Node.js flags", () => {
  it("npm start passes every flag the scripts' servers run with", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      scripts: Record<string, string>;
    };
    const start = (pkg.scripts.start ?? "").split(/\s+/);
    expect(start.slice(0, 1)).toEqual(["node"]);
    for (const flag of SERVER_NODE_FLAGS) expect(start).toContain(flag);
    expect(start.slice(-3)).toEqual(["--import", "tsx", "src/server.ts"]);
  });
});
