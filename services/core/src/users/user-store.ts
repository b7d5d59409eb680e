import { isRecordNotFound, isUniqueViolation, type Prisma, type PrismaClient, type User } from "@berth/db";
import { AuditStore, type AuditEntry } from "../audit/audit-store.js";
import type { UserPrincipal } from "../auth/principal.js";
import { ConflictError, NotFoundError } from "../errors.js";
import { orderBy, textFilter, type ListPage, type Paging, type ListOrder, type TextMatch } from "../listing.js";
import { hashPassword, verifyDecoy, verifyPassword } from "./password.js";

/** Which users a list shows. */
export interface UserFilter {
  username?: TextMatch | undefined;
  email?: TextMatch | undefined;
}

/** Fields users can be sorted by. */
export type UserSortField = "id" | "username" | "email" | "createdAt" | "updatedAt";

/** Harbor's `UserResp`; the hash never leaves this module. */
export interface UserView {
  user_id: number;
  username: string;
  email: string;
  realname: string;
  comment: string;
  sysadmin_flag: boolean;
  admin_role_in_auth: boolean;
  creation_time: string;
  update_time: string;
}

export function userView(u: User): UserView {
  return {
    user_id: u.id,
    username: u.username,
    email: u.email ?? "",
    realname: u.realname,
    comment: u.comment,
    sysadmin_flag: u.sysadmin,
    admin_role_in_auth: false,
    creation_time: u.createdAt.toISOString(),
    update_time: u.updatedAt.toISOString(),
  };
}

/**
 * The password hash of users on-boarded from LDAP or OIDC: not an argon2 hash, so no password
 * ever verifies against it — they prove who they are to their identity provider.
 */
export const EXTERNAL_PASSWORD_HASH = "!external";

/** A user as an identity provider describes them at their first login. */
export interface ExternalUser {
  username: string;
  email?: string | undefined;
  realname?: string | undefined;
}

/** Local user accounts (`users`). */
export class UserStore {
  constructor(
    private readonly db: PrismaClient,
    /** How a login's password is checked against the stored hash (core wires a {@link CredentialCache}). */
    private readonly checkLogin: (account: string, stored: string, password: string) => Promise<boolean> = (_a, stored, pw) => verifyPassword(stored, pw),
  ) {}

  /** How many users exist (the authentication mode may change only while `admin` is alone). */
  count(): Promise<number> {
    return this.db.user.count();
  }

  /**
   * The user named `input.username`, created at their first login (Harbor's on-boarding) with an
   * unusable password. An email another user already has is left out rather than failing the login.
   */
  async onboard(input: ExternalUser, source: "ldap" | "oidc"): Promise<User> {
    const existing = await this.db.user.findUnique({ where: { username: input.username } });
    if (existing) return existing;
    const create = (email: string | null) =>
      this.db.$transaction(async (tx) => {
        const user = await tx.user.create({ data: { username: input.username, email, realname: input.realname ?? "", comment: `on-boarded from ${source}`, passwordHash: EXTERNAL_PASSWORD_HASH } });
        await AuditStore.write(tx, { operator: user.username, operatorType: "user", resource: `user:${user.username}`, resourceType: "user", operation: "create", detail: { source } });
        return user;
      });
    try {
      return await create(input.email || null);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // Another login created the user meanwhile, or the email belongs to someone else.
      const raced = await this.db.user.findUnique({ where: { username: input.username } });
      if (raced) return raced;
      return create(null);
    }
  }

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
  async authenticate(username: string, password: string): Promise<UserPrincipal | undefined> {
    const user = await this.db.user.findUnique({
      where: { username },
      select: { id: true, username: true, sysadmin: true, passwordHash: true },
    });
    if (!user) {
      await verifyDecoy(password);
      return undefined;
    }
    if (!(await this.checkLogin(`user:${user.username}`, user.passwordHash, password))) return undefined;
    return { kind: "user", id: user.id, username: user.username, sysadmin: user.sysadmin };
  }

  async principalById(id: number): Promise<UserPrincipal | undefined> {
    const user = await this.db.user.findUnique({ where: { id }, select: { id: true, username: true, sysadmin: true } });
    return user ? { kind: "user", id: user.id, username: user.username, sysadmin: user.sysadmin } : undefined;
  }

  async get(id: number): Promise<User> {
    const user = await this.db.user.findUnique({ where: { id } });
    if (!user) throw new NotFoundError(`user ${id} not found`);
    return user;
  }

