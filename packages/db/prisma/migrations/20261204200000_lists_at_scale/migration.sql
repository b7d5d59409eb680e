-- The totals of the lists that grow without bound, kept as delta rows, so a page at 100k
-- repositories or 200k audit rows does not count them all first (tens of milliseconds each
-- time there): docs/performance.md, "Totals and deep pages". A writer appends a row in the
-- statement or transaction of its change (+1 per row created, -1 per row deleted) and a fold
-- sums each key into one row every second, so concurrent writers never wait on a shared
-- counter row. A total is the sum of its rows.
-- (No apostrophes or semicolons in these comments: the migration engine splits statements
-- on them.)

-- Repositories per project, keyed by the project name: the repositories named with it as their
-- first path segment (project/...). Written and folded by registry-store.
CREATE TABLE "project_repository_counts" (
    "id" BIGSERIAL NOT NULL,
    "project" TEXT NOT NULL,
    "delta" BIGINT NOT NULL,

    CONSTRAINT "project_repository_counts_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "project_repository_counts_project_idx" ON "project_repository_counts"("project");

INSERT INTO "project_repository_counts" ("project", "delta")
SELECT split_part("name", '/', 1), count(*) FROM "repositories" WHERE strpos("name", '/') > 0 GROUP BY 1;

-- Audit log rows per project (NULL: rows of no project). Written by the audit package with
-- every row, folded by core and jobservice.
CREATE TABLE "audit_log_counts" (
    "id" BIGSERIAL NOT NULL,
    "project_id" INTEGER,
    "delta" BIGINT NOT NULL,

    CONSTRAINT "audit_log_counts_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "audit_log_counts_project_id_idx" ON "audit_log_counts"("project_id");

INSERT INTO "audit_log_counts" ("project_id", "delta")
SELECT "project_id", count(*) FROM "audit_logs" GROUP BY 1;

-- The repositories of a project by creation and update time, with the name in the index too, so
-- a page is an index-only scan (the slash test of the query reads the name). Without it the
-- planner, pricing a heap fetch per row skipped, sorts the whole project for a deep page.
DROP INDEX "repositories_project_created_idx";
DROP INDEX "repositories_project_updated_idx";
CREATE INDEX "repositories_project_created_idx" ON "repositories" (split_part("name", '/', 1), "created_at" NULLS FIRST, "id" NULLS FIRST) INCLUDE ("name");
CREATE INDEX "repositories_project_updated_idx" ON "repositories" (split_part("name", '/', 1), "updated_at" NULLS FIRST, "id" NULLS FIRST) INCLUDE ("name");

-- Artifacts (manifests) per repository: the total of an artifact list and the artifact_count
-- of repository views, which counted up to every manifest of the repository per request.
-- Written and folded by registry-store, removed with the repository.
CREATE TABLE "repository_artifact_counts" (
    "id" BIGSERIAL NOT NULL,
    "repository_id" INTEGER NOT NULL,
    "delta" BIGINT NOT NULL,

    CONSTRAINT "repository_artifact_counts_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "repository_artifact_counts_repository_id_idx" ON "repository_artifact_counts"("repository_id");

ALTER TABLE "repository_artifact_counts" ADD CONSTRAINT "repository_artifact_counts_repository_id_fkey" FOREIGN KEY ("repository_id") REFERENCES "repositories"("id") ON DELETE CASCADE ON UPDATE CASCADE;

INSERT INTO "repository_artifact_counts" ("repository_id", "delta")
SELECT "repository_id", count(*) FROM "manifests" GROUP BY 1;
