import { Router, type Response } from "express";
import { z } from "zod";
import { requireAuthenticated, requireSysadmin } from "../auth/guards.js";
import { auditActor, principalOf, type UserPrincipal } from "../auth/principal.js";
import { InvalidInputError, PermissionDeniedError, PreconditionFailedError, UnauthenticatedError } from "../errors.js";
import { onlyKeys, parseHarborQuery, textMatch } from "../http/harbor-query.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { idParam, parseInput, parseParam } from "../http/parse-input.js";
import { parseSort, sortQuery } from "../http/sorting.js";
import { isStrongPassword } from "./password.js";
import { userView, type UserStore } from "./user-store.js";

const PASSWORD_RULE = "password must be 8–128 characters with at least one upper-case letter, one lower-case letter and one digit";

/** Harbor's username rule: 1–255 characters, none of `,"~#$%` (so no user can pose as `robot$…`); no spaces or control characters. */
const username = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^,"~#$%\s\p{Cc}]+$/u, 'must not contain spaces, control characters or any of , " ~ # $ %');
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
export function usersRoutes(deps: { users: UserStore }): Router {
  const { users } = deps;
  const router = Router();

  router.get("/api/v2.0/users/current", requireAuthenticated(), async (_req, res) => {
    res.json(userView(await users.get(currentUser(res).id)));
  });

  router.get("/api/v2.0/users", requireSysadmin(), async (req, res) => {
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
    res.json(userView(await users.get(id)));
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
    await users.get(id);
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
