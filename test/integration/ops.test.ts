import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asStaff, createStaffAndLogin } from "../helpers/staff-helpers.ts";
import { buildTestApp, type TestApp } from "../helpers/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: "1000" });
});
afterAll(async () => t.close());

describe("operations endpoints", () => {
  it("GET /readyz → 200 when the database answers and the index is built", async () => {
    const res = await t.app.inject({ method: "GET", url: "/readyz" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ready", database: "ok", index: "ok" });
  });

  it("GET /metrics: request latency by route, open cases by queue and severity, time to claim, event-loop delay, rate-limit sync failures", async () => {
    await t.app.inject({ method: "GET", url: "/api/info" });
    const report = await t.app.inject({ method: "POST", url: "/api/chat", payload: { text: "他昨天又打我了 我好怕" } });
    const { caseId, queue } = (report.json() as { escalation: { caseId: string; queue: string } }).escalation;
    const staff = await createStaffAndLogin(t, { queues: [queue] });
    const claim = await t.app.inject({ method: "POST", url: `/api/staff/cases/${caseId}/claim`, ...asStaff(staff) });
    expect(claim.statusCode).toBe(200);
    await t.app.inject({ method: "POST", url: "/api/chat", payload: { text: "他又来了 我很害怕 他打我" } });

    const res = await t.app.inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/plain");
    const text = res.body;
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/api\/info",status="200"\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/api\/chat"/);
    expect(text).toMatch(new RegExp(`cases_open\\{queue="${queue}",severity="\\w+",status="claimed"\\} 1`));
    expect(text).toMatch(new RegExp(`case_time_to_claim_seconds_count\\{queue="${queue}",severity="\\w+"\\} 1`));
    expect(text).toContain("nodejs_eventloop_lag_p99_seconds");
    // SQLite keeps its counters in memory; PostgreSQL in its table. Nothing has failed.
    expect(text).toMatch(/rate_limit_sync_failures_total\{store="(memory|postgresql)"\} 0/);
  });
});
