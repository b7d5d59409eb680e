/**
 * The LDAP directory as Berth uses it (through `ldapts`): one short connection per operation,
 * TLS (`ldaps://`) or StartTLS with the configured CA, a search bind, user search by filter,
 * scope and uid attribute, a bind as the user to check the password, and the user's groups
 * (the user entry's membership attribute, e.g. `memberOf`, and a search for `groupOfNames` /
 * `groupOfUniqueNames` / `posixGroup` entries naming the user). Every wait is bounded by
 * `ldap_timeout`; a server that cannot be reached or does not answer is
 * {@link IdentityProviderUnavailableError}, never a wrong password.
 */
import type { ConnectionOptions } from "node:tls";
import { Client, escapeFilter, InvalidCredentialsError, NoSuchObjectError, ResultCodeError, type Entry } from "ldapts";
import { IdentityProviderUnavailableError } from "../../errors.js";
import { normalizeDn } from "../../groups/user-group-store.js";
import type { LdapSettings } from "../auth-settings.js";

/** A group of the directory: its DN and its name (the group attribute, e.g. `cn`). */
export interface LdapGroup {
  dn: string;
  name: string;
}

/** A user of the directory as Berth on-boards it. */
export interface LdapUser {
  dn: string;
  username: string;
  email: string;
  realname: string;
}

/** A user who proved their password, with their groups and whether one is the admin group. */
export interface LdapLogin extends LdapUser {
  groups: LdapGroup[];
  admin: boolean;
}

const SCOPES = ["base", "one", "sub"] as const;
const GROUP_OBJECT_FILTER = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))";
/** Most entries a user or group search returns (Harbor's portal pages through them). */
const SEARCH_LIMIT = 500;

/** The filter as given, wrapped in parentheses when it is not already. */
function wrap(filter: string): string {
  const f = filter.trim();
  if (f === "") return "";
  return f.startsWith("(") ? f : `(${f})`;
}

/** An attribute's values, matched case-insensitively (servers answer `memberOf` for `memberof`). */
function values(entry: Entry, attribute: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  if (!key || key === "dn") return [];
  const v = entry[key];
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.map((x) => (Buffer.isBuffer(x) ? x.toString("utf8") : String(x)));
}

const first = (entry: Entry, ...attributes: string[]) => attributes.map((a) => values(entry, a)[0]).find((v) => v !== undefined && v !== "") ?? "";

/** The value of a DN's first RDN (`cn=devs,ou=groups,…` → `devs`). */
function firstRdnValue(dn: string): string {
  const rdn = dn.split(",")[0] ?? "";
  return rdn.slice(rdn.indexOf("=") + 1).trim();
}

function isUnder(dn: string, base: string): boolean {
  const d = normalizeDn(dn);
  const b = normalizeDn(base);
  return b === "" || d === b || d.endsWith(`,${b}`);
}

export class LdapDirectory {
  /** The user `username` if `password` binds as them, else `undefined`; with their groups. */
  async authenticate(s: LdapSettings, username: string, password: string): Promise<LdapLogin | undefined> {
    // An empty password is an "unauthenticated bind", which servers accept: never a login.
    if (password === "") return undefined;
    return this.session(s, async (client) => {
      const entry = await this.findUserEntry(client, s, username);
      if (!entry) return undefined;
      try {
        await client.bind(entry.dn, password);
      } catch (err) {
        if (err instanceof InvalidCredentialsError) return undefined;
        throw err;
      }
      // Back to the search identity: the user may not be allowed to read groups.
      if (s.searchDn !== "") await client.bind(s.searchDn, s.searchPassword);
      const groups = await this.groupsOf(client, s, entry, username);
      const admin = s.groupAdminDn !== "" && groups.some((g) => normalizeDn(g.dn) === normalizeDn(s.groupAdminDn));
      return { ...this.user(entry, s), groups, admin };
    });
  }

  /** Users whose uid contains `username` (every user of the filter when absent). */
  async searchUsers(s: LdapSettings, username?: string): Promise<LdapUser[]> {
    return this.session(s, async (client) => {
      const match = username ? `(${s.uid}=*${escapeValue(username)}*)` : `(${s.uid}=*)`;
      const { searchEntries } = await client.search(s.baseDn, {
        scope: SCOPES[s.scope],
        filter: `(&${wrap(s.filter)}${match})`,
        attributes: [s.uid, "mail", "email", "cn", "displayName"],
        sizeLimit: SEARCH_LIMIT,
      });
      return searchEntries.map((e) => this.user(e, s)).filter((u) => u.username !== "");
    });
  }

  /** The user whose uid is exactly `username`, or `undefined`. */
  async findUser(s: LdapSettings, username: string): Promise<LdapUser | undefined> {
    return this.session(s, async (client) => {
      const entry = await this.findUserEntry(client, s, username);
      return entry ? this.user(entry, s) : undefined;
    });
  }

