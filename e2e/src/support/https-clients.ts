// The HTTPS proof both deployments share: docker, podman and skopeo refuse the front door's
// certificate while its CA is not trusted, then — with the CA trusted the way operators do it
// (`/etc/docker/certs.d/<host:port>/ca.crt` for Docker, a certificate folder for podman and
// skopeo) — log in, push and pull over verified HTTPS.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Dockerd } from "./docker.js";
import type { RunResult } from "./exec.js";
import { ociImageLayout, tar } from "./images.js";
import { ContainersHome, Podman } from "./podman.js";
import { Skopeo } from "./skopeo.js";

const UNTRUSTED = /x509: certificate signed by unknown authority|certificate is not trusted|unknown authority/;

function refused(r: RunResult, what: string): void {
  assert.notEqual(r.code, 0, `${what} must refuse the certificate:\n${r.describe}`);
  assert.match(`${r.stdout}\n${r.stderr}`, UNTRUSTED, `${what}: refused for another reason than the certificate:\n${r.describe}`);
}

function succeeded(r: RunResult, what: string): void {
  assert.equal(r.code, 0, `${what}:\n${r.describe}`);
}

/**
 * Docker's trust for one registry address: `/etc/docker/certs.d/<host:port>/ca.crt`, which the
 * daemon reads at each connection. The folder is named for an address only this test uses, and
 * removed afterwards.
 */
export class DockerTrust {
  readonly dir: string;
  constructor(registry: string) {
    this.dir = join("/etc/docker/certs.d", registry);
  }
  trust(caPem: string): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, "ca.crt"), caPem);
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface HttpsTarget {
  /** `host:port` of the HTTPS front door, not on loopback (Docker would not verify there). */
  registry: string;
  user: string;
  password: string;
  dockerd: Dockerd;
  /** The CA that signed the front door's certificate. */
  caPem: string;
  /** A project the user may push to. */
  project: string;
}

/** The clients, each with a private store, trusting nothing but the system's CAs until told. */
export class HttpsClients {
  readonly work = mkdtempSync(join(tmpdir(), "berth-e2e-https-"));
  private readonly home = new ContainersHome();
  private readonly docker: DockerTrust;
  /** Where podman and skopeo find the CA once trusted. */
  private readonly certDir = join(this.work, "certs");

  constructor(private readonly target: HttpsTarget) {
    this.docker = new DockerTrust(target.registry);
  }

  private skopeo(trusted: boolean): Skopeo {
    return new Skopeo({ verify: true, ...(trusted && { certDir: this.certDir }) });
  }

  private podman(trusted: boolean): Podman {
    return new Podman(this.home, { verify: true, ...(trusted && { certDir: this.certDir }) });
  }

  private get creds(): string {
    return `${this.target.user}:${this.target.password}`;
  }

  /** docker, podman and skopeo refuse to log in or copy while the CA is not trusted. */
  async assertRefused(): Promise<void> {
    const { registry, user, password, dockerd } = this.target;
    refused(await dockerd.login(registry, user, password), "docker login");
    refused(await this.podman(false).login(registry, user, password), "podman login");
    const skopeo = this.skopeo(false);
    try {
      refused(await skopeo.inspect(`docker://${registry}/${this.target.project}/none:1`, this.creds), "skopeo inspect");
    } finally {
      skopeo.cleanup();
    }
  }

  /** With the CA trusted: docker, podman and skopeo log in, push and pull over verified HTTPS. */
  async assertWorkWhenTrusted(tag: string): Promise<void> {
    const { registry, user, password, dockerd, project } = this.target;
    mkdirSync(this.certDir, { recursive: true });
    writeFileSync(join(this.certDir, "ca.crt"), this.target.caPem);
    this.docker.trust(this.target.caPem);

    const dockerRef = `${registry}/${project}/https-docker:${tag}`;
    const rootfs = join(this.work, `rootfs-${tag}.tar`);
    writeFileSync(rootfs, tar({ "hello.txt": `hello over https (${tag})\n` }));
    succeeded(await dockerd.import(rootfs, dockerRef), "docker import");
    succeeded(await dockerd.login(registry, user, password), "docker login");
    const push = await dockerd.docker(["push", dockerRef], undefined, 300_000);
    succeeded(push, "docker push");
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)?.[1];
    assert.ok(digest, push.describe);
    succeeded(await dockerd.docker(["rmi", dockerRef]), "docker rmi");
    const pull = await dockerd.docker(["pull", dockerRef], undefined, 300_000);
    succeeded(pull, "docker pull");
    assert.match(pull.stdout, new RegExp(`Digest: ${digest}`));
    succeeded(await dockerd.logout(registry), "docker logout");

    const podman = this.podman(true);
    succeeded(await podman.login(registry, user, password), "podman login");
    succeeded(await podman.pull(dockerRef), "podman pull of docker's push");
    succeeded(await podman.push(dockerRef, `${registry}/${project}/https-podman:${tag}`), "podman push");

    const skopeo = this.skopeo(true);
    try {
      const layout = join(this.work, `layout-${tag}`);
      const image = ociImageLayout(layout, "latest", { layerCount: 2 });
      succeeded(await skopeo.copy(`oci:${layout}:latest`, `docker://${registry}/${project}/https-skopeo:${tag}`, { destCreds: this.creds }), "skopeo copy in");
      const served = await skopeo.inspectRaw(`docker://${registry}/${project}/https-skopeo:${tag}`, this.creds);
      assert.equal(served.digest, image.manifest.digest, served.result.describe);
      for (const repo of ["https-podman", "https-docker"]) {
        succeeded(await skopeo.copy(`docker://${registry}/${project}/${repo}:${tag}`, `oci:${join(this.work, `back-${repo}-${tag}`)}:x`, { srcCreds: this.creds }), `skopeo copy of ${repo} out`);
      }
    } finally {
      skopeo.cleanup();
    }
  }

  /** Trust in this CA goes (the certs.d folder, the certificate folder). */
  untrust(): void {
    this.docker.remove();
    rmSync(this.certDir, { recursive: true, force: true });
  }

  async cleanup(): Promise<void> {
    this.docker.remove();
    await this.home.cleanup();
    rmSync(this.work, { recursive: true, force: true });
  }
}
