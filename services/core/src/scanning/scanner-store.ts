/**
 * Scanner registrations (`scanner_registrations`, Harbor's `scanner_registration`): every write
 * goes through here. Credentials are sealed with the data key (context `scanner:<uuid>:credential`)
 * and only opened to call the adapter; the API never returns them. The built-in adapter is
 * registered at start-up (immutable: it cannot be deleted or edited, only made default or not).
 */
import { randomUUID } from "node:crypto";
import { isUniqueViolation, type PrismaClient, type ScannerRegistration } from "@berth/db";
import { ScannerClient, type ScannerAuthType } from "@berth/scanning";
import type { DataKey } from "@berth/secrets";
import { ConflictError, NotFoundError, PreconditionFailedError } from "../errors.js";

/** The built-in adapter's registration name. */
export const BUILT_IN_SCANNER = "Berth";

export interface ScannerInput {
  name: string;
  description: string;
  url: string;
  auth: ScannerAuthType;
  accessCredential: string;
  skipCertVerify: boolean;
  useInternalAddr: boolean;
  disabled: boolean;
}

const context = (uuid: string) => `scanner:${uuid}:credential`;

export class ScannerStore {
  constructor(
    private readonly db: PrismaClient,
    private readonly dataKey: DataKey,
  ) {}

  list(): Promise<ScannerRegistration[]> {
    return this.db.scannerRegistration.findMany({ orderBy: { id: "asc" } });
  }

  async get(uuid: string): Promise<ScannerRegistration> {
    const row = /^[0-9a-f-]{36}$/i.test(uuid) ? await this.db.scannerRegistration.findUnique({ where: { uuid } }) : null;
    if (!row) throw new NotFoundError(`scanner registration ${uuid.slice(0, 64)} not found`);
    return row;
  }

  /** The default registration, when one is set and enabled. */
  async defaultScanner(): Promise<ScannerRegistration | undefined> {
    return (await this.db.scannerRegistration.findFirst({ where: { isDefault: true, disabled: false } })) ?? undefined;
  }

  async create(input: ScannerInput, options: { immutable?: boolean; isDefault?: boolean } = {}): Promise<ScannerRegistration> {
    const uuid = randomUUID();
    try {
      return await this.db.scannerRegistration.create({
        data: {
          uuid,
          name: input.name,
          description: input.description,
          url: input.url,
          auth: input.auth,
          accessCredential: input.accessCredential ? this.dataKey.seal(input.accessCredential, context(uuid)) : "",
          skipCertVerify: input.skipCertVerify,
          useInternalAddr: input.useInternalAddr,
          disabled: input.disabled,
          immutable: options.immutable ?? false,
          isDefault: options.isDefault ?? false,
        },
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a scanner named ${input.name} is already registered`);
      throw err;
    }
  }

  /** Updates a registration; an empty `accessCredential` keeps the stored one (the API never shows it). */
  async update(uuid: string, input: ScannerInput): Promise<void> {
    const row = await this.get(uuid);
    if (row.immutable) throw new PreconditionFailedError(`the built-in scanner ${row.name} cannot be changed`);
    try {
      await this.db.scannerRegistration.update({
        where: { uuid },
        data: {
          name: input.name,
          description: input.description,
          url: input.url,
          auth: input.auth,
          ...(input.accessCredential ? { accessCredential: this.dataKey.seal(input.accessCredential, context(uuid)) } : input.auth === "" ? { accessCredential: "" } : {}),
          skipCertVerify: input.skipCertVerify,
          useInternalAddr: input.useInternalAddr,
          disabled: input.disabled,
        },
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a scanner named ${input.name} is already registered`);
      throw err;
    }
  }

  async delete(uuid: string): Promise<ScannerRegistration> {
    const row = await this.get(uuid);
    if (row.immutable) throw new PreconditionFailedError(`the built-in scanner ${row.name} cannot be deleted`);
    if (row.isDefault) throw new PreconditionFailedError(`scanner ${row.name} is the default; make another the default first`);
    await this.db.scannerRegistration.delete({ where: { uuid } });
    return row;
  }

  /** Makes `uuid` the one default registration. */
  async setDefault(uuid: string): Promise<void> {
    const row = await this.get(uuid);
    if (row.disabled) throw new PreconditionFailedError(`scanner ${row.name} is disabled and cannot be the default`);
    await this.db.$transaction([
      this.db.scannerRegistration.updateMany({ where: { isDefault: true, NOT: { uuid } }, data: { isDefault: false } }),
      this.db.scannerRegistration.update({ where: { uuid }, data: { isDefault: true } }),
    ]);
  }

  /**
   * Registers the built-in adapter (or updates its URL and credential: the local stack picks its
   * ports at each start). It becomes the default when no registration is.
   */
  async ensureBuiltIn(url: string, apiKey: string): Promise<void> {
    const existing = await this.db.scannerRegistration.findFirst({ where: { immutable: true, name: BUILT_IN_SCANNER } });
    if (existing) {
      await this.db.scannerRegistration.update({ where: { id: existing.id }, data: { url, auth: "Bearer", accessCredential: this.dataKey.seal(apiKey, context(existing.uuid)) } });
      return;
    }
    const hasDefault = (await this.db.scannerRegistration.count({ where: { isDefault: true } })) > 0;
    try {
      await this.create(
        { name: BUILT_IN_SCANNER, description: "Berth's built-in scanner adapter (OSV database)", url, auth: "Bearer", accessCredential: apiKey, skipCertVerify: false, useInternalAddr: true, disabled: false },
        { immutable: true, isDefault: !hasDefault },
      );
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err; // another core instance registered it first
    }
  }

  /** A client of the registration's adapter, its credential opened. */
  client(row: ScannerRegistration, timeoutMs?: number): ScannerClient {
    return new ScannerClient({
      url: row.url,
      auth: row.auth as ScannerAuthType,
      credential: row.accessCredential ? this.dataKey.open(row.accessCredential, context(row.uuid)) : "",
      ...(timeoutMs !== undefined && { timeoutMs }),
    });
  }
}
