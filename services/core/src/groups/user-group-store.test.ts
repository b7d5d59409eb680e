import assert from "node:assert/strict";
import { test } from "node:test";
import { GROUP_TYPE, groupKey, normalizeDn } from "./user-group-store.js";

test("LDAP group DNs compare case- and space-insensitively; OIDC groups by exact name", () => {
  assert.equal(normalizeDn("CN=Developers, OU=Groups ,DC=Berth,DC=Test"), "cn=developers,ou=groups,dc=berth,dc=test");
  assert.equal(groupKey(GROUP_TYPE.ldap, { name: "x", dn: "cn=A,dc=b" }), groupKey(GROUP_TYPE.ldap, { name: "y", dn: "CN=a, DC=B" }));
  assert.notEqual(groupKey(GROUP_TYPE.oidc, { name: "Devs" }), groupKey(GROUP_TYPE.oidc, { name: "devs" }));
});
