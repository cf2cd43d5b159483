import { AppError } from "../shared/errors.ts";

/**
 * Stable error codes of the staff console API. Like the resident codes in
 * `src/shared/errors.ts` they are part of the API and never change meaning;
 * messages are Chinese because staff read them.
 */
function define(code: string, message: string, statusCode: number) {
  const make = (detail?: string) => new AppError(code, detail ? `${message}${detail}` : message, statusCode);
  return Object.assign(make, { code, statusCode, message });
}

export const staffErrors = {
  unauthenticated: define("ERR_UNAUTHENTICATED", "请先登录（登录可能已过期）。", 401),
  csrf: define("ERR_CSRF", "请求校验失败，请刷新页面后重试。", 403),
  forbidden: define("ERR_FORBIDDEN", "你没有执行此操作的权限。", 403),
  /** The same message for an unknown user, a wrong password and a disabled account. */
  loginFailed: define("ERR_LOGIN_FAILED", "用户名或密码不正确。", 401),
  /** The detail says when the account unlocks. */
  accountLocked: define("ERR_ACCOUNT_LOCKED", "登录失败次数过多，账号已暂时锁定。", 423),
  loginRateLimited: define("ERR_RATE_LIMITED", "登录尝试太频繁了，请一分钟后再试。", 429),
  /** The detail is the password policy's reason. */
  weakPassword: define("ERR_WEAK_PASSWORD", "密码不符合要求：", 400),
  usernameTaken: define("ERR_USERNAME_TAKEN", "这个用户名已被使用。", 409),
  userNotFound: define("ERR_USER_NOT_FOUND", "没有找到这个工作人员账号。", 404),
  invalidStaffInput: define("ERR_VALIDATION", "输入有误：", 400),
} as const;
