import { z } from "zod";

/** Roles, least to most privileged. Supervisors and admins see every queue. */
export const STAFF_ROLES = ["staff", "supervisor", "admin"] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export function isStaffRole(value: string): value is StaffRole {
  return (STAFF_ROLES as readonly string[]).includes(value);
}

/** Queue ids (domestic_violence, child_harm, …); names may still change, so any id of this shape is accepted. */
export const QUEUE_ID_PATTERN = /^[a-z][a-z_-]{1,39}$/;

/** Usernames are compared case-insensitively: stored and looked up in this form. */
export function normalizeUsername(username: string): string {
  return username.normalize("NFKC").trim().toLowerCase();
}

export const usernameSchema = z
  .string()
  .transform(normalizeUsername)
  .pipe(
    z
      .string()
      .regex(
        /^[a-z][a-z0-9._-]{1,39}$/,
        "用户名须为2到40个字符，以字母开头，只能包含小写字母、数字、点、下划线和连字符",
      ),
  );

export const displayNameSchema = z
  .string()
  .trim()
  .min(1, "请填写姓名")
  .max(40, "姓名不能超过40个字符")
  .regex(/^[^\p{Cc}\p{Cf}]+$/u, "姓名含有不可见字符");

export const queueIdSchema = z.string().regex(QUEUE_ID_PATTERN, "队列名称须为2到40个小写字母、连字符或下划线");

export const queueListSchema = z
  .array(queueIdSchema)
  .max(20, "队列不能超过20个")
  .transform((queues) => [...new Set(queues)].sort());

export const roleSchema = z.enum(STAFF_ROLES, "角色须为 staff、supervisor 或 admin");

/** Length is checked by the password policy (with a Chinese reason); this only bounds the body. */
export const newPasswordSchema = z.string().max(1024, "密码太长了");

export const newStaffUserSchema = z.strictObject({
  username: usernameSchema,
  displayName: displayNameSchema,
  password: newPasswordSchema,
  role: roleSchema,
  queues: queueListSchema.default([]),
});
export type NewStaffUser = z.input<typeof newStaffUserSchema>;

export const loginRequestSchema = z.strictObject({
  username: z.string().min(1, "请输入用户名").max(128, "用户名太长了"),
  password: z.string().min(1, "请输入密码").max(1024, "密码太长了"),
});

export const staffUserSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: z.enum(STAFF_ROLES),
  queues: z.array(z.string()),
});

export const staffUserListItemSchema = staffUserSchema.extend({
  createdAt: z.string(),
  disabled: z.boolean(),
  /** ISO time the account unlocks, when it is locked now. */
  lockedUntil: z.string().nullable(),
});

export const staffUserListResponseSchema = z.object({ users: z.array(staffUserListItemSchema) });

export const userResponseSchema = z.object({ user: staffUserSchema });

export const sessionResponseSchema = z.object({ user: staffUserSchema, csrfToken: z.string() });

export const setQueuesRequestSchema = z.strictObject({ queues: queueListSchema });

export const userIdParamsSchema = z.strictObject({ id: z.string().min(1).max(64) });

export const errorBodySchema = z.object({ code: z.string(), message: z.string() });

export const lockedBodySchema = errorBodySchema.extend({ unlocksAt: z.string() });
