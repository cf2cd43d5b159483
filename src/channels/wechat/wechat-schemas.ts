import { z } from "zod";
import { chatRequestSchema, chatResponseSchema, clientMessageIdSchema } from "../../chat/chat-schemas.ts";
import { CONTACT_CIPHER_PATTERN, CONTACT_REF_PATTERN } from "./contact-crypto-fns.ts";

export const botMessageSchema = z.strictObject({
  contactRef: z.string().regex(CONTACT_REF_PATTERN, "contactRef 格式不对"),
  contactCipher: z.string().regex(CONTACT_CIPHER_PATTERN, "contactCipher 格式不对").optional(),
  text: chatRequestSchema.shape.text,
  clientMessageId: clientMessageIdSchema,
  isGroup: z.boolean().default(false),
});

export const leaseQuerySchema = z.strictObject({
  /** Identifies the bot instance holding the lease (random per process). */
  botId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "botId 格式不对"),
  limit: z.coerce.number().int().min(1).max(50).default(10),
  /** How long the bot may hold the rows before another may take them. */
  leaseSeconds: z.coerce.number().int().min(5).max(3600).default(300),
});

export const outboundItemSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  text: z.string(),
  contactCipher: z.string(),
  contactRef: z.string(),
  attempts: z.number().int(),
});

export const leaseResponseSchema = z.object({ items: z.array(outboundItemSchema) });

export const outboundIdParamsSchema = z.strictObject({ id: z.string().min(1).max(64) });

export const failureBodySchema = z.strictObject({
  // Only an error kind is accepted, so no message text or contact data can end up in lastError.
  error: z.string().regex(/^[a-z_]{1,40}$/, "error 只能是错误类型，例如 send_failed"),
  retryAfterSeconds: z.number().int().min(0).max(86_400),
  giveUp: z.boolean().optional(),
});

export const okSchema = z.object({ ok: z.literal(true) });

export { chatResponseSchema };
