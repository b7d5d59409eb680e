/** CVE allowlists (Harbor's `CVEAllowlist`): which list applies to a project, and whether it still counts. */

/** A stored allowlist: `expiresAt` in Unix seconds, `null` for never. */
export interface Allowlist {
  items: string[];
  expiresAt: number | null;
}

/** The system's allowlist lives under project id 0. */
export const SYSTEM_ALLOWLIST_PROJECT_ID = 0;

/** Whether `list` filters at `now`: an expired allowlist stops filtering. */
export function allowlistActive(list: Allowlist | undefined, now = new Date()): boolean {
  if (!list) return false;
  return list.expiresAt === null || list.expiresAt * 1000 > now.getTime();
}

/**
 * The CVE ids that do not count for a project: the system's list when the project's
 * `reuse_sys_cve_allowlist` is "true", else the project's own — in both cases only while it has not
 * expired (Harbor's rule).
 */
export function effectiveAllowlist(project: { reuseSystem: boolean; own: Allowlist | undefined }, system: Allowlist | undefined, now = new Date()): Set<string> {
  const list = project.reuseSystem ? system : project.own;
  return allowlistActive(list, now) ? new Set(list!.items.map((i) => i.trim().toUpperCase())) : new Set();
}
