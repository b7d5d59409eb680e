-- CreateTable
CREATE TABLE "project_quotas" (
    "project_id" INTEGER NOT NULL,
    "used_storage" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "project_quotas_pkey" PRIMARY KEY ("project_id")
);

-- CreateTable
CREATE TABLE "project_blobs" (
    "project_id" INTEGER NOT NULL,
    "blob_digest" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "project_blobs_pkey" PRIMARY KEY ("project_id","blob_digest")
);

-- CreateIndex
CREATE INDEX "project_blobs_blob_digest_idx" ON "project_blobs"("blob_digest");

-- Backfill (data only): usage of what existing repositories already link, each blob once per project.
INSERT INTO "project_blobs" ("project_id", "blob_digest", "size")
SELECT DISTINCT p."id", b."digest", b."size"
FROM "repository_blobs" rb
JOIN "repositories" r ON r."id" = rb."repository_id"
JOIN "projects" p ON p."name" = split_part(r."name", '/', 1)
JOIN "blobs" b ON b."digest" = rb."blob_digest";

INSERT INTO "project_quotas" ("project_id", "used_storage")
SELECT "project_id", sum("size") FROM "project_blobs" GROUP BY "project_id";
