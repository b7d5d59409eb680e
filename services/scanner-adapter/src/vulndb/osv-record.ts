/** OSV's JSON format (ossf.github.io/osv-schema), the parts Berth reads, and a parser that checks them. */
import { z } from "zod";

const event = z.object({ introduced: z.string().optional(), fixed: z.string().optional(), last_affected: z.string().optional(), limit: z.string().optional() });
const range = z.object({ type: z.string(), events: z.array(event) }).passthrough();
const affected = z
  .object({
    package: z.object({ ecosystem: z.string().min(1), name: z.string().min(1), purl: z.string().optional() }).passthrough().optional(),
    ranges: z.array(range).optional(),
    versions: z.array(z.string()).optional(),
    ecosystem_specific: z.record(z.string(), z.unknown()).optional(),
    database_specific: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();

export const osvRecordSchema = z
  .object({
    id: z.string().min(1).max(255),
    modified: z.string(),
    published: z.string().optional(),
    withdrawn: z.string().optional(),
    aliases: z.array(z.string()).nullish(),
    summary: z.string().optional(),
    details: z.string().optional(),
    severity: z.array(z.object({ type: z.string(), score: z.string() })).nullish(),
    affected: z.array(affected).nullish(),
    references: z.array(z.object({ type: z.string().optional(), url: z.string() }).passthrough()).nullish(),
    database_specific: z.record(z.string(), z.unknown()).nullish(),
  })
  .passthrough();

export type OsvRecord = z.output<typeof osvRecordSchema>;
export type OsvRange = z.output<typeof range>;

/** Parses one OSV record; throws with the problems listed. */
export function parseOsvRecord(json: unknown): OsvRecord {
  const parsed = osvRecordSchema.safeParse(json);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  return parsed.data;
}

/** A record's CWE ids (GHSA puts them in `database_specific.cwe_ids`). */
export function cweIdsOf(record: OsvRecord): string[] {
  const ids = record.database_specific?.["cwe_ids"];
  return Array.isArray(ids) ? ids.filter((i): i is string => typeof i === "string") : [];
}
