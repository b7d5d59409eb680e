-- AlterTable
ALTER TABLE "executions" ADD COLUMN     "stop_requested_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "registries" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "type" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "insecure" BOOLEAN NOT NULL DEFAULT false,
    "ca_certificate" TEXT,
    "credential_type" TEXT NOT NULL DEFAULT 'basic',
    "access_key" TEXT NOT NULL DEFAULT '',
    "access_secret" TEXT NOT NULL DEFAULT '',
    "requests_per_second" INTEGER NOT NULL DEFAULT 0,
    "max_concurrency" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "registries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "replication_policies" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "src_registry_id" INTEGER,
    "dest_registry_id" INTEGER,
    "dest_namespace" TEXT NOT NULL DEFAULT '',
    "dest_namespace_replace_count" INTEGER NOT NULL DEFAULT -1,
    "trigger_type" TEXT NOT NULL DEFAULT 'manual',
    "cron" TEXT NOT NULL DEFAULT '',
    "filters" JSONB NOT NULL DEFAULT '[]',
    "replicate_deletion" BOOLEAN NOT NULL DEFAULT false,
    "override" BOOLEAN NOT NULL DEFAULT true,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "speed" INTEGER NOT NULL DEFAULT -1,
    "copy_by_chunk" BOOLEAN NOT NULL DEFAULT false,
    "single_active_replication" BOOLEAN NOT NULL DEFAULT false,
    "creator" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "replication_policies_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "replication_uploads" (
    "id" BIGSERIAL NOT NULL,
    "destination" TEXT NOT NULL,
    "repository" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "location" TEXT NOT NULL,
    "offset" BIGINT NOT NULL DEFAULT 0,
    "size" BIGINT NOT NULL,
    "task_id" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "replication_uploads_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "registries_name_key" ON "registries"("name");

-- CreateIndex
CREATE UNIQUE INDEX "replication_policies_name_key" ON "replication_policies"("name");

-- CreateIndex
CREATE INDEX "replication_policies_src_registry_id_idx" ON "replication_policies"("src_registry_id");

-- CreateIndex
CREATE INDEX "replication_policies_dest_registry_id_idx" ON "replication_policies"("dest_registry_id");

-- CreateIndex
CREATE INDEX "replication_uploads_updated_at_idx" ON "replication_uploads"("updated_at");

-- CreateIndex
CREATE UNIQUE INDEX "replication_uploads_destination_repository_digest_key" ON "replication_uploads"("destination", "repository", "digest");

-- AddForeignKey
ALTER TABLE "replication_policies" ADD CONSTRAINT "replication_policies_src_registry_id_fkey" FOREIGN KEY ("src_registry_id") REFERENCES "registries"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "replication_policies" ADD CONSTRAINT "replication_policies_dest_registry_id_fkey" FOREIGN KEY ("dest_registry_id") REFERENCES "registries"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
