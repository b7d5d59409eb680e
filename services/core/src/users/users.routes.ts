import { Router, type Response } from "express";
import { z } from "zod";
import { requireAuthenticated, requireSysadmin, requireSystem } from "../auth/guards.js";
import { auditActor, principalOf, type UserPrincipal } from "../auth/principal.js";
import { InvalidInputError, PermissionDeniedError, PreconditionFailedError, UnauthenticatedError } from "../errors.js";
import { onlyKeys, parseHarborQuery, textMatch } from "../http/harbor-query.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { idParam, parseInput, parseParam } from "../http/parse-input.js";
import { parseSort, sortQuery } from "../http/sorting.js";
import { isStrongPassword } from "./password.js";
import { username } from "./username.js";
import type { UserIdentity } from "../identity/user-identity.js";
import { EXTERNAL_PASSWORD_HASH, userView, type UserStore } from "./user-store.js";

const PASSWORD_RULE = "password must be 8–128 characters with at least one upper-case letter, one lower-case letter and one digit";

const email = z.union([z.email().max(255), z.literal("")]);

const createBody = z.object({
  username,
  password: z.string().max(128),
  email: email.optional(),
  realname: z.string().max(255).optional(),
  comment: z.string().max(1024).optional(),
});
const profileBody = z.object({ email: email.optional(), realname: z.string().max(255).optional(), comment: z.string().max(1024).optional() });
const passwordBody = z.object({ old_password: z.string().max(1024).optional(), new_password: z.string().max(1024) });
const sysadminBody = z.object({ sysadmin_flag: z.boolean() });
const listQuery = z.object({ ...pagingQuery, q: z.string().max(1024).optional(), username: z.string().max(255).optional(), sort: sortQuery });
const SORT = { user_id: "id", username: "username", email: "email", creation_time: "createdAt", update_time: "updatedAt" } as const;

/** The calling user; robots get 412 on user-only endpoints, as Harbor answers. */
function currentUser(res: Response): UserPrincipal {
  const principal = principalOf(res);
  if (!principal) throw new UnauthenticatedError();
  if (principal.kind !== "user") throw new PreconditionFailedError("this endpoint is for users, not robot accounts");
  return principal;
}

/** `/api/v2.0/users…`: local accounts (system administrators manage; users see and edit themselves). */
export function usersRoutes(deps: { users: UserStore; identity: UserIdentity }): Router {
  const { users, identity } = deps;
  const router = Router();

  /** Harbor's `UserResp`; `oidc_user_meta` for OIDC users, with the CLI secret only for themselves. */
  async function view(id: number, me: UserPrincipal) {
    const user = await users.get(id);
    const meta = await identity.oidcMeta(id, me.id === id);
    return { ...userView(user), ...(me.id === id && { sysadmin_flag: user.sysadmin, admin_role_in_auth: me.adminRoleInAuth ?? false }), ...(meta && { oidc_user_meta: meta }) };
  }

  router.get("/api/v2.0/users/current", requireAuthenticated(), async (_req, res) => {
    const me = currentUser(res);
    res.json(await view(me.id, me));
  });

  router.put("/api/v2.0/users/:id/cli_secret", requireAuthenticated(), async (req, res) => {
    const id = parseParam(req, "id", idParam);
    const me = currentUser(res);
    if (!me.sysadmin && me.id !== id) throw new PermissionDeniedError("only system administrators may set other users' CLI secrets");
    const body = parseInput(z.object({ secret: z.string().max(128).optional() }), req.body ?? {});
    if (body.secret !== undefined && !isStrongPassword(body.secret)) throw new InvalidInputError(`the CLI secret: ${PASSWORD_RULE}`);
    const secret = await identity.setCliSecret(id, body.secret, auditActor(me));
    res.json({ secret: me.id === id ? secret : undefined });
  });

  router.get("/api/v2.0/users", requireSystem("user", "list"), async (req, res) => {
    const query = parseInput(listQuery, req.query);
    const q = parseHarborQuery(query.q);
    onlyKeys(q, ["username", "email"]);
    const page = paging(query);
    const filter = { username: query.username !== undefined ? { contains: query.username } : textMatch(q.get("username"), "username"), email: textMatch(q.get("email"), "email") };
    const { total, items } = await users.list(filter, page, parseSort(query.sort, SORT));
    setPageHeaders(req, res, page, total);
    res.json(items.map(userView));
  });

  router.post("/api/v2.0/users", requireSysadmin(), async (req, res) => {
    await identity.requireLocalAccounts();
    const body = parseInput(createBody, req.body);
    if (!isStrongPassword(body.password)) throw new InvalidInputError(PASSWORD_RULE);
    const user = await users.create(body, auditActor(principalOf(res)));
    res.setHeader("Location", `/api/v2.0/users/${user.id}`);
    res.status(201).end();
  });

  router.get("/api/v2.0/users/:id", requireAuthenticated(), async (req, res) => {
    const id = parseParam(req, "id", idParam);
    const me = currentUser(res);
    if (!me.sysadmin && me.id !== id) throw new PermissionDeniedError("only system administrators may read other users");
    res.json(await view(id, me));
  });

  router.put("/api/v2.0/users/:id", requireAuthenticated(), async (req, res) => {
    const id = parseParam(req, "id", idParam);
    const me = currentUser(res);
    if (!me.sysadmin && me.id !== id) throw new PermissionDeniedError("only system administrators may update other users");
    const body = parseInput(profileBody, req.body);
    await users.get(id);
    await users.update(id, body, { ...auditActor(me), operation: "update" });
    res.status(200).end();
  });

  router.delete("/api/v2.0/users/:id", requireSysadmin(), async (req, res) => {
    const id = parseParam(req, "id", idParam);
    const me = currentUser(res);
    if (me.id === id) throw new PermissionDeniedError("you cannot delete yourself");
    const user = await users.get(id);
    if (user.username === "admin") throw new PermissionDeniedError("the admin account cannot be deleted");
    await users.delete(id, auditActor(me));
    res.status(200).end();
  });

  router.put("/api/v2.0/users/:id/password", requireAuthenticated(), async (req, res) => {
    const id = parseParam(req, "id", idParam);
    const me = currentUser(res);
    const body = parseInput(passwordBody, req.body);
    if (!me.sysadmin && me.id !== id) throw new PermissionDeniedError("only system administrators may change other users' passwords");
    if ((await users.get(id)).passwordHash === EXTERNAL_PASSWORD_HASH) throw new PreconditionFailedError("this user signs in through LDAP or OIDC: the password is the identity provider's");
    // The old password is required of everyone changing their own, sysadmins included.
    if (me.id === id || !me.sysadmin) {
      if (!body.old_password || !(await users.checkPassword(id, body.old_password))) throw new PermissionDeniedError("the old password is not correct");
      if (body.old_password === body.new_password) throw new InvalidInputError("the new password must differ from the old one");
    }
    if (!isStrongPassword(body.new_password)) throw new InvalidInputError(PASSWORD_RULE);
    await users.setPassword(id, body.new_password, auditActor(me));
    res.status(200).end();
  });

  router.put("/api/v2.0/users/:id/sysadmin", requireSysadmin(), async (req, res) => {
    const id = parseParam(req, "id", idParam);
    const me = currentUser(res);
    const body = parseInput(sysadminBody, req.body);
    if (me.id === id) throw new PermissionDeniedError("you cannot change your own system administrator flag");
    await users.get(id);
    await users.update(id, { sysadmin: body.sysadmin_flag }, { ...auditActor(me), operation: "update", detail: { sysadmin_flag: body.sysadmin_flag } });
    res.status(200).end();
  });

  return router;
}
