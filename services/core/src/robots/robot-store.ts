import { randomInt } from "node:crypto";
import { ROBOT_NAME_PREFIX } from "@berth/audit";
import { isUniqueViolation, type Prisma, type PrismaClient, type Robot } from "@berth/db";
import { AuditStore, type Actor } from "../audit/audit-store.js";
import type { RobotPermission } from "../auth/permissions.js";
import type { RobotPrincipal } from "../auth/principal.js";
import { ConflictError, NotFoundError } from "../errors.js";
import { orderBy, textFilter, type ListPage, type Paging, type ListOrder, type TextMatch } from "../listing.js";
import { hashPassword, isStrongPassword, verifyDecoy, verifyPassword } from "../users/password.js";


const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A 32-character secret (~190 bits) that also satisfies Harbor's password rule. */
export function generateRobotSecret(): string {
  for (;;) {
    let secret = "";
    for (let i = 0; i < 32; i++) secret += ALPHABET[randomInt(ALPHABET.length)];
    if (isStrongPassword(secret)) return secret;
  }
}

/** The login name: `robot$<project>+<name>` for project robots, `robot$<name>` for system ones. */
export function robotLoginName(level: "system" | "project", name: string, projectName?: string): string {
  return level === "project" ? `${ROBOT_NAME_PREFIX}${projectName}+${name}` : `${ROBOT_NAME_PREFIX}${name}`;
}

/** Harbor's `Robot` (never the secret). `expires_at` is Unix seconds, -1 for never. */
export interface RobotView {
  id: number;
  name: string;
  description: string;
  level: string;
  duration: number;
  editable: boolean;
  disable: boolean;
  expires_at: number;
  permissions: RobotPermission[];
  creator_type: string;
  creator_ref: number;
  creation_time: string;
  update_time: string;
}

export function robotView(r: Robot): RobotView {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    level: r.level,
    duration: r.duration,
    editable: true,
    disable: r.disabled,
    expires_at: r.expiresAt ? Math.floor(r.expiresAt.getTime() / 1000) : -1,
    permissions: r.permissions as unknown as RobotPermission[],
    creator_type: r.creatorType,
    creator_ref: r.creatorRef,
    creation_time: r.createdAt.toISOString(),
    update_time: r.updatedAt.toISOString(),
  };
}

export function expiryFor(duration: number, from: Date): Date | null {
  return duration === -1 ? null : new Date(from.getTime() + duration * 86_400_000);
}

export interface RobotInput {
  loginName: string;
  description: string;
  level: "system" | "project";
  projectId: number | null;
  duration: number;
  disabled: boolean;
  permissions: RobotPermission[];
  creatorType: string;
  creatorRef: number;
}

/** Which robots a list shows. */
export interface RobotFilter {
  level?: "system" | "project" | undefined;
  projectId?: number | undefined;
  name?: TextMatch | undefined;
}

/** Fields robots can be sorted by. */
export type RobotSortField = "id" | "name" | "createdAt" | "updatedAt" | "expiresAt";

/** Robot accounts (`robots`): secrets are argon2id hashes, shown in clear only when set. */
export class RobotStore {
  constructor(
    private readonly db: PrismaClient,
    /** How a robot's secret is checked against the stored hash (core wires a {@link CredentialCache}). */
    private readonly checkSecret: (account: string, stored: string, secret: string) => Promise<boolean> = (_a, stored, s) => verifyPassword(stored, s),
  ) {}

  async create(input: RobotInput, secret: string, actor: Actor): Promise<Robot> {
    const secretHash = await hashPassword(secret);
    try {
      return await this.db.$transaction(async (tx) => {
        const robot = await tx.robot.create({
          data: {
            name: input.loginName,
            description: input.description,
            secretHash,
            level: input.level,
            projectId: input.projectId,
            duration: input.duration,
            expiresAt: expiryFor(input.duration, new Date()),
            disabled: input.disabled,
            creatorType: input.creatorType,
            creatorRef: input.creatorRef,
            permissions: input.permissions as unknown as Prisma.InputJsonValue,
          },
        });
        await AuditStore.write(tx, { ...actor, resource: robot.name, resourceType: "robot", operation: "create", projectId: robot.projectId });
        return robot;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`robot ${input.loginName} already exists`);
      throw err;
    }
  }

  async get(id: number): Promise<Robot> {
    const robot = await this.db.robot.findUnique({ where: { id } });
    if (!robot) throw new NotFoundError(`robot ${id} not found`);
    return robot;
  }

  async list(filter: RobotFilter, page: Paging, sort?: ListOrder<RobotSortField>): Promise<ListPage<Robot>> {
    const where: Prisma.RobotWhereInput = {
      ...(filter.level !== undefined && { level: filter.level }),
      ...(filter.projectId !== undefined && { projectId: filter.projectId }),
      ...(filter.name && { name: textFilter(filter.name) }),
    };
    const [total, items] = await this.db.$transaction([
      this.db.robot.count({ where }),
      this.db.robot.findMany({ where, orderBy: orderBy(sort, { id: "asc" }), skip: page.skip, take: page.take }),
    ]);
    return { total, items };
  }

  async update(
    robot: Robot,
    data: { description?: string | undefined; disabled?: boolean | undefined; duration?: number | undefined; permissions?: RobotPermission[] | undefined },
    actor: Actor,
  ): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await tx.robot.update({
        where: { id: robot.id },
        data: {
          ...(data.description !== undefined ? { description: data.description } : {}),
          ...(data.disabled !== undefined ? { disabled: data.disabled } : {}),
          ...(data.duration !== undefined ? { duration: data.duration, expiresAt: expiryFor(data.duration, robot.createdAt) } : {}),
          ...(data.permissions !== undefined ? { permissions: data.permissions as unknown as Prisma.InputJsonValue } : {}),
        },
      });
      await AuditStore.write(tx, {
        ...actor,
        resource: robot.name,
        resourceType: "robot",
        operation: "update",
        projectId: robot.projectId,
        detail: { disable: data.disabled ?? null, duration: data.duration ?? null, permissions_changed: data.permissions !== undefined },
      });
    });
  }

  async setSecret(robot: Robot, secret: string, actor: Actor): Promise<void> {
    const secretHash = await hashPassword(secret);
    await this.db.$transaction(async (tx) => {
      await tx.robot.update({ where: { id: robot.id }, data: { secretHash } });
      await AuditStore.write(tx, { ...actor, resource: robot.name, resourceType: "robot", operation: "update", projectId: robot.projectId, detail: { field: "secret" } });
    });
  }

  async delete(robot: Robot, actor: Actor): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await tx.robot.delete({ where: { id: robot.id } });
      await AuditStore.write(tx, { ...actor, resource: robot.name, resourceType: "robot", operation: "delete", projectId: robot.projectId });
    });
  }

  /**
   * Checks a robot's login name and secret. `undefined` for a wrong name or secret and for
   * disabled or expired robots, so a caller cannot tell which.
   */
  async authenticate(name: string, secret: string, now = new Date()): Promise<RobotPrincipal | undefined> {
    const robot = await this.db.robot.findUnique({ where: { name } });
    if (!robot) {
      await verifyDecoy(secret);
      return undefined;
    }
    if (!(await this.checkSecret(`robot:${robot.name}`, robot.secretHash, secret))) return undefined;
    if (robot.disabled || (robot.expiresAt && robot.expiresAt <= now)) return undefined;
    return {
      kind: "robot",
      id: robot.id,
      name: robot.name,
      level: robot.level === "system" ? "system" : "project",
      projectId: robot.projectId,
      permissions: robot.permissions as unknown as RobotPermission[],
    };
  }
}
