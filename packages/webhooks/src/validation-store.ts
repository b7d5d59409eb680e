/** Validation states webhook consumers report on artifacts through callbacks. */
import type { Db } from "./callback-store.js";

/** States a consumer may report (Docker Hub's callback states). */
export const VALIDATION_STATES = ["success", "failure", "error", "pending"] as const;
export type ValidationState = (typeof VALIDATION_STATES)[number];

/** The `validation` of an artifact, as the artifacts API shows it. */
export interface ArtifactValidationView {
  state: string;
  description: string;
  context: string;
  target_url: string;
  update_time: string;
}

/** Records (replaces) the validation of `repository@digest`. */
export async function recordValidation(
  db: Db,
  v: { repository: string; digest: string; state: ValidationState; description: string; context: string; targetUrl: string; policyId?: bigint },
): Promise<void> {
  const data = { state: v.state, description: v.description, context: v.context, targetUrl: v.targetUrl, policyId: v.policyId ?? null };
  await db.artifactValidation.upsert({
    where: { repository_digest: { repository: v.repository, digest: v.digest } },
    create: { repository: v.repository, digest: v.digest, ...data },
    update: data,
  });
}

/** The validation of `repository@digest`, for the artifacts API (`undefined` when none was reported). */
export async function validationOf(db: Db, repository: string, digest: string): Promise<ArtifactValidationView | undefined> {
  const row = await db.artifactValidation.findUnique({ where: { repository_digest: { repository, digest } } });
  if (!row) return undefined;
  return { state: row.state, description: row.description, context: row.context, target_url: row.targetUrl, update_time: row.updatedAt.toISOString() };
}
