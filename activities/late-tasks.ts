/**
 * Ops working the late-task queue: each action is one conditional update of the task's row on the
 * statuses the action is taken from (ops-surface.ts), so two people acting at once cannot both
 * succeed where only one may, and the loser is told what the task is now.
 */
import type { Db } from '../infra/db';
import type { Prisma } from '../generated/prisma/client';
import { LATE_TASK_TAKEN_FROM, LateTaskAction, lateTaskRefusal } from './ops-surface';

type LateTaskRow = NonNullable<Awaited<ReturnType<Db['lateTask']['findUnique']>>>;

export type LateTaskWork = { done: true; task: LateTaskRow } | { done: false; task?: LateTaskRow; refusal: string };

export async function workLateTask(db: Db, taskId: string, action: LateTaskAction, data: Prisma.LateTaskUpdateManyMutationInput, now: Date): Promise<LateTaskWork> {
  const updated = await db.lateTask.updateMany({ where: { id: taskId, status: { in: [...LATE_TASK_TAKEN_FROM[action]] } }, data: { ...data, updatedAt: now } });
  const task = await db.lateTask.findUnique({ where: { id: taskId } });
  if (!task) return { done: false, refusal: `no late task ${taskId}` };
  if (updated.count > 0) return { done: true, task };
  return { done: false, task, refusal: lateTaskRefusal(action, task) ?? `cannot ${action} late task ${taskId}: it changed meanwhile; try again` };
}
