/** What an operator is told about a generated certificate: how clients come to trust its CA. */

export interface TrustInstructionsOptions {
  /** The URL clients use (its host and port name the certs.d folders). */
  externalUrl: string;
  /** The CA file as the operator's machine sees it. */
  caFile: string;
  /** A command that writes the CA to `caFile` first, when it is not there already (compose). */
  fetchCa?: string | undefined;
}

/**
 * Lines telling how docker, podman/skopeo and curl come to trust the CA: Docker reads
 * `/etc/docker/certs.d/<host:port>/ca.crt`, containers/image (podman, skopeo, buildah)
 * `/etc/containers/certs.d/<host:port>/`, for each registry address, without a restart.
 */
export function trustInstructions(options: TrustInstructionsOptions): string[] {
  const url = new URL(options.externalUrl);
  const hostPort = url.host;
  const ca = options.caFile;
  const copy = (dir: string) => `sudo mkdir -p ${dir}/${hostPort} && sudo cp ${ca} ${dir}/${hostPort}/ca.crt`;
  return [
    `HTTPS uses a self-signed certificate. Clients must trust its CA, ${ca}, on every machine that pulls or pushes:`,
    ...(options.fetchCa ? [`  get it:          ${options.fetchCa}`] : []),
    `  docker:          ${copy("/etc/docker/certs.d")}`,
    `  podman, skopeo:  ${copy("/etc/containers/certs.d")}`,
    `  curl:            curl --cacert ${ca} ${url.origin}/api/v2.0/health`,
  ];
}
