-- Harbor reports a pull_count per repository: the pulls of its manifests, counted by the
-- registry's pull recorder beside each manifest's own count, and kept when an artifact is
-- deleted. Existing repositories start from the pulls of the manifests they hold now.
ALTER TABLE "repositories" ADD COLUMN "pull_count" BIGINT NOT NULL DEFAULT 0;

UPDATE "repositories" r SET "pull_count" = s.n
FROM (SELECT repository_id, sum(pull_count) AS n FROM manifests GROUP BY repository_id) s
WHERE r.id = s.repository_id AND s.n > 0;
