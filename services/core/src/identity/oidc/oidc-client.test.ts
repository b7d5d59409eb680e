import assert from "node:assert/strict";
import { test } from "node:test";
import { authSettings, defaults } from "../auth-settings.js";
import { identityOf } from "./oidc-client.js";

const settings = (over: Record<string, unknown> = {}) => authSettings({ ...defaults(), oidc_groups_claim: "groups", ...over }).oidc;
const claims = (extra: Record<string, unknown>) => ({ iss: "https://idp.example", sub: "abc", aud: "berth", iat: 1, exp: 2_000_000_000, ...extra });

test("the username comes from oidc_user_claim, else name; subiss is sub + iss", () => {
  const id = identityOf(settings({ oidc_user_claim: "preferred_username" }), claims({ preferred_username: "erin", name: "Erin E." }));
  assert.equal(id.username, "erin");
  assert.equal(id.realname, "Erin E.");
  assert.equal(id.subiss, "abchttps://idp.example");
  assert.equal(identityOf(settings(), claims({ name: "Erin E." })).username, "Erin E.");
  assert.equal(identityOf(settings({ oidc_user_claim: "missing" }), claims({})).username, "");
  assert.equal(id.expiresAt.getTime(), 2_000_000_000_000);
});

test("groups: from the groups claim (list or single string), filtered, de-duplicated; the admin group is found before filtering", () => {
  const s = settings({ oidc_group_filter: "^team-", oidc_admin_group: "admins" });
  const id = identityOf(s, claims({ groups: ["team-a", "admins", "team-a", "other", 7] }));
  assert.deepEqual(id.groups, ["team-a"]);
  assert.equal(id.admin, true);
  assert.deepEqual(identityOf(settings(), claims({ groups: "solo" })).groups, ["solo"]);
  assert.deepEqual(identityOf(settings({ oidc_groups_claim: "" }), claims({ groups: ["x"] })).groups, []);
  assert.equal(identityOf(settings(), claims({ groups: ["admins"] })).admin, false, "no admin group configured");
});
