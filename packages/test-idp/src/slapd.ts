// Debian's slapd with a test directory: started by a test on free loopback ports (LDAP with
// StartTLS, and LDAPS) with a certificate from a private CA, the memberOf overlay, an admin DN,
// and helpers to add users and groups and change memberships — through a real LDAP client.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Attribute, Change, Client } from "ldapts";
import { freePort } from "./ports.js";
import { makeTestTls, type TestTls } from "./tls.js";

export const LDAP_BASE_DN = "dc=berth,dc=test";
export const LDAP_ADMIN_DN = `cn=admin,${LDAP_BASE_DN}`;
export const LDAP_ADMIN_PASSWORD = "Ldap-Admin-Passw0rd";
export const LDAP_PEOPLE_DN = `ou=people,${LDAP_BASE_DN}`;
export const LDAP_GROUPS_DN = `ou=groups,${LDAP_BASE_DN}`;

export interface TestSlapd {
  /** `ldap://127.0.0.1:<port>` (StartTLS available). */
  url: string;
  /** `ldaps://127.0.0.1:<port>`. */
  ldapsUrl: string;
  tls: TestTls;
  pid: number;
  userDn(uid: string): string;
  groupDn(cn: string): string;
  addUser(uid: string, password: string, attrs?: { mail?: string; cn?: string }): Promise<string>;
  /** A `groupOfNames` with these members (uids); the memberOf overlay writes `memberOf` on them. */
  addGroup(cn: string, members: string[]): Promise<string>;
  addMember(cn: string, uid: string): Promise<void>;
  removeMember(cn: string, uid: string): Promise<void>;
  /** SIGSTOP / SIGCONT: a hung server (connections are accepted by the kernel, nothing answers). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

function config(dir: string, tls: TestTls): string {
  return `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile ${join(dir, "slapd.pid")}
argsfile ${join(dir, "slapd.args")}
TLSCACertificateFile ${tls.caFile}
TLSCertificateFile ${tls.certFile}
TLSCertificateKeyFile ${tls.keyFile}
database mdb
maxsize 104857600
suffix "${LDAP_BASE_DN}"
rootdn "${LDAP_ADMIN_DN}"
rootpw ${LDAP_ADMIN_PASSWORD}
directory ${join(dir, "data")}
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint TRUE
`;
}

/** Starts slapd in the foreground of this process's control (stopped by `stop()`). */
export async function startSlapd(): Promise<TestSlapd> {
  const dir = mkdtempSync(join(tmpdir(), "berth-slapd-"));
  mkdirSync(join(dir, "data"));
  const tls = makeTestTls(dir, "slapd");
  writeFileSync(join(dir, "slapd.conf"), config(dir, tls));
  const [port, tlsPort] = [await freePort(), await freePort()];
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsUrl = `ldaps://127.0.0.1:${tlsPort}`;
  const output: string[] = [];
  // -d 0: stay in the foreground (no fork), log nothing but errors.
  const proc: ChildProcess = spawn("/usr/sbin/slapd", ["-d", "0", "-f", join(dir, "slapd.conf"), "-h", `${url}/ ${ldapsUrl}/`], { stdio: ["ignore", "pipe", "pipe"] });
  proc.stdout?.on("data", (c: Buffer) => output.push(c.toString()));
  proc.stderr?.on("data", (c: Buffer) => output.push(c.toString()));
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));

  const admin = async <T>(fn: (c: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ url, timeout: 10_000, connectTimeout: 10_000 });
    try {
      await client.bind(LDAP_ADMIN_DN, LDAP_ADMIN_PASSWORD);
      return await fn(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`slapd exited (${proc.exitCode}):\n${output.join("")}`);
    try {
      await admin(async () => undefined);
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        proc.kill("SIGKILL");
        throw new Error(`slapd did not answer: ${(err as Error).message}\n${output.join("")}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await admin(async (c) => {
    await c.add(LDAP_BASE_DN, { objectClass: ["top", "dcObject", "organization"], o: "Berth test", dc: "berth" });
    await c.add(LDAP_PEOPLE_DN, { objectClass: ["organizationalUnit"], ou: "people" });
    await c.add(LDAP_GROUPS_DN, { objectClass: ["organizationalUnit"], ou: "groups" });
  });

  const userDn = (uid: string) => `uid=${uid},${LDAP_PEOPLE_DN}`;
  const groupDn = (cn: string) => `cn=${cn},${LDAP_GROUPS_DN}`;
  return {
    url,
    ldapsUrl,
    tls,
    pid: proc.pid!,
    userDn,
    groupDn,
    async addUser(uid, password, attrs = {}) {
      await admin((c) =>
        c.add(userDn(uid), {
          objectClass: ["inetOrgPerson"],
          uid,
          cn: attrs.cn ?? uid,
          sn: uid,
          mail: attrs.mail ?? `${uid}@ldap.berth.test`,
          userPassword: password,
        }),
      );
      return userDn(uid);
    },
    async addGroup(cn, members) {
      await admin((c) => c.add(groupDn(cn), { objectClass: ["groupOfNames"], cn, member: members.map(userDn) }));
      return groupDn(cn);
    },
    async addMember(cn, uid) {
      await admin((c) => c.modify(groupDn(cn), new Change({ operation: "add", modification: new Attribute({ type: "member", values: [userDn(uid)] }) })));
    },
    async removeMember(cn, uid) {
      await admin((c) => c.modify(groupDn(cn), new Change({ operation: "delete", modification: new Attribute({ type: "member", values: [userDn(uid)] }) })));
    },
    pause: () => void proc.kill("SIGSTOP"),
    resume: () => void proc.kill("SIGCONT"),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGCONT");
        proc.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

