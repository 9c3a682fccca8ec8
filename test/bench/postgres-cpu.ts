import { readdir, readFile } from 'node:fs/promises';

/** Linux counts process CPU time in clock ticks of 1/100 s (USER_HZ) on every common platform. */
const TICK_MS = 10;

/**
 * The CPU time every Postgres process on this machine has used so far, in milliseconds: the
 * server's own processes, and the backends that have exited (counted in their parent's children's
 * time). Null where no Postgres process can be seen: a server on another machine, or no /proc.
 * The difference between two readings is what Postgres spent in between, background writers
 * included (they write the WAL an insert produces).
 */
export async function postgresCpuMs(): Promise<number | null> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return null;
  }
  let ticks = 0;
  let seen = false;
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone since the listing
    }
    // "pid (comm) state ppid ...": the name may hold spaces, so fields are counted after it.
    const close = stat.lastIndexOf(')');
    if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
    const fields = stat.slice(close + 2).split(' ');
    // Fields 14-17 of proc(5): utime, stime, cutime, cstime (here from field 3, state, at 0).
    for (const index of [11, 12, 13, 14]) ticks += Number(fields[index] ?? 0);
    seen = true;
  }
  return seen ? ticks * TICK_MS : null;
}
