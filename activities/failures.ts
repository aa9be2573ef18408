/**
 * Failures retrying cannot fix. An activity that writes the read model, the timeline, the ledger or
 * the outbox retries until PostgreSQL answers, which is right for an outage and wrong for a statement
 * PostgreSQL refuses for what it holds: that one fails the same way on every attempt, holds up every
 * later effect of its workflow and never surfaces. Such a failure becomes a non-retryable
 * `DataError`, so the workflow learns of it at once and can hand it to ops (raiseEffectFailure).
 *
 * How a refusal reaches the activity (checked against Prisma 7 with @prisma/adapter-pg):
 * `PrismaClientKnownRequestError` with a Prisma code (`P2010` for $queryRaw, `P2002`, `P2007`,
 * `P2039` … for model calls) and the SQLSTATE in `meta.driverAdapterError.cause.originalCode` (also
 * in `.code` when the adapter has no kind of its own for it). An outage has no SQLSTATE there but a
 * kind (`DatabaseNotReachable`, `ConnectionClosed`, `SocketTimeout`), or a SQLSTATE of class 08,
 * 53 or 57P; node-postgres' own errors carry the SQLSTATE in `code` beside a `severity`.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { safeText } from '../infra/text';

export const DATA_ERROR = 'DataError';

// 22 data exception, 23 integrity constraint violation, 42 syntax error or access rule violation,
// 54 program limit exceeded. The activities write with ON CONFLICT where a conflict is expected, so a
// unique violation that still surfaces is not a race a retry would lose.
const REFUSED_CLASSES = new Set(['22', '23', '42', '54']);
// Class 42 codes a retry can outlive: a table, column, function or type the code asks for that the
// database does not have yet (a worker running before its migrations are applied), and a missing grant.
const DATABASE_BEHIND = new Set(['42P01', '42703', '42883', '42704', '42501']);
// Prisma's own names for a value the database refused, when no SQLSTATE travels with them.
const PRISMA_REFUSALS = new Set(['P2000', 'P2002', 'P2003', 'P2004', 'P2005', 'P2006', 'P2007', 'P2011', 'P2012', 'P2019', 'P2020', 'P2023', 'P2033']);
const SQLSTATE = /^[0-9A-Z]{5}$/;

interface Refusal {
  sqlstate?: string;
  prismaCode?: string;
  message: string;
}

type ErrorLike = {
  code?: unknown;
  severity?: unknown;
  name?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown; originalMessage?: unknown; message?: unknown } } };
};

/** The error and its causes, outermost first. */
function* causes(err: unknown): Generator<ErrorLike> {
  for (let e = err as ErrorLike | undefined, depth = 0; e && typeof e === 'object' && depth < 5; e = e.cause as ErrorLike | undefined, depth++) yield e;
}

function sqlStateAt(e: ErrorLike): string | undefined {
  const adapter = e.meta?.driverAdapterError?.cause;
  const code = adapter?.originalCode ?? adapter?.code;
  if (typeof code === 'string' && SQLSTATE.test(code)) return code;
  if (typeof e.code === 'string' && typeof e.severity === 'string' && SQLSTATE.test(e.code)) return e.code;
  return undefined;
}

/** The SQLSTATE PostgreSQL answered with, wherever Prisma or the driver put it; undefined when there is none. */
export function sqlStateOf(err: unknown): string | undefined {
  for (const e of causes(err)) {
    const sqlstate = sqlStateAt(e);
    if (sqlstate) return sqlstate;
  }
  return undefined;
}

/** What PostgreSQL or Prisma refused, when retrying the same statement cannot succeed. */
function refusalOf(err: unknown): Refusal | undefined {
  for (const e of causes(err)) {
    const sqlstate = sqlStateAt(e);
    const prismaCode = typeof e.code === 'string' && /^P\d{4}$/.test(e.code) ? e.code : undefined;
    if (sqlstate) {
      if (!REFUSED_CLASSES.has(sqlstate.slice(0, 2)) || DATABASE_BEHIND.has(sqlstate)) return undefined;
      const adapter = e.meta?.driverAdapterError?.cause;
      return { sqlstate, prismaCode, message: String(adapter?.originalMessage ?? adapter?.message ?? e.message ?? '') };
    }
    if (prismaCode && PRISMA_REFUSALS.has(prismaCode)) return { prismaCode, message: lastLine(e.message) };
    // The query itself does not fit the schema Prisma was generated from: the same on every attempt.
    if (e.name === 'PrismaClientValidationError') return { message: lastLine(e.message) };
  }
  return undefined;
}

const lastLine = (message: unknown) => String(message ?? '').split('\n').filter((l) => l.trim() !== '').at(-1) ?? '';

/**
 * The non-retryable DataError `err` stands for when `activity` failed for a reason retrying cannot
 * fix; undefined for anything else (an outage, a timeout, a refusal of the activity's own), which
 * keeps retrying. Its message names the activity and the SQLSTATE and is itself safe text, since it
 * travels in the workflow's history and may be written to the late-task queue.
 */
export function dataErrorOf(activity: string, err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure) return undefined;
  const refusal = refusalOf(err);
  if (!refusal) return undefined;
  const code = refusal.sqlstate ? `SQLSTATE ${refusal.sqlstate}` : refusal.prismaCode ? `Prisma ${refusal.prismaCode}` : 'Prisma validation';
  const why = safeText(refusal.message, 300).replace(/\s+/g, ' ').trim();
  return ApplicationFailure.create({
    type: DATA_ERROR,
    message: safeText(`${activity}: the database refused the data (${code}${why ? `: ${why}` : ''}); retrying cannot change that`, 600),
    nonRetryable: true,
    details: [{ activity, sqlstate: refusal.sqlstate ?? null, prismaCode: refusal.prismaCode ?? null }],
  });
}

/**
 * The same activities, each turning a failure retrying cannot fix into a non-retryable DataError
 * (named after the activity) and leaving every other failure as it was.
 */
export function stopRetryingDataErrors<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, activity]) => [
      name,
      async (...args: Parameters<typeof activity>) => {
        try {
          return await activity(...args);
        } catch (err) {
          throw dataErrorOf(name, err) ?? err;
        }
      },
    ]),
  ) as T;
}
