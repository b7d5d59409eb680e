/**
 * Errors answered before a request reaches a service's routes (the text guard, malformed HTTP),
 * in the format of the API the path belongs to: the registry API's (`/v2/…`,
 * `{"errors":[{"code","message","detail"}]}` with `Docker-Distribution-Api-Version`) or Harbor's
 * (`{"errors":[{"code","message"}]}`) everywhere else. Both are the same JSON shape, so one body
 * serves both; the code words are shared with the nginx front door's own error pages
 * (services/proxy/nginx.conf.template).
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { errorBody } from "./api-errors.js";

/** Whether a request path belongs to the registry API (`/v2`, `/v2/…`). */
export function isRegistryPath(path: string): boolean {
  return path === "/v2" || path.startsWith("/v2/") || path.startsWith("/v2?");
}

function body(code: string, message: string): string {
  return JSON.stringify(errorBody(code, message));
}

/** Answers an error on `res` in the format of the API `req` addressed. */
export function sendEdgeError(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): void {
  const text = body(code, message);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  if (isRegistryPath(req.url ?? "")) res.setHeader("Docker-Distribution-Api-Version", "registry/2.0");
  res.end(req.method === "HEAD" ? undefined : text);
}

/** What Node's HTTP parser errors mean for the client (the rest are 400). */
function parserStatus(code: string | undefined): { status: number; reason: string; message: string } {
  if (code === "HPE_HEADER_OVERFLOW") return { status: 431, reason: "Request Header Fields Too Large", message: "request header fields too large" };
  return { status: 400, reason: "Bad Request", message: "malformed HTTP request" };
}

/**
 * Answers requests Node's HTTP parser refuses (bad `Content-Length`, broken chunked encoding,
 * oversized headers…) with a JSON error in the API's format instead of Node's bare
 * `400 Bad Request`, then closes the connection. Through nginx these never reach a service
 * (nginx answers them itself); a client talking to a service directly gets the same format.
 */
export function answerClientErrors(server: Server): void {
  server.on("clientError", (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
    // As Node's own handler: answer only when no response of this socket has begun (a response in
    // flight whose headers are out must not be corrupted; `_httpMessage` is that response).
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (!socket.writable || inFlight?.headersSent || err.code === "ECONNRESET") {
      socket.destroy();
      return;
    }
    const firstLine = err.rawPacket?.subarray(0, 2048).toString("latin1").split("\r\n", 1)[0] ?? "";
    const target = /^[A-Z]+ (\S+) HTTP\/1\.[01]$/.exec(firstLine)?.[1] ?? "";
    const { status, reason, message } = parserStatus(err.code);
    const text = body("BAD_REQUEST", message);
    const headers = [
      `HTTP/1.1 ${status} ${reason}`,
      "Content-Type: application/json; charset=utf-8",
      `Content-Length: ${Buffer.byteLength(text)}`,
      ...(isRegistryPath(target) ? ["Docker-Distribution-Api-Version: registry/2.0"] : []),
      "Connection: close",
    ];
    socket.end(`${headers.join("\r\n")}\r\n\r\n${text}`);
  });
}
