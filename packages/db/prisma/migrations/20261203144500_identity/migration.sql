-- AlterTable
ALTER TABLE "project_members" ADD COLUMN     "group_id" INTEGER,
ALTER COLUMN "user_id" DROP NOT NULL;

-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "admin_role_in_auth" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "group_ids" INTEGER[] DEFAULT ARRAY[]::INTEGER[];

-- CreateTable
CREATE TABLE "configurations" (
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "configurations_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "user_groups" (
    "id" SERIAL NOT NULL,
    "group_name" TEXT NOT NULL,
    "group_type" INTEGER NOT NULL,
    "ldap_group_dn" TEXT NOT NULL DEFAULT '',
    "key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "user_groups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "oidc_users" (
    "user_id" INTEGER NOT NULL,
    "subiss" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "token_expires_at" TIMESTAMPTZ(3),
    "group_ids" INTEGER[] DEFAULT ARRAY[]::INTEGER[],
    "admin_role_in_auth" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "oidc_users_pkey" PRIMARY KEY ("user_id")
);

-- CreateIndex
CREATE INDEX "user_groups_group_name_idx" ON "user_groups"("group_name");

-- CreateIndex
CREATE UNIQUE INDEX "user_groups_group_type_key_key" ON "user_groups"("group_type", "key");

-- CreateIndex
CREATE UNIQUE INDEX "oidc_users_subiss_key" ON "oidc_users"("subiss");

-- CreateIndex
CREATE INDEX "project_members_group_id_idx" ON "project_members"("group_id");

-- CreateIndex
CREATE UNIQUE INDEX "project_members_project_id_group_id_key" ON "project_members"("project_id", "group_id");

-- AddForeignKey
ALTER TABLE "project_members" ADD CONSTRAINT "project_members_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "user_groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- A membership is a user's or a group's, never both or neither (Prisma cannot express CHECK).
ALTER TABLE "project_members" ADD CONSTRAINT "project_members_one_entity" CHECK (("user_id" IS NULL) <> ("group_id" IS NULL));
