import { Router } from "express";
import { z } from "zod";
import { requireAuthenticated, requireSystem } from "../auth/guards.js";
import { auditActor, principalOf } from "../auth/principal.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { idParam, parseInput, parseParam } from "../http/parse-input.js";
import type { GroupService } from "./group-service.js";
import { userGroupView, type UserGroupStore } from "./user-group-store.js";

const groupBody = z.object({
  group_name: z.string().max(255).optional(),
  group_type: z.number().int(),
  ldap_group_dn: z.string().max(1024).optional(),
});
const listQuery = z.object({ ...pagingQuery, group_name: z.string().max(255).optional(), ldap_group_dn: z.string().max(1024).optional() });

/**
 * `/api/v2.0/usergroups…`: LDAP and OIDC user groups. Listing and changing them is for system
 * administrators (and system robots with `user-group` permissions); `search` by name is for any
 * signed-in user (project admins adding a group as a member).
 */
export function userGroupsRoutes(deps: { groups: UserGroupStore; groupService: GroupService }): Router {
  const { groups, groupService } = deps;
  const router = Router();

  router.get("/api/v2.0/usergroups", requireSystem("user-group", "list"), async (req, res) => {
    const query = parseInput(listQuery, req.query);
    const page = paging(query);
    const { total, items } = await groups.list({ name: query.group_name ? { contains: query.group_name } : undefined, ldapGroupDn: query.ldap_group_dn || undefined }, page);
    setPageHeaders(req, res, page, total);
    res.json(items.map(userGroupView));
  });

  router.post("/api/v2.0/usergroups", requireSystem("user-group", "create"), async (req, res) => {
    const group = await groupService.create(parseInput(groupBody, req.body), auditActor(principalOf(res)));
    res.setHeader("Location", `/api/v2.0/usergroups/${group.id}`);
    res.status(201).end();
  });

  router.get("/api/v2.0/usergroups/search", requireAuthenticated(), async (req, res) => {
    const query = parseInput(z.object({ ...pagingQuery, groupname: z.string().min(1).max(255) }), req.query);
    const page = paging(query);
    const { total, items } = await groups.list({ name: { contains: query.groupname } }, page);
    setPageHeaders(req, res, page, total);
    res.json(items.map((g) => ({ id: g.id, group_name: g.name, group_type: g.groupType })));
  });

  router.get("/api/v2.0/usergroups/:id", requireSystem("user-group", "read"), async (req, res) => {
    res.json(userGroupView(await groups.get(parseParam(req, "id", idParam))));
  });

  router.put("/api/v2.0/usergroups/:id", requireSystem("user-group", "update"), async (req, res) => {
    const body = parseInput(z.object({ group_name: z.string().trim().min(1).max(255) }).passthrough(), req.body);
    await groups.rename(parseParam(req, "id", idParam), body.group_name, auditActor(principalOf(res)));
    res.status(200).end();
  });

  router.delete("/api/v2.0/usergroups/:id", requireSystem("user-group", "delete"), async (req, res) => {
    await groups.delete(parseParam(req, "id", idParam), auditActor(principalOf(res)));
    res.status(200).end();
  });

  return router;
}