  /** Groups under the group base DN by name (substring) or the one group at `dn`. */
  async searchGroups(s: LdapSettings, by: { name?: string | undefined; dn?: string | undefined }): Promise<LdapGroup[]> {
    return this.session(s, async (client) => {
      const filter = `(&${wrap(s.groupSearchFilter) || GROUP_OBJECT_FILTER}${by.name ? `(${s.groupAttributeName}=*${escapeValue(by.name)}*)` : ""})`;
      const base = by.dn ?? s.groupBaseDn;
      if (base === "") return [];
      try {
        const { searchEntries } = await client.search(base, { scope: by.dn ? "base" : SCOPES[s.groupSearchScope], filter, attributes: [s.groupAttributeName], sizeLimit: SEARCH_LIMIT });
        return searchEntries.map((e) => ({ dn: e.dn, name: first(e, s.groupAttributeName) || firstRdnValue(e.dn) }));
      } catch (err) {
        if (err instanceof NoSuchObjectError) return []; // noSuchObject: no group at that DN
        throw err;
      }
    });
  }

  /** Connects, binds as the search DN and reads the base DN; throws with the reason otherwise. */
  async ping(s: LdapSettings): Promise<void> {
    await this.session(s, async (client) => {
      await client.search(s.baseDn, { scope: "base", filter: "(objectClass=*)", attributes: ["dn"], sizeLimit: 1 });
    });
  }

  private user(entry: Entry, s: LdapSettings): LdapUser {
    return { dn: entry.dn, username: first(entry, s.uid), email: first(entry, "mail", "email"), realname: first(entry, "displayName", "cn") };
  }

  private async findUserEntry(client: Client, s: LdapSettings, username: string): Promise<Entry | undefined> {
    const { searchEntries } = await client.search(s.baseDn, {
      scope: SCOPES[s.scope],
      filter: `(&${wrap(s.filter)}(${s.uid}=${escapeValue(username)}))`,
      attributes: [s.uid, "mail", "email", "cn", "displayName", s.groupMembershipAttribute].filter((a) => a !== ""),
      sizeLimit: 2,
    });
    // Two entries for one uid: refuse rather than guess which one is meant.
    return searchEntries.length === 1 ? searchEntries[0] : undefined;
  }

  private async groupsOf(client: Client, s: LdapSettings, entry: Entry, username: string): Promise<LdapGroup[]> {
    const found = new Map<string, LdapGroup>();
    if (s.groupMembershipAttribute !== "") {
      for (const dn of values(entry, s.groupMembershipAttribute)) {
        if (isUnder(dn, s.groupBaseDn) || normalizeDn(dn) === normalizeDn(s.groupAdminDn)) found.set(normalizeDn(dn), { dn, name: firstRdnValue(dn) });
      }
    }
    if (s.groupBaseDn !== "") {
      const naming = `(|(member=${escapeValue(entry.dn)})(uniqueMember=${escapeValue(entry.dn)})(memberUid=${escapeValue(username)}))`;
      const { searchEntries } = await client.search(s.groupBaseDn, {
        scope: SCOPES[s.groupSearchScope],
        filter: `(&${wrap(s.groupSearchFilter) || GROUP_OBJECT_FILTER}${naming})`,
        attributes: [s.groupAttributeName],
        sizeLimit: SEARCH_LIMIT,
      });
      for (const e of searchEntries) found.set(normalizeDn(e.dn), { dn: e.dn, name: first(e, s.groupAttributeName) || firstRdnValue(e.dn) });
    }
    return [...found.values()];
  }

  /** A bound connection for `fn`, closed afterwards; failures to reach the server are 503s. */
  private async session<T>(s: LdapSettings, fn: (client: Client) => Promise<T>): Promise<T> {
    const ms = s.timeoutSeconds * 1000;
    // A fresh options object for each use: ldapts's startTLS writes the socket into the one it
    // gets; and TLS options given to the client make it speak TLS at once, so only for ldaps://.
    const tlsOptions = (): ConnectionOptions => ({ rejectUnauthorized: s.verifyCert, ...(s.caCert !== "" && { ca: s.caCert }) });
    const ldaps = s.url.toLowerCase().startsWith("ldaps://");
    const client = new Client({ url: s.url, timeout: ms, connectTimeout: ms, ...(ldaps && { tlsOptions: tlsOptions() }), strictDN: false });
    try {
      if (s.startTls && !ldaps) await client.startTLS(tlsOptions());
      if (s.searchDn !== "") {
        try {
          await client.bind(s.searchDn, s.searchPassword);
        } catch (err) {
          if (err instanceof InvalidCredentialsError) throw new LdapConfigurationError("the search DN cannot bind: invalid credentials (check ldap_search_dn and ldap_search_password)");
          throw err;
        }
      }
      return await fn(client);
    } catch (err) {
      if (err instanceof LdapConfigurationError || err instanceof IdentityProviderUnavailableError) throw err;
      if (err instanceof ResultCodeError) throw new LdapConfigurationError(`the LDAP server refused: ${err.message}`);
      throw new IdentityProviderUnavailableError(`the LDAP server ${s.url} is unavailable: ${(err as Error).message || String(err)}`);
    } finally {
      // A stalled server must not hold the request: unbind is given a moment, then abandoned.
      await Promise.race([client.unbind().catch(() => undefined), new Promise((r) => setTimeout(r, 500).unref())]);
    }
  }
}

/** The LDAP server answered, but not as configured (a bad search DN, base DN or filter). */
export class LdapConfigurationError extends IdentityProviderUnavailableError {}

/** `value` escaped for use inside an LDAP filter (RFC 4515). */
export function escapeValue(value: string): string {
  return escapeFilter`${value}`;
}
