-- CreateTable
CREATE TABLE "project_usage_deltas" (
    "id" BIGSERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "delta" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "project_usage_deltas_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "project_usage_deltas_project_id_idx" ON "project_usage_deltas"("project_id");
