-- CreateTable
CREATE TABLE "repositories" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "repositories_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "blobs" (
    "digest" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "media_type" TEXT,
    "status" TEXT NOT NULL DEFAULT 'none',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "blobs_pkey" PRIMARY KEY ("digest")
);

-- CreateTable
CREATE TABLE "repository_blobs" (
    "repository_id" INTEGER NOT NULL,
    "blob_digest" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "repository_blobs_pkey" PRIMARY KEY ("repository_id","blob_digest")
);

-- CreateTable
CREATE TABLE "manifests" (
    "id" BIGSERIAL NOT NULL,
    "repository_id" INTEGER NOT NULL,
    "digest" TEXT NOT NULL,
    "media_type" TEXT NOT NULL,
    "artifact_type" TEXT,
    "payload" BYTEA NOT NULL,
    "size" BIGINT NOT NULL,
    "subject_digest" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "pushed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "pulled_at" TIMESTAMPTZ(3),

    CONSTRAINT "manifests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "manifest_references" (
    "id" BIGSERIAL NOT NULL,
    "manifest_id" BIGINT NOT NULL,
    "kind" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "child_manifest_id" BIGINT,

    CONSTRAINT "manifest_references_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tags" (
    "id" BIGSERIAL NOT NULL,
    "repository_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "manifest_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tags_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "upload_sessions" (
    "id" UUID NOT NULL,
    "repository_id" INTEGER NOT NULL,
    "offset" BIGINT NOT NULL DEFAULT 0,
    "hash_state" BYTEA,
    "storage_path" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "upload_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "repositories_name_key" ON "repositories"("name");

-- CreateIndex
CREATE INDEX "blobs_status_updated_at_idx" ON "blobs"("status", "updated_at");

-- CreateIndex
CREATE INDEX "repository_blobs_blob_digest_idx" ON "repository_blobs"("blob_digest");

-- CreateIndex
CREATE INDEX "manifests_repository_id_subject_digest_idx" ON "manifests"("repository_id", "subject_digest");

-- CreateIndex
CREATE UNIQUE INDEX "manifests_repository_id_digest_key" ON "manifests"("repository_id", "digest");

-- CreateIndex
CREATE INDEX "manifest_references_manifest_id_idx" ON "manifest_references"("manifest_id");

-- CreateIndex
CREATE INDEX "manifest_references_digest_idx" ON "manifest_references"("digest");

-- CreateIndex
CREATE INDEX "manifest_references_child_manifest_id_idx" ON "manifest_references"("child_manifest_id");

-- CreateIndex
CREATE INDEX "tags_manifest_id_idx" ON "tags"("manifest_id");

-- CreateIndex
CREATE UNIQUE INDEX "tags_repository_id_name_key" ON "tags"("repository_id", "name");

-- CreateIndex
CREATE INDEX "upload_sessions_repository_id_idx" ON "upload_sessions"("repository_id");

-- CreateIndex
CREATE INDEX "upload_sessions_updated_at_idx" ON "upload_sessions"("updated_at");

-- AddForeignKey
ALTER TABLE "repository_blobs" ADD CONSTRAINT "repository_blobs_repository_id_fkey" FOREIGN KEY ("repository_id") REFERENCES "repositories"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "repository_blobs" ADD CONSTRAINT "repository_blobs_blob_digest_fkey" FOREIGN KEY ("blob_digest") REFERENCES "blobs"("digest") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "manifests" ADD CONSTRAINT "manifests_repository_id_fkey" FOREIGN KEY ("repository_id") REFERENCES "repositories"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "manifest_references" ADD CONSTRAINT "manifest_references_manifest_id_fkey" FOREIGN KEY ("manifest_id") REFERENCES "manifests"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "manifest_references" ADD CONSTRAINT "manifest_references_child_manifest_id_fkey" FOREIGN KEY ("child_manifest_id") REFERENCES "manifests"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tags" ADD CONSTRAINT "tags_repository_id_fkey" FOREIGN KEY ("repository_id") REFERENCES "repositories"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tags" ADD CONSTRAINT "tags_manifest_id_fkey" FOREIGN KEY ("manifest_id") REFERENCES "manifests"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "upload_sessions" ADD CONSTRAINT "upload_sessions_repository_id_fkey" FOREIGN KEY ("repository_id") REFERENCES "repositories"("id") ON DELETE CASCADE ON UPDATE CASCADE;
