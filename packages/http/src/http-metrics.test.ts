import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import express from "express";
import { httpMetrics, metricsRoutes, setMetricsRoute } from "./http-metrics.js";

test("requests are counted by route pattern and status, never by raw path; /metrics serves them", async () => {
  const app = express();
  app.use(httpMetrics(), metricsRoutes());
  app.get("/api/things/:id", (_req, res) => void res.status(200).end("ok"));
  app.use("/v2", (req, res) => {
    setMetricsRoute(res, "/v2/manifest");
    res.status(404).end();
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    for (const id of ["a", "b", "secret-repo-name"]) await (await fetch(`${base}/api/things/${id}`)).text();
    await (await fetch(`${base}/v2/library/app/manifests/latest`)).text();
    await (await fetch(`${base}/nowhere/at/all`)).text();
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.match(body, /^berth_http_requests_total\{method="GET",route="\/api\/things\/:id",status="200"\} 3$/m);
    assert.match(body, /^berth_http_requests_total\{method="GET",route="\/v2\/manifest",status="404"\} 1$/m);
    assert.match(body, /^berth_http_requests_total\{method="GET",route="unmatched",status="404"\} 1$/m);
    assert.match(body, /^berth_http_request_duration_seconds_count\{method="GET",route="\/api\/things\/:id"\} 3$/m);
    assert.doesNotMatch(body, /secret-repo-name|library\/app|nowhere/, "paths never become label values");
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
