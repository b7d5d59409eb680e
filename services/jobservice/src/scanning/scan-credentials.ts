/**
 * A scan job's credential for the adapter: a registry token signed with core's key, granting
 * `pull` on the one repository being scanned, valid as long as the scan may take (the scan
 * timeout), with `berth_purpose: scanner` so `prevent_vul` never refuses the scanner's own pulls.
 */
import { TokenIssuer, type SigningKey } from "@berth/token";

export const SCANNER_SUBJECT = "berth-scanner";

export class ScanCredentials {
  #issuer: Promise<TokenIssuer> | undefined;

  /** `key` is loaded on first use: core creates it at its first start, which may come after ours. */
  constructor(
    private readonly key: () => Promise<SigningKey>,
    private readonly token: { issuer: string; service: string },
    private readonly lifetimeSeconds: number,
  ) {}

  /** `Bearer <token>` for pulling `repository`. */
  async authorization(repository: string, now = new Date()): Promise<string> {
    this.#issuer ??= this.key().then((k) => new TokenIssuer(k, { ...this.token, expirationMinutes: Math.ceil(this.lifetimeSeconds / 60) }));
    const issuer = await this.#issuer.catch((err: unknown) => {
      this.#issuer = undefined;
      throw err;
    });
    const { token } = issuer.issue(SCANNER_SUBJECT, [{ type: "repository", name: repository, actions: ["pull"] }], now, {
      purpose: "scanner",
      expiresInSeconds: this.lifetimeSeconds,
    });
    return `Bearer ${token}`;
  }
}
