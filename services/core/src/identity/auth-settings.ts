/**
 * The authentication settings of `/api/v2.0/configurations`: Harbor's keys (and a few Berth
 * extensions, marked), their wire types, defaults, which are secrets (write-only, sealed at rest)
 * and the typed settings the authenticators read. One table, so the API, the store and the
 * authenticators cannot disagree about a key.
 */
import { z } from "zod";

export const AUTH_MODES = ["db_auth", "ldap_auth", "oidc_auth"] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

const text = (max = 1024) => z.string().max(max);
/** A PEM certificate bundle, or empty. */
const pem = z
  .string()
  .max(65_536)
  .refine((v) => v === "" || /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(v), "must be PEM certificates (-----BEGIN CERTIFICATE-----…) or empty");
const ldapUrl = z
  .string()
  .max(1024)
  .refine((v) => v === "" || /^ldaps?:\/\/[^\s/]+\/?$/i.test(v), "must be ldap://host[:port] or ldaps://host[:port]");
const httpsUrl = z
  .string()
  .max(1024)
  .refine((v) => {
    if (v === "") return true;
    try {
      const u = new URL(v);
      return u.protocol === "https:" || (u.protocol === "http:" && isLoopbackHost(u.hostname));
    } catch {
      return false;
    }
  }, "must be an https:// URL (http:// only on a loopback address)");
/** LDAP search scope: 0 base, 1 one level, 2 subtree. */
const scope = z.number().int().min(0).max(2);
const regex = z.string().max(1024).refine((v) => {
  try {
    new RegExp(v);
    return true;
  } catch {
    return false;
  }
}, "must be a valid regular expression");
/** Harbor sends `oidc_extra_redirect_parms` as a JSON object in a string. */
const extraParams = z.string().max(4096).refine((v) => {
  if (v === "") return true;
  try {
    const parsed: unknown = JSON.parse(v);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) && Object.values(parsed).every((x) => typeof x === "string");
  } catch {
    return false;
  }
}, 'must be a JSON object of strings, e.g. {"prompt":"login"}');

/** Every key, its wire schema and default. `secret` keys are write-only and sealed at rest. */
export const AUTH_KEYS = {
  auth_mode: { schema: z.enum(AUTH_MODES), default: "db_auth" as AuthMode },
  ldap_url: { schema: ldapUrl, default: "" },
  ldap_search_dn: { schema: text(), default: "" },
  ldap_search_password: { schema: text(), default: "", secret: true },
  ldap_base_dn: { schema: text(), default: "" },
  ldap_filter: { schema: text(), default: "" },
  ldap_uid: { schema: text(255).regex(/^[A-Za-z][A-Za-z0-9-]*$/, "must be an attribute name"), default: "cn" },
  ldap_scope: { schema: scope, default: 2 },
  ldap_timeout: { schema: z.number().int().min(1).max(300), default: 5 },
  ldap_verify_cert: { schema: z.boolean(), default: true },
  /** Berth: upgrade `ldap://` connections with StartTLS. */
  ldap_start_tls: { schema: z.boolean(), default: false },
  /** Berth: the CA certificates (PEM) that sign the LDAP server's certificate; empty means the system's. */
  ldap_ca_cert: { schema: pem, default: "" },
  ldap_group_base_dn: { schema: text(), default: "" },
  ldap_group_search_filter: { schema: text(), default: "" },
  ldap_group_attribute_name: { schema: text(255), default: "cn" },
  ldap_group_search_scope: { schema: scope, default: 2 },
  ldap_group_membership_attribute: { schema: text(255), default: "memberof" },
  ldap_group_admin_dn: { schema: text(), default: "" },
  oidc_name: { schema: text(255), default: "" },
  oidc_endpoint: { schema: httpsUrl, default: "" },
  oidc_client_id: { schema: text(), default: "" },
  oidc_client_secret: { schema: text(), default: "", secret: true },
  oidc_groups_claim: { schema: text(255), default: "" },
  oidc_admin_group: { schema: text(255), default: "" },
  oidc_group_filter: { schema: regex, default: "" },
  oidc_scope: { schema: text(), default: "openid,offline_access" },
  oidc_user_claim: { schema: text(255), default: "" },
  oidc_verify_cert: { schema: z.boolean(), default: true },
  /** Berth: the CA certificates (PEM) that sign the provider's certificate; empty means the system's. */
  oidc_ca_cert: { schema: pem, default: "" },
  oidc_auto_onboard: { schema: z.boolean(), default: false },
  oidc_extra_redirect_parms: { schema: extraParams, default: "{}" },
} as const;

