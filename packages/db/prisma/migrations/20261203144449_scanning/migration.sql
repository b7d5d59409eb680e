-- CreateTable
CREATE TABLE "scanner_registrations" (
    "id" SERIAL NOT NULL,
    "uuid" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "url" TEXT NOT NULL,
    "auth" TEXT NOT NULL DEFAULT '',
    "access_credential" TEXT NOT NULL DEFAULT '',
    "skip_cert_verify" BOOLEAN NOT NULL DEFAULT false,
    "use_internal_addr" BOOLEAN NOT NULL DEFAULT false,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "is_default" BOOLEAN NOT NULL DEFAULT false,
    "immutable" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "scanner_registrations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "scan_reports" (
    "id" UUID NOT NULL,
    "digest" TEXT NOT NULL,
    "repository" TEXT NOT NULL,
    "registration_uuid" UUID NOT NULL,
    "mime_type" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'Pending',
    "status_message" TEXT NOT NULL DEFAULT '',
    "trigger" TEXT NOT NULL DEFAULT 'MANUAL',
    "execution_id" BIGINT,
    "severity" TEXT NOT NULL DEFAULT '',
    "summary" JSONB,
    "vulnerabilities" JSONB,
    "report" JSONB,
    "log" TEXT NOT NULL DEFAULT '',
    "start_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "end_time" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "scan_reports_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cve_allowlists" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "expires_at" BIGINT,
    "items" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "cve_allowlists_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "vuln_advisories" (
    "id" TEXT NOT NULL,
    "summary" TEXT NOT NULL DEFAULT '',
    "details" TEXT NOT NULL DEFAULT '',
    "aliases" TEXT[],
    "modified" TIMESTAMPTZ(3),
    "published" TIMESTAMPTZ(3),
    "withdrawn" TIMESTAMPTZ(3),
    "severity" JSONB,
    "references" JSONB,
    "cwe_ids" TEXT[],
    "source" TEXT NOT NULL DEFAULT '',
    "imported_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "vuln_advisories_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "vuln_affected" (
    "id" BIGSERIAL NOT NULL,
    "advisory_id" TEXT NOT NULL,
    "ecosystem" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "ranges" JSONB NOT NULL DEFAULT '[]',
    "versions" TEXT[],
    "ecosystem_severity" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "vuln_affected_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "vuln_db_imports" (
    "id" BIGSERIAL NOT NULL,
    "source" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'Running',
    "advisories" INTEGER NOT NULL DEFAULT 0,
    "message" TEXT NOT NULL DEFAULT '',
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "vuln_db_imports_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "adapter_scans" (
    "id" UUID NOT NULL,
    "request" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'Pending',
    "message" TEXT NOT NULL DEFAULT '',
    "reports" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "adapter_scans_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "scanner_registrations_uuid_key" ON "scanner_registrations"("uuid");

-- CreateIndex
CREATE UNIQUE INDEX "scanner_registrations_name_key" ON "scanner_registrations"("name");

-- CreateIndex
CREATE INDEX "scan_reports_repository_idx" ON "scan_reports"("repository");

-- CreateIndex
CREATE INDEX "scan_reports_status_idx" ON "scan_reports"("status");

-- CreateIndex
CREATE UNIQUE INDEX "scan_reports_digest_registration_uuid_mime_type_key" ON "scan_reports"("digest", "registration_uuid", "mime_type");

-- CreateIndex
CREATE UNIQUE INDEX "cve_allowlists_project_id_key" ON "cve_allowlists"("project_id");

-- CreateIndex
CREATE INDEX "vuln_affected_ecosystem_name_idx" ON "vuln_affected"("ecosystem", "name");

-- CreateIndex
CREATE INDEX "vuln_affected_advisory_id_idx" ON "vuln_affected"("advisory_id");

-- CreateIndex
CREATE INDEX "vuln_db_imports_started_at_idx" ON "vuln_db_imports"("started_at");

-- CreateIndex
CREATE INDEX "adapter_scans_created_at_idx" ON "adapter_scans"("created_at");

-- AddForeignKey
ALTER TABLE "vuln_affected" ADD CONSTRAINT "vuln_affected_advisory_id_fkey" FOREIGN KEY ("advisory_id") REFERENCES "vuln_advisories"("id") ON DELETE CASCADE ON UPDATE CASCADE;
