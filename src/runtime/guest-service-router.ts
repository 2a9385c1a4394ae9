// The task's service router (allow_services), set once by the task host
// when it knows its grants, read by every instance's WASI host: like
// task-output.ts, a process-wide setting of the one task this process runs.
import type { ServiceRouter } from '../wasi/service-routing.js';

export const guestServiceRouter: { router: ServiceRouter | undefined } = { router: undefined };

export function useServiceRouter(router: ServiceRouter): void {
  guestServiceRouter.router = router;
}