export type AuthKey = keyof typeof AUTH_KEYS;
export type AuthValues = { -readonly [K in AuthKey]: (typeof AUTH_KEYS)[K]["default"] extends boolean ? boolean : (typeof AUTH_KEYS)[K]["default"] extends number ? number : K extends "auth_mode" ? AuthMode : string };

export const SECRET_KEYS: ReadonlySet<AuthKey> = new Set((Object.keys(AUTH_KEYS) as AuthKey[]).filter((k) => "secret" in AUTH_KEYS[k]));

/** A PUT body: any subset of the keys, each of its type; unknown keys are refused. */
export const authSettingsUpdate = z
  .object(Object.fromEntries(Object.entries(AUTH_KEYS).map(([k, v]) => [k, v.schema.optional()])) as { [K in AuthKey]: z.ZodOptional<(typeof AUTH_KEYS)[K]["schema"]> })
  .strict();

export function defaults(): AuthValues {
  return Object.fromEntries(Object.entries(AUTH_KEYS).map(([k, v]) => [k, v.default])) as AuthValues;
}

/** What the LDAP authenticator needs. */
export interface LdapSettings {
  url: string;
  searchDn: string;
  searchPassword: string;
  baseDn: string;
  filter: string;
  uid: string;
  scope: number;
  timeoutSeconds: number;
  verifyCert: boolean;
  startTls: boolean;
  caCert: string;
  groupBaseDn: string;
  groupSearchFilter: string;
  groupAttributeName: string;
  groupSearchScope: number;
  groupMembershipAttribute: string;
  groupAdminDn: string;
}

/** What the OIDC client needs. */
export interface OidcSettings {
  name: string;
  endpoint: string;
  clientId: string;
  clientSecret: string;
  groupsClaim: string;
  adminGroup: string;
  groupFilter: string;
  scope: string[];
  userClaim: string;
  verifyCert: boolean;
  caCert: string;
  autoOnboard: boolean;
  extraRedirectParams: Record<string, string>;
}

export interface AuthSettings {
  mode: AuthMode;
  ldap: LdapSettings;
  oidc: OidcSettings;
}

export function ldapSettings(v: AuthValues): LdapSettings {
  return {
    url: v.ldap_url,
    searchDn: v.ldap_search_dn,
    searchPassword: v.ldap_search_password,
    baseDn: v.ldap_base_dn,
    filter: v.ldap_filter,
    uid: v.ldap_uid,
    scope: v.ldap_scope,
    timeoutSeconds: v.ldap_timeout,
    verifyCert: v.ldap_verify_cert,
    startTls: v.ldap_start_tls,
    caCert: v.ldap_ca_cert,
    groupBaseDn: v.ldap_group_base_dn,
    groupSearchFilter: v.ldap_group_search_filter,
    groupAttributeName: v.ldap_group_attribute_name,
    groupSearchScope: v.ldap_group_search_scope,
    groupMembershipAttribute: v.ldap_group_membership_attribute,
    groupAdminDn: v.ldap_group_admin_dn,
  };
}

export function authSettings(v: AuthValues): AuthSettings {
  return {
    mode: v.auth_mode,
    ldap: ldapSettings(v),
    oidc: {
      name: v.oidc_name,
      endpoint: v.oidc_endpoint,
      clientId: v.oidc_client_id,
      clientSecret: v.oidc_client_secret,
      groupsClaim: v.oidc_groups_claim,
      adminGroup: v.oidc_admin_group,
      groupFilter: v.oidc_group_filter,
      scope: v.oidc_scope
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter((s) => s !== ""),
      userClaim: v.oidc_user_claim,
      verifyCert: v.oidc_verify_cert,
      caCert: v.oidc_ca_cert,
      autoOnboard: v.oidc_auto_onboard,
      extraRedirectParams: v.oidc_extra_redirect_parms === "" ? {} : (JSON.parse(v.oidc_extra_redirect_parms) as Record<string, string>),
    },
  };
}

/** What a mode needs before it can be switched on; the missing keys, or none. */
export function missingForMode(v: AuthValues): AuthKey[] {
  const need: AuthKey[] =
    v.auth_mode === "ldap_auth" ? ["ldap_url", "ldap_base_dn", "ldap_uid"] : v.auth_mode === "oidc_auth" ? ["oidc_name", "oidc_endpoint", "oidc_client_id", "oidc_client_secret"] : [];
  return need.filter((k) => v[k] === "");
}

export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "[::1]" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
