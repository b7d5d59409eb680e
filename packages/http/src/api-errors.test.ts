import { test } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import express from "express";
import { DatabaseUnavailableError } from "@berth/db/errors";
import { createLogger } from "@berth/logger";
import { apiErrorHandler, BadRequestError } from "./api-errors.js";

test("a database that does not answer is 503 SERVICE_UNAVAILABLE with Retry-After, logged once a minute", async () => {
  const lines: string[] = [];
  const logger = createLogger({ service: "test", stdout: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }) });
  const app = express();
  // What the clients throw: the domain error itself, and pg's own timeout as Prisma passes it on.
  app.get("/domain", () => {
    throw new DatabaseUnavailableError("no connection within 3000 ms");
  });
  app.get("/pg", () => {
    throw new Error("Query read timeout");
  });
  app.get("/bad", () => {
    throw new BadRequestError("nope");
  });
  app.use(apiErrorHandler(logger));
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    for (const path of ["/domain", "/pg", "/domain"]) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 503, path);
      assert.equal(res.headers.get("retry-after"), "5");
      const body = (await res.json()) as { errors: { code: string; message: string }[] };
      assert.equal(body.errors.length, 1);
      assert.equal(body.errors[0]!.code, "SERVICE_UNAVAILABLE");
      assert.match(body.errors[0]!.message, /try again later/);
    }
    const bad = await fetch(`${base}/bad`);
    assert.equal(bad.status, 400, "a client mistake keeps its 4xx");
    assert.equal(bad.headers.get("retry-after"), null);
    assert.equal(lines.filter((l) => l.includes("answering 503")).length, 1, lines.join(""));
  } finally {
    server.close();
  }
});
