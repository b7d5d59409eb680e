import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { programCommand } from "./image-builder.js";

test("programCommand: a program's Node flags go on its image's command line; no line when it declares none", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-program-command-"));
  try {
    const file = join(dir, "package.json");
    writeFileSync(file, JSON.stringify({ name: "x" }));
    assert.equal(programCommand(file), "");
    writeFileSync(file, JSON.stringify({ berth: { nodeOptions: ["--max-semi-space-size=1", "--heap-growing-percent=50"] } }));
    assert.equal(programCommand(file), 'CMD ["--max-semi-space-size=1","--heap-growing-percent=50","dist/main.js"]\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
