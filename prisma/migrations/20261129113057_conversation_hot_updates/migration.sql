-- DropIndex
DROP INDEX "Conversation_purgeAfter_idx";

