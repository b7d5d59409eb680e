// Gives the baseline stack (the code before a change) the same dataset as the stack under test:
// the rows of every table both schemas have (pg_dump --data-only piped into psql, after
// emptying the baseline's tables; a table whose columns differ, e.g. one a later migration
// added, by COPY of the columns both have) and the blob files (hard links). The baseline keeps
// its own schema — its own indexes — so its queries run as they did before the change.
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

/** Each table's columns, in order. */
const columns = (s: ScaleStack) => {
  const out = new Map<string, string[]>();
  for (const line of s.psql("SELECT table_name || ' ' || string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'public' GROUP BY table_name").split("\n")) {
    const [table, list] = line.split(" ");
    if (table && list) out.set(table, list.split(","));
  }
  return out;
};

export async function copyDataset(from: ScaleStack, to: ScaleStack): Promise<{ tables: string[] }> {
  const theirs = tables(to);
  const common = [...tables(from)].filter((t) => theirs.has(t));
  const [ours, baseline] = [columns(from), columns(to)];
  const same = common.filter((t) => ours.get(t)?.join() === baseline.get(t)?.join());
  to.psql(`TRUNCATE ${common.map((t) => `"${t}"`).join(", ")} RESTART IDENTITY CASCADE`);
  const bin = postgresBinDir();
  await pipe([join(bin, "pg_dump"), "--data-only", "--disable-triggers", "--no-owner", "--no-privileges", ...same.flatMap((t) => ["-t", `public."${t}"`]), "-d", from.databaseUrl], [join(bin, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", to.databaseUrl]);
  for (const t of common.filter((c) => !same.includes(c))) {
    const both = ours.get(t)!.filter((c) => baseline.get(t)?.includes(c)).map((c) => `"${c}"`).join(", ");
    await pipe(
      [join(bin, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", from.databaseUrl, "-c", `COPY (SELECT ${both} FROM "${t}") TO STDOUT`],
      [join(bin, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", to.databaseUrl, "-c", "SET session_replication_role = replica", "-c", `COPY "${t}" (${both}) FROM STDIN`],
    );
  }
  // The sequences of the tables copied column by column (pg_dump sets the others').
  for (const t of common.filter((c) => !same.includes(c) && baseline.get(c)?.includes("id"))) to.psql(`SELECT setval(pg_get_serial_sequence('"${t}"', 'id'), coalesce(max(id), 1)) FROM "${t}" WHERE pg_get_serial_sequence('"${t}"', 'id') IS NOT NULL`);
  to.psql("ANALYZE");
  execFileSync("cp", ["-a", "-l", `${join(from.running.dataDir, "registry")}/.`, join(to.running.dataDir, "registry")]);
  return { tables: common };
}

/** `producer | consumer`, failing with their stderr when either fails. */
function pipe([producer, ...producerArgs]: string[], [consumer, ...consumerArgs]: string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const dump = spawn(producer!, producerArgs, { stdio: ["ignore", "pipe", "pipe"] });
    const load = spawn(consumer!, consumerArgs, { stdio: ["pipe", "ignore", "pipe"] });
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
}
