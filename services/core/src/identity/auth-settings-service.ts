/**
 * The authentication settings as a use case: read them (secrets opened with the data key, cached
 * briefly because every login reads them), show them to system administrators (secrets never),
 * and change them (secrets sealed; the mode only while `admin` is the only user, as Harbor).
 */
import type { DataKey } from "@berth/secrets";
import type { Actor } from "../audit/audit-store.js";
import { InvalidInputError, PreconditionFailedError } from "../errors.js";
import {
  AUTH_KEYS,
  authSettings,
  defaults,
  missingForMode,
  SECRET_KEYS,
  type AuthKey,
  type AuthSettings,
  type AuthValues,
} from "./auth-settings.js";
import type { ConfigurationStore } from "./configuration-store.js";

/** How long settings read from the database are reused; a change on this process applies at once. */
export const SETTINGS_CACHE_MS = 5_000;

/** Harbor's `ConfigurationsResponse` item. */
export interface ConfigurationItem {
  value: unknown;
  editable: boolean;
}

const sealContext = (key: string) => `configuration:${key}`;

export class AuthSettingsService {
  private cached: { at: number; values: Promise<AuthValues> } | undefined;

  constructor(
    private readonly store: ConfigurationStore,
    private readonly countUsers: () => Promise<number>,
    private readonly dataKey: DataKey,
  ) {}

  /** Every key's value (defaults for keys never set), secrets opened. */
  values(): Promise<AuthValues> {
    const now = performance.now();
    if (!this.cached || now - this.cached.at > SETTINGS_CACHE_MS) {
      const values = this.load();
      this.cached = { at: now, values };
      values.catch(() => {
        if (this.cached?.values === values) this.cached = undefined;
      });
    }
    return this.cached.values;
  }

  async settings(): Promise<AuthSettings> {
    return authSettings(await this.values());
  }

  private async load(): Promise<AuthValues> {
    const stored = await this.store.all();
    const values = defaults() as Record<AuthKey, unknown>;
    for (const key of Object.keys(AUTH_KEYS) as AuthKey[]) {
      if (!stored.has(key)) continue;
      const raw = stored.get(key);
      values[key] = SECRET_KEYS.has(key) && typeof raw === "string" && raw !== "" ? this.dataKey.open(raw, sealContext(key)) : raw;
    }
    return values as AuthValues;
  }

  /** Whether the mode may change now: only while `admin` is the only user. */
  async modeEditable(): Promise<boolean> {
    return (await this.countUsers()) <= 1;
  }

  /** Harbor's `GET /configurations` body for the authentication keys (secret keys left out). */
  async view(): Promise<Record<string, ConfigurationItem>> {
    const [values, modeEditable] = await Promise.all([this.values(), this.modeEditable()]);
    const view: Record<string, ConfigurationItem> = {};
    for (const key of Object.keys(AUTH_KEYS) as AuthKey[]) {
      if (SECRET_KEYS.has(key)) continue;
      view[key] = { value: values[key], editable: key === "auth_mode" ? modeEditable : true };
    }
    return view;
  }

  /** Applies a validated subset of the keys. */
  async update(changes: Partial<AuthValues>, actor: Actor): Promise<void> {
    const current = await this.load();
    const next = { ...current, ...changes } as AuthValues;
    if (changes.auth_mode !== undefined && changes.auth_mode !== current.auth_mode && !(await this.modeEditable())) {
      throw new PreconditionFailedError(`auth_mode cannot change from ${current.auth_mode} once users other than admin exist`);
    }
    const missing = missingForMode(next);
    if (missing.length > 0) throw new InvalidInputError(`${next.auth_mode} needs ${missing.join(", ")}`);
    const stored: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(changes) as [AuthKey, unknown][]) {
      stored[key] = SECRET_KEYS.has(key) && typeof value === "string" && value !== "" ? this.dataKey.seal(value, sealContext(key)) : value;
    }
    await this.store.update(stored, actor);
    this.cached = undefined;
  }
}
