-- DropIndex
DROP INDEX "Conversation_externalRef_idx";

-- CreateTable
CREATE TABLE "DirectoryEdit" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "data" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedBy" TEXT NOT NULL,
    "deletedAt" DATETIME
);

-- CreateTable
CREATE TABLE "AdminAudit" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "data" TEXT NOT NULL DEFAULT '{}',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "CuratedAnswer" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "examples" TEXT NOT NULL,
    "wording" TEXT NOT NULL,
    "citationId" TEXT,
    "serviceId" TEXT,
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "disabledAt" DATETIME
);

-- CreateTable
CREATE TABLE "AnswerFeedback" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "conversationId" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "helpful" BOOLEAN NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "RateLimitBucket" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "windowStart" DATETIME NOT NULL,
    "count" INTEGER NOT NULL
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Case" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "conversationId" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "queue" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'new',
    "channel" TEXT NOT NULL,
    "area" TEXT,
    "signals" TEXT NOT NULL,
    "source" TEXT NOT NULL DEFAULT 'chat',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "claimedAt" DATETIME,
    "claimedBy" TEXT,
    "firstStaffReplyAt" DATETIME,
    "closedAt" DATETIME,
    "outcome" TEXT,
    "closedBy" TEXT,
    CONSTRAINT "Case_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Case" ("area", "category", "channel", "claimedAt", "claimedBy", "closedAt", "closedBy", "conversationId", "createdAt", "firstStaffReplyAt", "id", "outcome", "queue", "severity", "signals", "status", "updatedAt") SELECT "area", "category", "channel", "claimedAt", "claimedBy", "closedAt", "closedBy", "conversationId", "createdAt", "firstStaffReplyAt", "id", "outcome", "queue", "severity", "signals", "status", "updatedAt" FROM "Case";
DROP TABLE "Case";
ALTER TABLE "new_Case" RENAME TO "Case";
CREATE INDEX "Case_queue_status_idx" ON "Case"("queue", "status");
CREATE INDEX "Case_conversationId_status_idx" ON "Case"("conversationId", "status");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "AdminAudit_target_idx" ON "AdminAudit"("target");

-- CreateIndex
CREATE UNIQUE INDEX "AnswerFeedback_messageId_key" ON "AnswerFeedback"("messageId");

-- CreateIndex
CREATE UNIQUE INDEX "Conversation_externalRef_key" ON "Conversation"("externalRef");

-- CreateIndex
CREATE INDEX "Message_clientMessageId_idx" ON "Message"("clientMessageId");

