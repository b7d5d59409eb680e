import express, { Router } from "express";
import { z } from "zod";
import { UnauthenticatedError } from "../errors.js";
import { clientAddress } from "../http/client-address.js";
import { parseInput } from "../http/parse-input.js";
import type { Authenticator } from "./authenticator.js";
import { CSRF_HEADER, csrfTokenFor } from "./csrf.js";
import { readSessionToken, sessionCookie } from "./session-cookie.js";
import type { SessionStore } from "./session-store.js";

const loginForm = z.object({ principal: z.string().min(1).max(255), password: z.string().min(1).max(1024) });

/**
 * `POST /c/login` (form `principal`, `password`, as Harbor's portal sends) sets the session
 * cookie — HttpOnly, SameSite=Lax, Secure when the external URL is https — and answers the CSRF
 * token in `X-Harbor-CSRF-Token`. Robots cannot log in, nor can OIDC users with their CLI
 * secret (they sign in at `/c/oidc/login`). `GET /c/log_out` ends the session.
 */
export function sessionRoutes(deps: { sessions: SessionStore; authenticator: Authenticator; secureCookies: boolean }): Router {
  const router = Router();
  router.post("/c/login", express.urlencoded({ extended: false, limit: "16kb" }), async (req, res) => {
    const form = parseInput(loginForm, req.body ?? {});
    const principal = await deps.authenticator.check(form.principal, form.password, clientAddress(req), { allowRobots: false, cliSecrets: false });
    if (!principal || principal.kind !== "user") throw new UnauthenticatedError("invalid credentials");
    const token = await deps.sessions.create(principal);
    res.setHeader("Set-Cookie", sessionCookie(token, deps.sessions.timeoutMinutes * 60, deps.secureCookies));
    res.setHeader(CSRF_HEADER, csrfTokenFor(token));
    res.status(200).end();
  });
  router.get("/c/log_out", async (req, res) => {
    const token = readSessionToken(req);
    if (token) await deps.sessions.destroy(token);
    res.setHeader("Set-Cookie", sessionCookie("", 0, deps.secureCookies));
    res.status(200).end();
  });
  return router;
}
