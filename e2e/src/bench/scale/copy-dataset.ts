// Gives the baseline stack (the code before a change) the same dataset as the stack under test:
// the rows of every table both schemas have (pg_dump --data-only piped into psql, after
// emptying the baseline's tables) and the blob files (hard links). The baseline keeps its own
// schema — its own indexes — so its queries run as they did before the change.
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { postgresBinDir } from "@berth/local-stack";
import type { ScaleStack } from "./scale-stack.js";

const tables = (s: ScaleStack) =>
  new Set(
    s
      .psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
      .split("\n")
      .filter((t) => t !== "" && t !== "_prisma_migrations"),
  );

export async function copyDataset(from: ScaleStack, to: ScaleStack): Promise<{ tables: string[] }> {
  const theirs = tables(to);
  const common = [...tables(from)].filter((t) => theirs.has(t));
  to.psql(`TRUNCATE ${common.map((t) => `"${t}"`).join(", ")} RESTART IDENTITY CASCADE`);
  const bin = postgresBinDir();
  await new Promise<void>((resolve, reject) => {
    const dump = spawn(join(bin, "pg_dump"), ["--data-only", "--disable-triggers", "--no-owner", "--no-privileges", ...common.flatMap((t) => ["-t", `public."${t}"`]), "-d", from.databaseUrl], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const load = spawn(join(bin, "psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", to.databaseUrl], { stdio: ["pipe", "ignore", "pipe"] });
    let errors = "";
    dump.stderr.on("data", (d: Buffer) => (errors += d.toString()));
    load.stderr.on("data", (d: Buffer) => (errors += d.toString()));
    dump.stdout.pipe(load.stdin);
    let exits = 0;
    const done = (code: number | null) => {
      if (code !== 0) reject(new Error(`copying the dataset failed: ${errors.slice(-2000)}`));
      else if (++exits === 2) resolve();
    };
    dump.once("exit", done);
    load.once("exit", done);
  });
  to.psql("ANALYZE");
  execFileSync("cp", ["-a", "-l", `${join(from.running.dataDir, "registry")}/.`, join(to.running.dataDir, "registry")]);
  return { tables: common };
}
