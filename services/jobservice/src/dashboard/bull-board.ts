/**
 * The operator's queue dashboard (Bull Board) at `/jobs/`, every queue. nginx lets only system
 * administrators reach it (`auth_request` to core's `/api/internal/auth/sysadmin`).
 */
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import type { Queue } from "bullmq";
import type express from "express";

export const DASHBOARD_PATH = "/jobs";

export function bullBoardRouter(queues: Queue[]): express.Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter, options: { uiConfig: { boardTitle: "Berth jobs" } } });
  return serverAdapter.getRouter() as express.Router;
}
