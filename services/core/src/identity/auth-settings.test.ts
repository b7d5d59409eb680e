import assert from "node:assert/strict";
import { test } from "node:test";
import { authSettings, authSettingsUpdate, defaults, missingForMode, SECRET_KEYS } from "./auth-settings.js";

const valid = (body: unknown) => authSettingsUpdate.safeParse(body).success;

test("defaults are Harbor's: db_auth, uid cn, subtree scopes, memberof, certificates verified", () => {
  const d = defaults();
  assert.equal(d.auth_mode, "db_auth");
  assert.equal(d.ldap_uid, "cn");
  assert.equal(d.ldap_scope, 2);
  assert.equal(d.ldap_group_membership_attribute, "memberof");
  assert.equal(d.ldap_verify_cert, true);
  assert.equal(d.oidc_verify_cert, true);
  assert.deepEqual([...SECRET_KEYS].sort(), ["ldap_search_password", "oidc_client_secret"]);
});

test("updates are checked key by key; unknown keys and wrong types are refused", () => {
  assert.ok(valid({}));
  assert.ok(valid({ auth_mode: "ldap_auth", ldap_url: "ldaps://dir.example.com:636", ldap_scope: 1 }));
  assert.ok(!valid({ auth_mode: "uaa_auth" }));
  assert.ok(!valid({ ldap_url: "http://dir.example.com" }));
  assert.ok(!valid({ ldap_url: "ldap://dir.example.com/dc=x" }), "no DN in the URL");
  assert.ok(!valid({ ldap_scope: 3 }));
  assert.ok(!valid({ ldap_timeout: 0 }));
  assert.ok(!valid({ ldap_uid: "uid)(x" }));
  assert.ok(!valid({ ldap_ca_cert: "garbage" }));
  assert.ok(!valid({ bogus: 1 }));
  assert.ok(valid({ oidc_endpoint: "https://idp.example.com/realms/x" }));
  assert.ok(valid({ oidc_endpoint: "http://127.0.0.1:9000" }), "plain http on loopback");
  assert.ok(!valid({ oidc_endpoint: "http://idp.example.com" }), "plain http elsewhere");
  assert.ok(!valid({ oidc_group_filter: "(" }));
  assert.ok(valid({ oidc_extra_redirect_parms: '{"prompt":"login"}' }));
  assert.ok(!valid({ oidc_extra_redirect_parms: '{"n":1}' }));
  assert.ok(!valid({ oidc_extra_redirect_parms: "[]" }));
});

test("a mode names what it needs before it can be switched on", () => {
  assert.deepEqual(missingForMode({ ...defaults(), auth_mode: "ldap_auth" }), ["ldap_url", "ldap_base_dn"]);
  assert.deepEqual(missingForMode({ ...defaults(), auth_mode: "oidc_auth", oidc_name: "x" }), ["oidc_endpoint", "oidc_client_id", "oidc_client_secret"]);
  assert.deepEqual(missingForMode(defaults()), []);
});

test("OIDC scopes are split on commas and spaces; extra redirect parameters parsed", () => {
  const s = authSettings({ ...defaults(), oidc_scope: "openid, profile groups,,offline_access", oidc_extra_redirect_parms: '{"prompt":"login"}' });
  assert.deepEqual(s.oidc.scope, ["openid", "profile", "groups", "offline_access"]);
  assert.deepEqual(s.oidc.extraRedirectParams, { prompt: "login" });
});
