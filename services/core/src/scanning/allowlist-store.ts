/**
 * CVE allowlists (`cve_allowlists`, Harbor's `CVEAllowlist`): the system's (project id 0) and one
 * per project. The registry's pull policy reads them (`@berth/scanning`'s `decidePull`).
 */
import type { PrismaClient } from "@berth/db";
import { SYSTEM_ALLOWLIST_PROJECT_ID } from "@berth/scanning";

/** Harbor's `CVEAllowlist` JSON. */
export interface AllowlistView {
  id: number;
  project_id: number;
  expires_at: number | null;
  items: { cve_id: string }[];
  creation_time: string;
  update_time: string;
}

export interface AllowlistInput {
  items: string[];
  expiresAt: number | null;
}

export class AllowlistStore {
  constructor(private readonly db: PrismaClient) {}

  async get(projectId: number): Promise<AllowlistView> {
    const row = await this.db.cveAllowlist.findUnique({ where: { projectId } });
    const now = new Date().toISOString();
    if (!row) return { id: 0, project_id: projectId, expires_at: null, items: [], creation_time: now, update_time: now };
    return {
      id: row.id,
      project_id: row.projectId,
      expires_at: row.expiresAt === null ? null : Number(row.expiresAt),
      items: row.items.map((cve_id) => ({ cve_id })),
      creation_time: row.createdAt.toISOString(),
      update_time: row.updatedAt.toISOString(),
    };
  }

  /** Replaces the list of `projectId` (0: the system's). Ids are trimmed, upper-cased and de-duplicated. */
  async set(projectId: number, input: AllowlistInput): Promise<void> {
    const items = [...new Set(input.items.map((i) => i.trim().toUpperCase()).filter((i) => i !== ""))];
    const data = { items, expiresAt: input.expiresAt === null ? null : BigInt(input.expiresAt) };
    await this.db.cveAllowlist.upsert({ where: { projectId }, create: { projectId, ...data }, update: data });
  }

  getSystem(): Promise<AllowlistView> {
    return this.get(SYSTEM_ALLOWLIST_PROJECT_ID);
  }

  setSystem(input: AllowlistInput): Promise<void> {
    return this.set(SYSTEM_ALLOWLIST_PROJECT_ID, input);
  }

  /** Removes a deleted project's list. */
  async forgetProject(projectId: number): Promise<void> {
    await this.db.cveAllowlist.deleteMany({ where: { projectId } });
  }
}
