import type { FastifyRequest } from "fastify";
import { staffErrors } from "./staff-errors.ts";
import type { StaffRole } from "./staff-schemas.ts";
import type { AuthenticatedStaff } from "./staff-service.ts";

/** Roles that see every queue. */
const ALL_QUEUE_ROLES: readonly StaffRole[] = ["supervisor", "admin"];

/**
 * Whether this staff member may see cases of this queue: supervisors and admins
 * see every queue, staff only the queues they are members of. Callers answer 404
 * (not 403) for a case in a queue the staff member cannot see, so that its
 * existence is not revealed.
 */
export function canSeeQueue(staff: Pick<AuthenticatedStaff, "role" | "queues">, queue: string): boolean {
  return ALL_QUEUE_ROLES.includes(staff.role) || staff.queues.includes(queue);
}

/**
 * The signed-in staff member of a request that passed `app.requireStaff()`;
 * throws ERR_UNAUTHENTICATED if the route forgot the preHandler.
 */
export function staffOf(request: FastifyRequest): AuthenticatedStaff {
  const staff = request.staff;
  if (!staff) throw staffErrors.unauthenticated();
  return staff;
}
