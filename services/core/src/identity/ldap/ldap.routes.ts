import { Router } from "express";
import { z } from "zod";
import { requireSysadmin, requireSystem } from "../../auth/guards.js";
import { IdentityProviderUnavailableError, PreconditionFailedError } from "../../errors.js";
import { GROUP_TYPE } from "../../groups/user-group-store.js";
import { parseInput } from "../../http/parse-input.js";
import type { UserStore } from "../../users/user-store.js";
import { AUTH_KEYS, ldapSettings, type AuthValues, type LdapSettings } from "../auth-settings.js";
import type { AuthSettingsService } from "../auth-settings-service.js";
import type { LdapDirectory } from "./ldap-directory.js";

/** Harbor's `LdapConf` (plus Berth's StartTLS and CA keys): settings to try before saving them. */
const ldapConf = z
  .object({
    ldap_url: AUTH_KEYS.ldap_url.schema.optional(),
    ldap_search_dn: AUTH_KEYS.ldap_search_dn.schema.optional(),
    ldap_search_password: AUTH_KEYS.ldap_search_password.schema.optional(),
    ldap_base_dn: AUTH_KEYS.ldap_base_dn.schema.optional(),
    ldap_filter: AUTH_KEYS.ldap_filter.schema.optional(),
    ldap_uid: AUTH_KEYS.ldap_uid.schema.optional(),
    ldap_scope: AUTH_KEYS.ldap_scope.schema.optional(),
    ldap_connection_timeout: AUTH_KEYS.ldap_timeout.schema.optional(),
    ldap_verify_cert: AUTH_KEYS.ldap_verify_cert.schema.optional(),
    ldap_start_tls: AUTH_KEYS.ldap_start_tls.schema.optional(),
    ldap_ca_cert: AUTH_KEYS.ldap_ca_cert.schema.optional(),
  })
  .strict();

/**
 * `/api/v2.0/ldap/…`: ping the directory (with the saved settings, or settings to try — a
 * password left out is the saved one), search its users and groups, and import users.
 */
export function ldapRoutes(deps: { settings: AuthSettingsService; directory: LdapDirectory; users: UserStore }): Router {
  const { settings, directory, users } = deps;
  const router = Router();

  async function configured(): Promise<LdapSettings> {
    const s = (await settings.settings()).ldap;
    if (s.url === "" || s.baseDn === "") throw new PreconditionFailedError("LDAP is not configured: set ldap_url and ldap_base_dn in /configurations");
    return s;
  }

  router.post("/api/v2.0/ldap/ping", requireSysadmin(), async (req, res) => {
    const body = parseInput(ldapConf, req.body ?? {});
    const { ldap_connection_timeout, ...rest } = body;
    const values: AuthValues = { ...(await settings.values()), ...rest, ...(ldap_connection_timeout !== undefined && { ldap_timeout: ldap_connection_timeout }) };
    const s = ldapSettings(values);
    if (s.url === "") {
      res.json({ success: false, message: "ldap_url is not set" });
      return;
    }
    try {
      await directory.ping(s);
      res.json({ success: true, message: "" });
    } catch (err) {
      if (!(err instanceof IdentityProviderUnavailableError)) throw err;
      res.json({ success: false, message: err.message });
    }
  });

  router.get("/api/v2.0/ldap/users/search", requireSystem("ldap-user", "list"), async (req, res) => {
    const query = parseInput(z.object({ username: z.string().max(255).optional() }), req.query);
    const found = await directory.searchUsers(await configured(), query.username || undefined);
    res.json(found.map((u) => ({ username: u.username, realname: u.realname, email: u.email })));
  });

  router.post("/api/v2.0/ldap/users/import", requireSystem("ldap-user", "create"), async (req, res) => {
    const body = parseInput(z.object({ ldap_uid_list: z.array(z.string().min(1).max(255)).min(1).max(500) }), req.body);
    const s = await configured();
    const failed: { uid: string; error: string }[] = [];
    for (const uid of body.ldap_uid_list) {
      const found = await directory.findUser(s, uid);
      if (!found) {
        failed.push({ uid, error: "not found in the directory" });
        continue;
      }
      if (await users.findByName(found.username)) {
        failed.push({ uid, error: "already exists" });
        continue;
      }
      await users.onboard({ username: found.username, email: found.email, realname: found.realname }, "ldap");
    }
    if (failed.length > 0) res.status(404).json(failed);
    else res.status(200).end();
  });

  router.get("/api/v2.0/ldap/groups/search", requireSystem("user-group", "list"), async (req, res) => {
    const query = parseInput(z.object({ groupname: z.string().max(255).optional(), groupdn: z.string().max(1024).optional() }), req.query);
    const s = await configured();
    const found = await directory.searchGroups(s, { name: query.groupname || undefined, dn: query.groupdn || undefined });
    res.json(found.map((g) => ({ group_name: g.name, group_type: GROUP_TYPE.ldap, ldap_group_dn: g.dn })));
  });

  return router;
}
