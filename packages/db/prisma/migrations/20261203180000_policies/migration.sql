-- AlterTable
ALTER TABLE "manifests" ADD COLUMN     "pull_count" BIGINT NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "immutable_tag_rules" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "tag_selectors" JSONB NOT NULL,
    "scope_selectors" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "immutable_tag_rules_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "retention_policies" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "algorithm" TEXT NOT NULL DEFAULT 'or',
    "rules" JSONB NOT NULL,
    "cron" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "retention_policies_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "labels" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "color" TEXT NOT NULL DEFAULT '',
    "scope" TEXT NOT NULL,
    "project_id" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "labels_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "artifact_labels" (
    "manifest_id" BIGINT NOT NULL,
    "label_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "artifact_labels_pkey" PRIMARY KEY ("manifest_id","label_id")
);

-- CreateIndex
CREATE INDEX "immutable_tag_rules_project_id_idx" ON "immutable_tag_rules"("project_id");

-- CreateIndex
CREATE UNIQUE INDEX "retention_policies_project_id_key" ON "retention_policies"("project_id");

-- CreateIndex
CREATE INDEX "labels_project_id_idx" ON "labels"("project_id");

-- CreateIndex
CREATE UNIQUE INDEX "labels_scope_project_id_name_key" ON "labels"("scope", "project_id", "name");

-- CreateIndex
CREATE INDEX "artifact_labels_label_id_idx" ON "artifact_labels"("label_id");

-- AddForeignKey
ALTER TABLE "artifact_labels" ADD CONSTRAINT "artifact_labels_manifest_id_fkey" FOREIGN KEY ("manifest_id") REFERENCES "manifests"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "artifact_labels" ADD CONSTRAINT "artifact_labels_label_id_fkey" FOREIGN KEY ("label_id") REFERENCES "labels"("id") ON DELETE CASCADE ON UPDATE CASCADE;
