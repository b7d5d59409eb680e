import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { EventEmitter, once } from "node:events";
import { handleStopSignals } from "./lifecycle.js";

test("handleStopSignals: copies of the signal are one stop; only a later SIGINT forces", () => {
  const target = new EventEmitter();
  let clock = 1_000;
  const seen: string[] = [];
  const off = handleStopSignals({
    target,
    now: () => clock,
    onStop: (s) => seen.push(`stop ${s}`),
    onForce: (s) => seen.push(`force ${s}`),
    onRepeat: (s, ms) => seen.push(`repeat ${s} +${ms}`),
  });
  target.emit("SIGINT", "SIGINT"); // the terminal's copy
  clock += 5;
  target.emit("SIGINT", "SIGINT"); // npm's forwarded copy
  clock += 10;
  target.emit("SIGTERM", "SIGTERM"); // a supervisor's group-wide SIGTERM
  clock += 3_000;
  target.emit("SIGTERM", "SIGTERM"); // a repeated SIGTERM never forces
  target.emit("SIGINT", "SIGINT"); // a deliberate second Ctrl-C does
  off();
  target.emit("SIGINT", "SIGINT");
  assert.deepEqual(seen, ["stop SIGINT", "repeat SIGINT +5", "repeat SIGTERM +15", "repeat SIGTERM +3015", "force SIGINT"]);
});

// A service as main.ts wires it: onShutdown with a request in flight when the signals arrive.
const fixture = `
import express from "express";
import { createLogger } from "@berth/logger";
import { listen, onShutdown } from "${new URL("./index.js", import.meta.url).href}";
const logger = createLogger({ service: "fixture", level: "warn" });
const app = express();
app.get("/slow", (req, res) => void setTimeout(() => res.send("done"), Number(req.query.ms)));
const server = await listen(app, "127.0.0.1", 0);
onShutdown(logger, server, [() => console.log("closed")]);
console.log("port " + server.address().port);
`;

async function startFixture(): Promise<{ child: ReturnType<typeof spawn>; port: number; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", fixture], {
    cwd: new URL("..", import.meta.url).pathname,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  let out = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", () => reject(new Error(`fixture exited: ${out}`)));
  });
  return { child, port, exited };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("onShutdown drains the request in flight although SIGTERM arrives twice (group, then launcher)", async () => {
  const { child, port, exited } = await startFixture();
  const request = fetch(`http://127.0.0.1:${port}/slow?ms=1500`).then(async (r) => [r.status, await r.text()] as const);
  await sleep(200);
  child.kill("SIGTERM");
  await sleep(1_100);
  child.kill("SIGTERM");
  assert.deepEqual(await request, [200, "done"]);
  assert.equal(await exited, 0);
});

test("onShutdown: a deliberate second Ctrl-C (≥ 1 s later) exits at once with 130", async () => {
  const { child, port, exited } = await startFixture();
  const request = fetch(`http://127.0.0.1:${port}/slow?ms=10000`).then(
    (r) => r.status,
    () => "failed",
  );
  await sleep(200);
  child.kill("SIGINT");
  child.kill("SIGINT"); // the same press, as npm forwards it
  await sleep(1_500);
  child.kill("SIGINT");
  assert.equal(await exited, 130);
  assert.equal(await request, "failed", "the request in flight was cut off");
});
