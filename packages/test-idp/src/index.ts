/**
 * `@berth/test-idp`: real identity providers for Berth's tests — Debian's slapd with a test
 * directory and TLS from a private CA ({@link startSlapd}), panva's oidc-provider with users
 * and a groups claim ({@link startOidcProvider}) — and the HTTP walk of a provider's login page
 * ({@link walkOidcLogin}) for tests without a browser.
 */
export { makeTestTls, type TestTls } from "./tls.js";
export { freePort } from "./ports.js";
export { startSlapd, LDAP_ADMIN_DN, LDAP_ADMIN_PASSWORD, LDAP_BASE_DN, LDAP_GROUPS_DN, LDAP_PEOPLE_DN, type TestSlapd } from "./slapd.js";
export { startOidcProvider, type OidcProviderOptions, type OidcTestUser, type TestOidcProvider } from "./oidc-provider.js";
export { walkOidcLogin, type OidcWalk } from "./oidc-walk.js";
