import { Router } from "express";
import { z } from "zod";
import type { AccessControl } from "../auth/access-control.js";
import { isRoleId } from "../auth/permissions.js";
import { auditActor, principalOf } from "../auth/principal.js";
import { InvalidInputError, NotFoundError } from "../errors.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { idParam, idValue, parseInput, parseParam } from "../http/parse-input.js";
import { projectParam } from "../projects/project-param.js";
import type { ProjectStore } from "../projects/project-store.js";
import type { UserStore } from "../users/user-store.js";
import type { GroupService } from "../groups/group-service.js";
import type { MemberEntity, MemberStore } from "./member-store.js";

const roleId = z
  .number()
  .int()
  .refine(isRoleId, "must be 1 (projectAdmin), 2 (developer), 3 (guest), 4 (maintainer) or 5 (limitedGuest)");
const createBody = z.object({
  role_id: roleId,
  member_user: z.object({ user_id: idValue.optional(), username: z.string().min(1).max(255).optional() }).optional(),
  member_group: z
    .object({ id: idValue.optional(), group_name: z.string().max(255).optional(), group_type: z.number().int().optional(), ldap_group_dn: z.string().max(1024).optional() })
    .optional(),
});
const listQuery = z.object({ ...pagingQuery, entityname: z.string().max(255).optional() });

/**
 * `/api/v2.0/projects/{project_name_or_id}/members…`: users (`member_user`) and user groups
 * (`member_group`: an id, an LDAP group's DN, or an OIDC group's name).
 */
export function membersRoutes(deps: { projects: ProjectStore; members: MemberStore; users: UserStore; groups: GroupService; access: AccessControl }): Router {
  const { projects, members, users, groups, access } = deps;
  const router = Router();
  const base = "/api/v2.0/projects/:project/members";

  router.get(base, async (req, res) => {
    const project = await projectParam(projects, req);
    await access.require(principalOf(res), project, "member", "list");
    const query = parseInput(listQuery, req.query);
    const page = paging(query);
    const { total, items } = await members.list(project.id, query.entityname, page);
    setPageHeaders(req, res, page, total);
    res.json(items);
  });

  router.post(base, async (req, res) => {
    const project = await projectParam(projects, req);
    const principal = principalOf(res);
    await access.require(principal, project, "member", "create");
    const body = parseInput(createBody, req.body);
    if ((body.member_group === undefined) === (body.member_user === undefined)) throw new InvalidInputError("give either member_user or member_group");
    let entity: MemberEntity;
    if (body.member_group) {
      const group = await groups.resolve(body.member_group, auditActor(principal));
      entity = { kind: "group", id: group.id, name: group.name };
    } else {
      const { user_id, username } = body.member_user ?? {};
      const user = user_id !== undefined ? await users.findById(user_id) : username !== undefined ? await users.findByName(username) : undefined;
      if (user === undefined) throw new InvalidInputError("member_user needs user_id or username");
      if (!user) throw new NotFoundError(`user ${user_id ?? username} not found`);
      entity = { kind: "user", id: user.id, name: user.username };
    }
    const id = await members.add(project, entity, body.role_id, auditActor(principal));
    res.setHeader("Location", `/api/v2.0/projects/${project.id}/members/${id}`);
    res.status(201).end();
  });

  router.get(`${base}/:mid`, async (req, res) => {
    const project = await projectParam(projects, req);
    await access.require(principalOf(res), project, "member", "read");
    res.json(await members.get(project.id, parseParam(req, "mid", idParam)));
  });

  router.put(`${base}/:mid`, async (req, res) => {
    const project = await projectParam(projects, req);
    const principal = principalOf(res);
    await access.require(principal, project, "member", "update");
    const body = parseInput(z.object({ role_id: roleId }), req.body);
    await members.updateRole(project, parseParam(req, "mid", idParam), body.role_id, auditActor(principal));
    res.status(200).end();
  });

  router.delete(`${base}/:mid`, async (req, res) => {
    const project = await projectParam(projects, req);
    const principal = principalOf(res);
    await access.require(principal, project, "member", "delete");
    await members.remove(project, parseParam(req, "mid", idParam), auditActor(principal));
    res.status(200).end();
  });

  return router;
}
