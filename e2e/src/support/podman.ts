// podman with private storage (vfs), run root, auth file and events log; nothing global touched.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, type RunResult } from "./exec.js";
import { tlsArgs, type RegistryTls } from "./skopeo.js";

/** containers/storage under one temp dir, shared by {@link Podman} and {@link Buildah}. */
export class ContainersHome {
  readonly dir = mkdtempSync(join(tmpdir(), "berth-e2e-containers-"));
  readonly env: NodeJS.ProcessEnv = {
    ...process.env,
    REGISTRY_AUTH_FILE: join(this.dir, "auth.json"),
    STORAGE_DRIVER: "vfs",
    XDG_RUNTIME_DIR: mkdtempSync(join(this.dir, "xdg-")),
    TMPDIR: mkdtempSync(join(this.dir, "tmp-")),
  };
  readonly storageArgs = ["--root", join(this.dir, "root"), "--runroot", join(this.dir, "runroot"), "--storage-driver", "vfs"];

  /** Removes the storage (as root `rm -rf` is enough with vfs). */
  async cleanup(): Promise<void> {
    await run("podman", [...this.storageArgs, "system", "reset", "--force"], { env: this.env, timeoutMs: 60_000 }).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class Podman {
  constructor(
    readonly home: ContainersHome,
    readonly tls: RegistryTls = { verify: false },
  ) {}

  run(args: string[], input?: string): Promise<RunResult> {
    return run("podman", [...this.home.storageArgs, "--events-backend", "file", "--cgroup-manager", "cgroupfs", ...args], {
      env: this.home.env,
      ...(input !== undefined ? { input } : {}),
    });
  }

  login(registry: string, user: string, password: string): Promise<RunResult> {
    return this.run(["login", ...tlsArgs(this.tls), "-u", user, "--password-stdin", registry], password);
  }

  logout(registry: string): Promise<RunResult> {
    return this.run(["logout", registry]);
  }

  /** `podman import` of a tarball (a root filesystem) as `name`. */
  import(tarball: string, name: string): Promise<RunResult> {
    return this.run(["import", tarball, name]);
  }

  push(image: string, dest: string): Promise<RunResult> {
    return this.run(["push", ...tlsArgs(this.tls), image, `docker://${dest}`]);
  }

  pull(ref: string): Promise<RunResult> {
    return this.run(["pull", ...tlsArgs(this.tls), ref]);
  }
}

export class Buildah {
  constructor(readonly home: ContainersHome) {}

  run(args: string[]): Promise<RunResult> {
    return run("buildah", [...this.home.storageArgs, ...args], { env: this.home.env });
  }

  /** `buildah from scratch`, `copy` a file in, `commit` as `name`. */
  async buildScratch(name: string, file: string): Promise<void> {
    const from = await this.run(["from", "scratch"]);
    if (from.code !== 0) throw new Error(from.describe);
    const container = from.stdout.trim();
    for (const args of [["copy", container, file, "/"], ["commit", "--rm", container, name]]) {
      const r = await this.run(args);
      if (r.code !== 0) throw new Error(r.describe);
    }
  }

  push(image: string, dest: string, creds: string): Promise<RunResult> {
    return this.run(["push", "--tls-verify=false", "--creds", creds, image, `docker://${dest}`]);
  }
}
