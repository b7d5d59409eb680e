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
