-- Lists that stay fast at 100k+ rows (docs/performance.md, "At scale"). Hand-written: the Prisma
-- schema cannot express collations, NULLS placement or expressions in indexes. Each mirrors an
-- ORDER BY of registry-store or core exactly (ascending NULLS FIRST, whose backward scan is the
-- descending NULLS LAST order), so a page, however deep, is an index range scan, never a sort of
-- the whole list. A later migrate dev must not drop them (packages/db/README.md).
-- (No apostrophes or semicolons in these comments: the migration engine splits statements
-- on them.)

-- The image attributes of Harbor (extra_attrs: architecture, os, created, author, variant), read
-- from the config blob once when the manifest is pushed, NULL when not computed.
ALTER TABLE "manifests" ADD COLUMN "config_attributes" JSONB;

-- Artifacts of a repository, by each sort Harbor offers (the id breaks ties).
CREATE INDEX "manifests_repository_pushed_idx" ON "manifests" ("repository_id", "pushed_at" NULLS FIRST, "id" NULLS FIRST);
CREATE INDEX "manifests_repository_pulled_idx" ON "manifests" ("repository_id", "pulled_at" NULLS FIRST, "id" NULLS FIRST);
CREATE INDEX "manifests_repository_size_idx" ON "manifests" ("repository_id", "size" NULLS FIRST, "id" NULLS FIRST);
CREATE INDEX "manifests_repository_digest_idx" ON "manifests" ("repository_id", "digest" NULLS FIRST, "id" NULLS FIRST);

-- Repositories: the catalog and the repositories of a project by name, in byte order
-- (COLLATE "C"), the repositories of a project by creation and update time.
CREATE INDEX "repositories_name_c_idx" ON "repositories" (("name" COLLATE "C") NULLS FIRST, "id" NULLS FIRST);
CREATE INDEX "repositories_project_created_idx" ON "repositories" (split_part("name", '/', 1), "created_at" NULLS FIRST, "id" NULLS FIRST);
CREATE INDEX "repositories_project_updated_idx" ON "repositories" (split_part("name", '/', 1), "updated_at" NULLS FIRST, "id" NULLS FIRST);

-- Tag lists (/v2/<name>/tags/list), in byte order.
CREATE INDEX "tags_repository_name_c_idx" ON "tags" ("repository_id", ("name" COLLATE "C"));

-- Audit logs, newest first, all of them and per project.
CREATE INDEX "audit_logs_op_time_id_idx" ON "audit_logs" ("op_time" NULLS FIRST, "id" NULLS FIRST);
CREATE INDEX "audit_logs_project_op_time_id_idx" ON "audit_logs" ("project_id", "op_time" NULLS FIRST, "id" NULLS FIRST);
