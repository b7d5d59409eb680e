/**
 * `@berth/token`: registry tokens. The signing key and its self-signed certificate live in
 * `${BERTH_DATA_DIR}/secrets/token/` (core creates them; the registry trusts the certificate);
 * {@link TokenIssuer} signs RS256 JWTs as CNCF Distribution verifies them. Core's token service
 * issues them to clients; jobservice issues a scan job's pull-only credential.
 */
export { TokenIssuer, type IssuedToken, type IssueOptions, type TokenAccess, type TokenClaims } from "./token-issuer.js";
export { ensureSigningKey, loadSigningKey, type SigningKey } from "./signing-key.js";
export { libtrustKeyId } from "./libtrust-kid.js";
