import pg from 'pg'
import type { NetworkEventSink } from '../../src/network/port.js'

/**
 * For tests that interleave transactions on purpose: resolves once some session of the database
 * waits for a lock (a row lock or an advisory lock), once `done` settles (the other party did not
 * wait at all), or after `ms`, whichever comes first. On SQLite (`databaseUrl` undefined) it
 * resolves at once: one transaction runs at a time there, so there is nothing to wait for.
 */
export async function untilLockWait(
  databaseUrl: string | undefined,
  done: Promise<unknown>,
  ms = 5000,
): Promise<void> {
  if (databaseUrl === undefined) return
  let settled = false
  void done.then(
    () => (settled = true),
    () => (settled = true),
  )
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const deadline = Date.now() + ms
    while (!settled && Date.now() < deadline) {
      const { rows } = await client.query<{ n: string }>(
        `select count(*) as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`,
      )
      if (Number(rows[0]?.n ?? 0) > 0) return
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  } finally {
    await client.end()
  }
}

/** A gate that a transaction awaits to hold its locks until the test opens it. */
export function gate(): { reached: Promise<void>; wait: () => Promise<void>; open: () => void } {
  let arrive!: () => void
  let open!: () => void
  const reached = new Promise<void>((resolve) => (arrive = resolve))
  const opened = new Promise<void>((resolve) => (open = resolve))
  return {
    reached,
    wait: () => {
      arrive()
      return opened
    },
    open,
  }
}

/** A network event door whose transaction, once the change is written, waits for `held` to open. */
export function heldOpen<Unit>(
  sink: NetworkEventSink<Unit>,
  held: { wait: () => Promise<void> },
): NetworkEventSink<Unit> {
  return {
    ingest: (work) =>
      sink.ingest(async (unit) => {
        const out = await work(unit)
        await held.wait()
        return out
      }),
  }
}
