import { spawnSync } from "node:child_process";
import { chmodSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
  groups: number[];
}

/** Looks a system user up with `id`; undefined when it does not exist. */
export function lookupUser(name: string): OsUser | undefined {
  const id = (flag: string) => {
    const r = spawnSync("id", [flag, name], { encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  const uid = id("-u");
  const gid = id("-g");
  const groups = id("-G");
  if (uid === undefined || gid === undefined || groups === undefined) return undefined;
  return { name, uid: Number(uid), gid: Number(gid), groups: groups.split(/\s+/).map(Number) };
}

/** The first of `names` that exists (nginx's worker user differs between distributions). */
export function firstExistingUser(names: string[]): OsUser | undefined {
  for (const name of names) {
    const user = lookupUser(name);
    if (user) return user;
  }
  return undefined;
}

function canTraverse(user: OsUser, dir: string): boolean {
  const st = statSync(dir);
  if (user.uid === 0) return true;
  if (st.uid === user.uid) return (st.mode & 0o100) !== 0;
  if (user.groups.includes(st.gid) || st.gid === user.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/**
 * Makes `dir` and its ancestors searchable by `user` (PostgreSQL and nginx workers run as
 * their own users and must reach their files under the data directory): adds o+x to each
 * directory that lacks it. Returns the directories changed, so the caller can say so.
 */
export function ensureTraversable(dir: string, user: OsUser): string[] {
  const changed: string[] = [];
  let current = resolve(dir);
  const chain: string[] = [];
  for (;;) {
    chain.unshift(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const d of chain) {
    if (!canTraverse(user, d)) {
      chmodSync(d, statSync(d).mode & 0o7777 | 0o001);
      changed.push(d);
    }
  }
  return changed;
}
