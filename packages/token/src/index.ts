/**
 * `@berth/token`: registry tokens. The signing key and its self-signed certificate live in
 * `${BERTH_DATA_DIR}/secrets/token/` (core creates them; the registry trusts the certificate);
 * {@link TokenIssuer} signs ES256 (RS256 with an RSA key) JWTs as CNCF Distribution verifies them. Core's token service
 * issues them to clients; jobservice issues a scan job's pull-only credential.
 */
export { TokenIssuer, type IssuedToken, type IssueOptions, type TokenAccess, type TokenClaims } from "./token-issuer.js";
export { ensureSigningKey, loadSigningKey, tokenAlgorithmOf, type SigningKey, type TokenAlgorithm } from "./signing-key.js";
export { libtrustKeyId } from "./libtrust-kid.js";
