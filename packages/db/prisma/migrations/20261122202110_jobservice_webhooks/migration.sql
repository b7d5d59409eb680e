-- CreateTable
CREATE TABLE "webhook_policies" (
    "id" BIGSERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "targets" JSONB NOT NULL,
    "event_types" TEXT[],
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "creator" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_policies_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "executions" (
    "id" BIGSERIAL NOT NULL,
    "vendor_type" TEXT NOT NULL,
    "vendor_id" BIGINT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'Pending',
    "status_message" TEXT NOT NULL DEFAULT '',
    "trigger" TEXT NOT NULL DEFAULT 'EVENT',
    "event_id" UUID,
    "extra_attrs" JSONB NOT NULL DEFAULT '{}',
    "start_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "end_time" TIMESTAMPTZ(3),
    "update_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "executions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tasks" (
    "id" BIGSERIAL NOT NULL,
    "execution_id" BIGINT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'Pending',
    "status_message" TEXT NOT NULL DEFAULT '',
    "run_count" INTEGER NOT NULL DEFAULT 0,
    "extra_attrs" JSONB NOT NULL DEFAULT '{}',
    "log" TEXT NOT NULL DEFAULT '',
    "creation_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "update_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "start_time" TIMESTAMPTZ(3),
    "end_time" TIMESTAMPTZ(3),

    CONSTRAINT "tasks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_callbacks" (
    "id" TEXT NOT NULL,
    "task_id" BIGINT NOT NULL,
    "policy_id" BIGINT NOT NULL,
    "repository" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "tag" TEXT,
    "promote_tag" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_callbacks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "artifact_validations" (
    "repository" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "context" TEXT NOT NULL DEFAULT '',
    "target_url" TEXT NOT NULL DEFAULT '',
    "policy_id" BIGINT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "artifact_validations_pkey" PRIMARY KEY ("repository","digest")
);

-- CreateIndex
CREATE UNIQUE INDEX "webhook_policies_project_id_name_key" ON "webhook_policies"("project_id", "name");

-- CreateIndex
CREATE INDEX "executions_vendor_type_vendor_id_start_time_idx" ON "executions"("vendor_type", "vendor_id", "start_time");

-- CreateIndex
CREATE UNIQUE INDEX "executions_vendor_type_vendor_id_event_id_key" ON "executions"("vendor_type", "vendor_id", "event_id");

-- CreateIndex
CREATE INDEX "tasks_execution_id_idx" ON "tasks"("execution_id");

-- CreateIndex
CREATE INDEX "webhook_callbacks_expires_at_idx" ON "webhook_callbacks"("expires_at");

-- AddForeignKey
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_execution_id_fkey" FOREIGN KEY ("execution_id") REFERENCES "executions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
