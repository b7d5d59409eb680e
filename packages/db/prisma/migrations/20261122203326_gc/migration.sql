-- CreateTable
CREATE TABLE "gc_runs" (
    "id" BIGSERIAL NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'Pending',
    "trigger" TEXT NOT NULL DEFAULT 'Manual',
    "dry_run" BOOLEAN NOT NULL DEFAULT false,
    "delete_untagged" BOOLEAN NOT NULL DEFAULT false,
    "time_window_hours" INTEGER NOT NULL DEFAULT 2,
    "workers" INTEGER NOT NULL DEFAULT 1,
    "freed_blobs" INTEGER NOT NULL DEFAULT 0,
    "freed_bytes" BIGINT NOT NULL DEFAULT 0,
    "freed_manifests" INTEGER NOT NULL DEFAULT 0,
    "report" JSONB NOT NULL DEFAULT '{}',
    "log" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "gc_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "system_schedules" (
    "kind" TEXT NOT NULL,
    "type" TEXT NOT NULL DEFAULT 'None',
    "cron" TEXT NOT NULL DEFAULT '',
    "parameters" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "system_schedules_pkey" PRIMARY KEY ("kind")
);

-- CreateIndex
CREATE INDEX "gc_runs_status_idx" ON "gc_runs"("status");

-- CreateIndex
CREATE INDEX "gc_runs_created_at_idx" ON "gc_runs"("created_at");
