// Core's REST API (`/api/v2.0`) and token service, as a test drives them (Basic auth).
import { basicAuth } from "./http.js";

export const ROLE = { projectAdmin: 1, developer: 2, guest: 3, maintainer: 4, limitedGuest: 5 } as const;

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

export class CoreApi {
  constructor(
    readonly baseUrl: string,
    private readonly user = "admin",
    private readonly password = "",
  ) {}

  as(user: string, password: string): CoreApi {
    return new CoreApi(this.baseUrl, user, password);
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const res = await fetch(`${this.baseUrl}/api/v2.0${path}`, {
      method,
      headers: {
        ...(this.password ? basicAuth(this.user, this.password) : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  /** Like request(), failing unless the status is 2xx. */
  async ok(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const res = await this.request(method, path, body);
    if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path} → ${res.status}: ${res.text}`);
    return res;
  }

  async createUser(username: string, password: string): Promise<number> {
    const res = await this.ok("POST", "/users", { username, password, email: `${username}@example.test`, realname: username });
    return Number(res.headers.get("location")!.split("/").pop());
  }

  async createProject(name: string, options: { public?: boolean; storageLimit?: number } = {}): Promise<number> {
    const res = await this.ok("POST", "/projects", {
      project_name: name,
      metadata: { public: options.public ? "true" : "false" },
      ...(options.storageLimit !== undefined ? { storage_limit: options.storageLimit } : {}),
    });
    return Number(res.headers.get("location")!.split("/").pop());
  }

  async addMember(project: string, username: string, roleId: number): Promise<void> {
    await this.ok("POST", `/projects/${project}/members`, { role_id: roleId, member_user: { username } });
  }

  /** A project robot with the given repository actions; returns its full name, id and secret. */
  async createRobot(
    project: string,
    name: string,
    actions: string[],
    options: { disable?: boolean; duration?: number } = {},
  ): Promise<{ id: number; name: string; secret: string }> {
    const res = await this.ok("POST", "/robots", {
      name,
      level: "project",
      duration: options.duration ?? 30,
      disable: options.disable ?? false,
      permissions: [{ kind: "project", namespace: project, access: actions.map((action) => ({ resource: "repository", action })) }],
    });
    const body = res.body as { id: number; name: string; secret: string };
    return { id: body.id, name: body.name, secret: body.secret };
  }

  /** `GET /service/token` with this client's credentials (none when the password is empty). */
  async token(scopes: string[], service = "berth-registry"): Promise<string> {
    const q = new URLSearchParams({ service });
    for (const s of scopes) q.append("scope", s);
    const res = await fetch(`${this.baseUrl}/service/token?${q}`, {
      headers: this.password ? basicAuth(this.user, this.password) : {},
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`token for ${scopes.join(" ")} → ${res.status}: ${text}`);
    return (JSON.parse(text) as { token: string }).token;
  }
}
