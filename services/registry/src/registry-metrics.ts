/** The registry's own metrics (`@berth/metrics`), beside the HTTP metrics every service has. */
import { counter } from "@berth/metrics";

const uploaded = counter({ name: "berth_registry_upload_bytes_total", help: "Blob bytes received in upload requests (PATCH, PUT, POST ?digest=), kept or not" });
const downloaded = counter({
  name: "berth_registry_download_bytes_total",
  help: "Blob bytes answered to GETs, by who sends them: nginx (X-Accel-Redirect), the registry (streamed) or the object store (a redirect; the blob's size)",
  labelNames: ["sent_by"],
});

/** `source`, counting its bytes as uploaded as they pass. */
export async function* countingUpload(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    uploaded.inc(chunk.byteLength);
    yield chunk;
  }
}

/** A blob GET answered: `bytes` sent by nginx, the registry or the object store. */
export function countDownload(sentBy: "nginx" | "registry" | "object-store", bytes: number): void {
  downloaded.inc({ sent_by: sentBy }, bytes);
}
