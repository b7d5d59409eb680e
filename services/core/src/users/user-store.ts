import type { PrismaClient } from "@berth/db";
import { hashPassword, verifyPassword } from "./password.js";

/** What the rest of core knows of an authenticated user; never carries the hash. */
export interface Principal {
  kind: "user";
  id: number;
  username: string;
  sysadmin: boolean;
}

// A real hash of a random string: verifying against it costs what a real check costs, so an
// unknown username takes as long as a wrong password.
const DUMMY_HASH = hashPassword(crypto.randomUUID());

export class UserStore {
  constructor(private readonly db: PrismaClient) {}

  /** Creates `admin` with `password` unless it exists; returns whether it was created. */
  async ensureAdmin(password: string): Promise<boolean> {
    const existing = await this.db.user.findUnique({ where: { username: "admin" }, select: { id: true } });
    if (existing) return false;
    const passwordHash = await hashPassword(password);
    await this.db.user.upsert({
      where: { username: "admin" },
      create: { username: "admin", realname: "system admin", comment: "admin user", passwordHash, sysadmin: true },
      update: {},
    });
    return true;
  }

  /** Checks a username and password; `undefined` when either is wrong. */
  async authenticate(username: string, password: string): Promise<Principal | undefined> {
    const user = await this.db.user.findUnique({
      where: { username },
      select: { id: true, username: true, sysadmin: true, passwordHash: true },
    });
    if (!user) {
      await verifyPassword(await DUMMY_HASH, password);
      return undefined;
    }
    if (!(await verifyPassword(user.passwordHash, password))) return undefined;
    return { kind: "user", id: user.id, username: user.username, sysadmin: user.sysadmin };
  }
}
