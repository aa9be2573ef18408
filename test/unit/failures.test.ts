/**
 * Which failures an activity stops retrying (activities/failures.ts), on the shapes Prisma 7 with
 * @prisma/adapter-pg and node-postgres give them: a statement PostgreSQL refuses for its data becomes
 * a non-retryable DataError naming the activity and the SQLSTATE; an outage stays as it was, so
 * Temporal retries it until the database is back. test/db/effect-failures.test.ts checks the same
 * against a real PostgreSQL.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { DATA_ERROR, dataErrorOf, sqlStateOf, stopRetryingDataErrors } from '../../activities/failures';
import { unsafeTextReason } from '../../infra/text';

/** A $queryRaw failure as Prisma reports it: P2010, the SQLSTATE in the driver adapter's cause. */
function rawQueryFailure(sqlstate: string | undefined, message: string, kind = 'postgres', prismaCode = 'P2010') {
  const err = new Error(`\nInvalid \`prisma.$queryRaw()\` invocation:\n\n\nRaw query failed. Code: \`${sqlstate ?? 'N/A'}\`. Message: \`${message}\``) as Error & Record<string, unknown>;
  err.name = 'PrismaClientKnownRequestError';
  err.code = prismaCode;
  err.meta = {
    driverAdapterError: {
      name: 'DriverAdapterError',
      cause: sqlstate ? { originalCode: sqlstate, originalMessage: message, kind, ...(kind === 'postgres' ? { code: sqlstate } : {}), message } : { kind },
    },
  };
  return err;
}

/** node-postgres' own error: the SQLSTATE in `code`, beside a severity. */
function pgError(sqlstate: string, message: string) {
  return Object.assign(new Error(message), { code: sqlstate, severity: 'ERROR' });
}

describe('dataErrorOf: refused for its data, never fixed by a retry', () => {
  it.each([
    ['22P02', 'invalid input syntax for type json', 'InvalidInputValue'],
    ['22021', 'invalid byte sequence for encoding "UTF8": 0x00', 'postgres'],
    ['22003', 'value "99999999999999999999999" is out of range for type bigint', 'ValueOutOfRange'],
    ['23505', 'duplicate key value violates unique constraint "Party_pkey"', 'UniqueConstraintViolation'],
    ['23502', 'null value in column "summary" violates not-null constraint', 'NullConstraintViolation'],
    ['42601', 'syntax error at or near "WITH"', 'postgres'],
    ['42804', 'column "dueAt" is of type timestamp but expression is of type text', 'postgres'],
    ['54000', 'number of parameters must be between 0 and 65535', 'postgres'],
  ])('SQLSTATE %s becomes a non-retryable DataError naming the activity and the SQLSTATE', (sqlstate, message, kind) => {
    const failure = dataErrorOf('recordOrderChange', rawQueryFailure(sqlstate, message, kind));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: DATA_ERROR, nonRetryable: true });
    expect(failure!.message).toContain('recordOrderChange');
    expect(failure!.message).toContain(`SQLSTATE ${sqlstate}`);
    expect(failure!.message).toContain(message.slice(0, 20));
    expect(failure!.details).toEqual([{ activity: 'recordOrderChange', sqlstate, prismaCode: 'P2010' }]);
  });

  it('finds the SQLSTATE of a model call (P2002, P2007, P2039) and of a node-postgres error, also as a cause', () => {
    expect(dataErrorOf('a', rawQueryFailure('23505', 'duplicate', 'UniqueConstraintViolation', 'P2002'))?.message).toContain('SQLSTATE 23505');
    expect(dataErrorOf('a', rawQueryFailure('22P02', 'invalid input syntax for type json', 'InvalidInputValue', 'P2007'))?.message).toContain('SQLSTATE 22P02');
    expect(dataErrorOf('a', rawQueryFailure('22021', 'invalid byte sequence for encoding "UTF8": 0x00', 'postgres', 'P2039'))?.message).toContain('SQLSTATE 22021');
    expect(dataErrorOf('a', pgError('22P02', 'invalid input syntax for type json'))?.type).toBe(DATA_ERROR);
    expect(dataErrorOf('a', new Error('wrapped', { cause: pgError('23514', 'check constraint') }))?.message).toContain('SQLSTATE 23514');
    expect(sqlStateOf(rawQueryFailure('22P02', 'x'))).toBe('22P02');
    expect(sqlStateOf(new Error('no database here'))).toBeUndefined();
  });

  it("takes Prisma's own refusals without a SQLSTATE, and a query that does not fit the schema", () => {
    const tooLong = Object.assign(new Error('The provided value for the column is too long for the column\'s type. Column: summary'), { name: 'PrismaClientKnownRequestError', code: 'P2000' });
    expect(dataErrorOf('postLedgerTransaction', tooLong)?.message).toContain('Prisma P2000');
    const validation = Object.assign(new Error('\nInvalid `prisma.party.create()` invocation:\n\nArgument `name`: Invalid value provided. Expected String, provided Int.'), { name: 'PrismaClientValidationError' });
    expect(dataErrorOf('notifyParties', validation)).toMatchObject({ type: DATA_ERROR, nonRetryable: true });
  });

  it('writes a message that is itself safe text, whatever PostgreSQL quoted', () => {
    const failure = dataErrorOf('recordCaseChange', rawQueryFailure('22P02', 'invalid input syntax for type integer: "lost \ud800 \u001b[2J \u202Ex"'));
    expect(unsafeTextReason(failure!.message)).toBeUndefined();
  });
});

