-- AlterTable
ALTER TABLE "projects" ADD COLUMN     "registry_id" INTEGER;

-- CreateIndex
CREATE INDEX "projects_registry_id_idx" ON "projects"("registry_id");

-- AddForeignKey
ALTER TABLE "projects" ADD CONSTRAINT "projects_registry_id_fkey" FOREIGN KEY ("registry_id") REFERENCES "registries"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
