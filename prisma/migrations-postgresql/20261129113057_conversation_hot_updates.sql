-- migrate:up
-- conversation_hot_updates (scripts/db-migration.ts)

-- DropIndex
DROP INDEX "Conversation_purgeAfter_idx";

-- Every message rewrites its conversation's row (lastMessageAt, purgeAfter). With no indexed
-- column changed, PostgreSQL can keep the new version on the same page (a HOT update, no new
-- index entries) when the page has room: leave a fifth of each new page for that.
-- (A storage parameter: Prisma's schema has no word for it, so the drift test does not see it.)
ALTER TABLE "Conversation" SET (fillfactor = 80);

-- migrate:down
