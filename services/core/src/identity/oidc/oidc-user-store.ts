import type { OidcUser, PrismaClient, User } from "@berth/db";
import type { DataKey } from "@berth/secrets";
import { AuditStore, type Actor } from "../../audit/audit-store.js";
import { ConflictError } from "../../errors.js";
import { EXTERNAL_PASSWORD_HASH, type ExternalUser } from "../../users/user-store.js";
import { isUniqueViolation } from "@berth/db";
import type { OidcTokens } from "./oidc-client.js";

/** Harbor's `OIDCUserInfo` (the secret only for the user themself). */
export interface OidcUserMetaView {
  id: number;
  user_id: number;
  subiss: string;
  secret?: string;
  creation_time: string;
  update_time: string;
}

/** What the last verified ID token said, as kept with the tokens. */
export interface OidcLoginState {
  tokens: OidcTokens;
  expiresAt: Date;
  groupIds: number[];
  admin: boolean;
}

const secretContext = (userId: number) => `oidc-user:${userId}:secret`;
const tokenContext = (userId: number) => `oidc-user:${userId}:token`;

/**
 * OIDC users (`oidc_users`): the link from a provider identity (`sub`+`iss`) to a Berth user,
 * the CLI secret and the token set — both sealed with the data key, bound to the user's row.
 */
export class OidcUserStore {
  constructor(
    private readonly db: PrismaClient,
    private readonly dataKey: DataKey,
  ) {}

  get(userId: number): Promise<OidcUser | null> {
    return this.db.oidcUser.findUnique({ where: { userId } });
  }

  findBySubiss(subiss: string): Promise<OidcUser | null> {
    return this.db.oidcUser.findUnique({ where: { subiss } });
  }

  secretOf(row: OidcUser): string {
    return this.dataKey.open(row.secret, secretContext(row.userId));
  }

  tokensOf(row: OidcUser): OidcTokens {
    return JSON.parse(this.dataKey.open(row.token, tokenContext(row.userId))) as OidcTokens;
  }

  view(row: OidcUser, withSecret: boolean): OidcUserMetaView {
    return {
      id: row.userId,
      user_id: row.userId,
      subiss: row.subiss,
      ...(withSecret && { secret: this.secretOf(row) }),
      creation_time: row.createdAt.toISOString(),
      update_time: row.updatedAt.toISOString(),
    };
  }

  /**
   * Creates the Berth user `input.username` for a provider identity seen for the first time, with
   * its CLI secret and tokens, in one transaction. A taken username is a conflict (Harbor asks the
   * user for another one).
   */
  async onboard(input: ExternalUser, subiss: string, secret: string, state: OidcLoginState): Promise<User> {
    try {
      return await this.db.$transaction(async (tx) => {
        const user = await tx.user.create({
          data: { username: input.username, email: input.email || null, realname: input.realname ?? "", comment: "on-boarded from oidc", passwordHash: EXTERNAL_PASSWORD_HASH },
        });
        await tx.oidcUser.create({
          data: {
            userId: user.id,
            subiss,
            secret: this.dataKey.seal(secret, secretContext(user.id)),
            token: this.dataKey.seal(JSON.stringify(state.tokens), tokenContext(user.id)),
            tokenExpiresAt: state.expiresAt,
            groupIds: state.groupIds,
            adminRoleInAuth: state.admin,
          },
        });
        await AuditStore.write(tx, { operator: user.username, operatorType: "user", resource: `user:${user.username}`, resourceType: "user", operation: "create", detail: { source: "oidc" } });
        return user;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`the username ${input.username} (or its email) is taken: a user of this provider cannot be on-boarded under it`);
      throw err;
    }
  }

  /** Keeps the tokens and what they said after a login or a refresh. */
  async saveLogin(userId: number, state: OidcLoginState): Promise<void> {
    await this.db.oidcUser.update({
      where: { userId },
      data: {
        token: this.dataKey.seal(JSON.stringify(state.tokens), tokenContext(userId)),
        tokenExpiresAt: state.expiresAt,
        groupIds: state.groupIds,
        adminRoleInAuth: state.admin,
      },
    });
  }

  /** Replaces the user's CLI secret (the old one stops working at once). */
  async setSecret(row: OidcUser, username: string, secret: string, actor: Actor): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await tx.oidcUser.update({ where: { userId: row.userId }, data: { secret: this.dataKey.seal(secret, secretContext(row.userId)) } });
      await AuditStore.write(tx, { ...actor, resource: `user:${username}`, resourceType: "user", operation: "update", detail: { field: "cli_secret" } });
    });
  }
}
