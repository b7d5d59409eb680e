/**
 * `@berth/tls`: HTTPS at the front door (ARCHITECTURE.md, shared contracts; docs/configuration.md).
 * nginx serves it; this package holds what the launcher and the compose file's `prepare` step
 * share: the settings, the generated self-signed certificate, and how clients come to trust it.
 * Checking an operator's certificate and key is services/proxy/check-tls.sh (the proxy image has
 * no Node.js), which the launcher runs too.
 */
export { SELF_SIGNED, tlsEnv, tlsProblems, refineTls, tlsSource, frontDoorHosts, type TlsEnv, type TlsProblem, type TlsSource } from "./settings.js";
export { ensureSelfSignedTls, selfSignedFiles, type SelfSignedFiles, type SelfSignedOptions, type SelfSignedTls } from "./self-signed.js";
export { trustInstructions, type TrustInstructionsOptions } from "./trust-instructions.js";
