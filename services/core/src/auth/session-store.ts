import { createHash, randomBytes } from "node:crypto";
import type { PrismaClient } from "@berth/db";
import { AuditStore } from "../audit/audit-store.js";
import type { UserPrincipal } from "./principal.js";

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

/**
 * Browser sessions in Postgres (`sessions`). The cookie carries a random 256-bit token; the row
 * keeps only its SHA-256, so a database leak does not hand out sessions. Idle sessions expire
 * after `timeoutMinutes`; each use (at most once a minute) pushes the expiry forward. A session
 * keeps the groups and admin-group membership the identity provider reported at login.
 */
export class SessionStore {
  constructor(
    private readonly db: PrismaClient,
    readonly timeoutMinutes: number,
  ) {}

  /** Starts a session for `user` and audits the login, in one transaction; returns the cookie's token. */
  async create(user: UserPrincipal): Promise<string> {
    const token = randomBytes(32).toString("base64url");
    await this.db.$transaction(async (tx) => {
      await tx.session.create({
        data: {
          id: hashToken(token),
          userId: user.id,
          groupIds: [...(user.groupIds ?? [])],
          adminRoleInAuth: user.adminRoleInAuth ?? false,
          expiresAt: new Date(Date.now() + this.timeoutMinutes * 60_000),
        },
      });
      await AuditStore.write(tx, { operator: user.username, operatorType: "user", resource: `user:${user.username}`, resourceType: "user", operation: "login" });
    });
    return token;
  }

  /** The user of a live session, or `undefined` (unknown, expired, or the user is gone). */
  async resolve(token: string): Promise<UserPrincipal | undefined> {
    const id = hashToken(token);
    const session = await this.db.session.findUnique({ where: { id } });
    if (!session) return undefined;
    const now = Date.now();
    if (session.expiresAt.getTime() <= now) {
      await this.db.session.deleteMany({ where: { id } });
      return undefined;
    }
    const user = await this.db.user.findUnique({ where: { id: session.userId }, select: { id: true, username: true, sysadmin: true } });
    if (!user) return undefined;
    if (now - session.lastSeenAt.getTime() > 60_000) {
      await this.db.session.updateMany({ where: { id }, data: { lastSeenAt: new Date(now), expiresAt: new Date(now + this.timeoutMinutes * 60_000) } });
    }
    return {
      kind: "user",
      id: user.id,
      username: user.username,
      sysadmin: user.sysadmin || session.adminRoleInAuth,
      adminRoleInAuth: session.adminRoleInAuth,
      groupIds: session.groupIds,
    };
  }

  async destroy(token: string): Promise<void> {
    await this.db.session.deleteMany({ where: { id: hashToken(token) } });
  }

  async purgeExpired(): Promise<number> {
    const { count } = await this.db.session.deleteMany({ where: { expiresAt: { lt: new Date() } } });
    return count;
  }
}
