import { createHash, randomBytes } from "node:crypto";
import type { PrismaClient } from "@berth/db";
import express, { Router, type Request } from "express";
import { z } from "zod";
import { AuditStore } from "../audit/audit-store.js";
import { parseInput, UnauthorizedError } from "../errors.js";
import type { Authenticator } from "./authenticator.js";
import { clientAddress } from "./basic-auth.js";
import { CSRF_HEADER, csrfTokenFor } from "./csrf.js";
import type { UserPrincipal } from "./principal.js";

/** Harbor's session cookie name. */
export const SESSION_COOKIE = "sid";

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * Browser sessions in Postgres (`sessions`). The cookie carries a random 256-bit token; the row
 * keeps only its SHA-256, so a database leak does not hand out sessions. Idle sessions expire
 * after `timeoutMinutes`; each use (at most once a minute) pushes the expiry forward.
 */
export class SessionStore {
  constructor(
    private readonly db: PrismaClient,
    readonly timeoutMinutes: number,
  ) {}

  async create(userId: number): Promise<string> {
    const token = randomBytes(32).toString("base64url");
    await this.db.session.create({ data: { id: hashToken(token), userId, expiresAt: new Date(Date.now() + this.timeoutMinutes * 60_000) } });
    return token;
  }

  async resolve(token: string): Promise<UserPrincipal | undefined> {
    if (token.length > 100) return undefined;
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
    return { kind: "user", id: user.id, username: user.username, sysadmin: user.sysadmin };
  }

  async destroy(token: string): Promise<void> {
    await this.db.session.deleteMany({ where: { id: hashToken(token) } });
  }

  async purgeExpired(): Promise<number> {
    const { count } = await this.db.session.deleteMany({ where: { expiresAt: { lt: new Date() } } });
    return count;
  }
}

const loginForm = z.object({ principal: z.string().min(1).max(255), password: z.string().min(1).max(1024) });

/**
 * `POST /c/login` (form `principal`, `password`, as Harbor's portal sends) sets the session
 * cookie — HttpOnly, SameSite=Lax, Secure when the external URL is https — and answers the CSRF
 * token in `X-Harbor-CSRF-Token`. Robots cannot log in. `GET /c/log_out` ends the session.
 */
export function sessionRoutes(deps: { sessions: SessionStore; authenticator: Authenticator; db: PrismaClient; secureCookies: boolean }): Router {
  const router = Router();
  const cookie = (token: string, maxAge: number) =>
    `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${deps.secureCookies ? "; Secure" : ""}`;

  router.post("/c/login", express.urlencoded({ extended: false, limit: "16kb" }), async (req, res) => {
    const form = parseInput(loginForm, req.body ?? {});
    const principal = await deps.authenticator.check(form.principal, form.password, clientAddress(req), { allowRobots: false });
    if (!principal || principal.kind !== "user") throw new UnauthorizedError("invalid credentials");
    const token = await deps.sessions.create(principal.id);
    await AuditStore.write(deps.db, { operator: principal.username, operatorType: "user", resource: `user:${principal.username}`, resourceType: "user", operation: "login" });
    res.setHeader("Set-Cookie", cookie(token, deps.sessions.timeoutMinutes * 60));
    res.setHeader(CSRF_HEADER, csrfTokenFor(token));
    res.status(200).end();
  });

  router.get("/c/log_out", async (req, res) => {
    const token = readCookie(req, SESSION_COOKIE);
    if (token) await deps.sessions.destroy(token);
    res.setHeader("Set-Cookie", cookie("", 0));
    res.status(200).end();
  });
  return router;
}