  findByName(username: string): Promise<User | null> {
    return this.db.user.findUnique({ where: { username } });
  }

  findById(id: number): Promise<User | null> {
    return this.db.user.findUnique({ where: { id } });
  }

  async namesById(ids: number[]): Promise<Map<number, string>> {
    const rows = await this.db.user.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, username: true } });
    return new Map(rows.map((r) => [r.id, r.username]));
  }

  async list(filter: UserFilter, page: Paging, sort?: ListOrder<UserSortField>): Promise<ListPage<User>> {
    const where: Prisma.UserWhereInput = {
      ...(filter.username && { username: textFilter(filter.username) }),
      ...(filter.email && { email: textFilter(filter.email) }),
    };
    const [total, items] = await this.db.$transaction([
      this.db.user.count({ where }),
      this.db.user.findMany({ where, orderBy: orderBy(sort, { id: "asc" }), skip: page.skip, take: page.take }),
    ]);
    return { total, items };
  }

  async create(
    input: { username: string; password: string; email?: string | undefined; realname?: string | undefined; comment?: string | undefined },
    audit: Omit<AuditEntry, "resource" | "resourceType" | "operation">,
  ): Promise<User> {
    const passwordHash = await hashPassword(input.password);
    try {
      return await this.db.$transaction(async (tx) => {
        const user = await tx.user.create({
          data: {
            username: input.username,
            email: input.email || null,
            realname: input.realname ?? "",
            comment: input.comment ?? "",
            passwordHash,
          },
        });
        await AuditStore.write(tx, { ...audit, resource: `user:${user.username}`, resourceType: "user", operation: "create" });
        return user;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError("username or email already exists");
      throw err;
    }
  }

  async update(
    id: number,
    data: { email?: string | undefined; realname?: string | undefined; comment?: string | undefined; sysadmin?: boolean | undefined },
    audit: Omit<AuditEntry, "resource" | "resourceType">,
  ): Promise<void> {
    try {
      await this.db.$transaction(async (tx) => {
        const user = await tx.user.update({
          where: { id },
          data: {
            ...(data.email !== undefined ? { email: data.email || null } : {}),
            ...(data.realname !== undefined ? { realname: data.realname } : {}),
            ...(data.comment !== undefined ? { comment: data.comment } : {}),
            ...(data.sysadmin !== undefined ? { sysadmin: data.sysadmin } : {}),
          },
        });
        await AuditStore.write(tx, { ...audit, resource: `user:${user.username}`, resourceType: "user" });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError("email already exists");
      if (isRecordNotFound(err)) throw new NotFoundError(`user ${id} not found`);
      throw err;
    }
  }

  async checkPassword(id: number, password: string): Promise<boolean> {
    const user = await this.db.user.findUnique({ where: { id }, select: { passwordHash: true } });
    return user ? verifyPassword(user.passwordHash, password) : false;
  }

  /** Sets a new password and ends the user's browser sessions. */
  async setPassword(id: number, password: string, audit: Omit<AuditEntry, "resource" | "resourceType" | "operation">): Promise<void> {
    const passwordHash = await hashPassword(password);
    await this.db.$transaction(async (tx) => {
      const user = await tx.user.update({ where: { id }, data: { passwordHash } }).catch((err: unknown) => {
        throw isRecordNotFound(err) ? new NotFoundError(`user ${id} not found`) : err;
      });
      await tx.session.deleteMany({ where: { userId: id } });
      await AuditStore.write(tx, { ...audit, resource: `user:${user.username}`, resourceType: "user", operation: "update", detail: { field: "password" } });
    });
  }

  /** Deletes the user with their memberships, sessions and OIDC link (projects they own keep `owner_id`). */
  async delete(id: number, audit: Omit<AuditEntry, "resource" | "resourceType" | "operation">): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const user = await tx.user.findUnique({ where: { id } });
      if (!user) throw new NotFoundError(`user ${id} not found`);
      await tx.projectMember.deleteMany({ where: { userId: id } });
      await tx.session.deleteMany({ where: { userId: id } });
      // An OIDC user's link to their provider identity goes too: signing in again on-boards anew.
      await tx.oidcUser.deleteMany({ where: { userId: id } });
      await tx.user.delete({ where: { id } });
      await AuditStore.write(tx, { ...audit, resource: `user:${user.username}`, resourceType: "user", operation: "delete" });
    });
  }
}