describe('dataErrorOf: an outage or anything else keeps retrying', () => {
  it.each([
    ['08006', 'connection failure', 'postgres'],
    ['08001', 'could not connect', 'postgres'],
    ['57P01', 'terminating connection due to administrator command', 'postgres'],
    ['57P03', 'the database system is starting up', 'postgres'],
    ['57014', 'canceling statement due to statement timeout', 'postgres'],
    ['53300', 'sorry, too many clients already', 'TooManyConnections'],
    ['53100', 'could not extend file: No space left on device', 'postgres'],
    ['40001', 'could not serialize access', 'TransactionWriteConflict'],
    ['40P01', 'deadlock detected', 'postgres'],
    ['55P03', 'could not obtain lock', 'postgres'],
    // The database behind the code (migrations not applied yet) or a missing grant: fixed without a new deployment.
    ['42P01', 'relation "LateTask" does not exist', 'TableDoesNotExist'],
    ['42703', 'column "inspectorId" does not exist', 'ColumnNotFound'],
    ['42501', 'permission denied for table "Order"', 'postgres'],
  ])('SQLSTATE %s stays retryable', (sqlstate, message, kind) => {
    expect(dataErrorOf('recordOrderChange', rawQueryFailure(sqlstate, message, kind))).toBeUndefined();
  });

  it('leaves unreachable, closed and timed-out connections, socket errors and its own refusals alone', () => {
    expect(dataErrorOf('a', rawQueryFailure(undefined, "Can't reach database server at 127.0.0.1:1", 'DatabaseNotReachable'))).toBeUndefined();
    expect(dataErrorOf('a', rawQueryFailure(undefined, 'Server has closed the connection.', 'ConnectionClosed', 'P1017'))).toBeUndefined();
    expect(dataErrorOf('a', rawQueryFailure(undefined, 'Socket timeout', 'SocketTimeout'))).toBeUndefined();
    expect(dataErrorOf('a', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', errno: -111 }))).toBeUndefined();
    expect(dataErrorOf('a', Object.assign(new Error('read ETIMEDOUT'), { code: 'ETIMEDOUT' }))).toBeUndefined();
    expect(dataErrorOf('a', new Error('Connection terminated unexpectedly'))).toBeUndefined();
    expect(dataErrorOf('a', Object.assign(new Error("Can't reach database server"), { name: 'PrismaClientInitializationError', errorCode: 'P1001' }))).toBeUndefined();
    expect(dataErrorOf('a', ApplicationFailure.create({ type: 'UnbalancedLedgerTransaction', message: 'not balanced', nonRetryable: true }))).toBeUndefined();
    expect(dataErrorOf('a', 'a string thrown')).toBeUndefined();
    expect(dataErrorOf('a', undefined)).toBeUndefined();
  });
});

describe('stopRetryingDataErrors', () => {
  const acts = stopRetryingDataErrors({
    async refused(): Promise<void> {
      throw rawQueryFailure('22P02', 'invalid input syntax for type json', 'InvalidInputValue');
    },
    async outage(): Promise<void> {
      throw rawQueryFailure('57P01', 'terminating connection due to administrator command');
    },
    async fine(a: number, b: number): Promise<number> {
      return a + b;
    },
  });

  it('turns a refusal into a DataError named after the activity, rethrows anything else as it was, and passes results through', async () => {
    await expect(acts.refused()).rejects.toMatchObject({ type: DATA_ERROR, nonRetryable: true, message: expect.stringMatching(/^refused: .*SQLSTATE 22P02/) });
    const outage = await acts.outage().catch((e: unknown) => e);
    expect(outage).not.toBeInstanceOf(ApplicationFailure);
    expect(sqlStateOf(outage)).toBe('57P01');
    await expect(acts.fine(2, 3)).resolves.toBe(5);
    expect(Object.keys(acts)).toEqual(['refused', 'outage', 'fine']);
  });
});
