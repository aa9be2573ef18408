/**
 * CPU time of the whole stack a benchmark runs on, read from /proc: every process under a root (the
 * driver itself, or the `npm run cluster` process that also runs the Temporal services and their
 * PostgreSQL; BENCH_CPU_ROOT_PID), grouped by what it is. Linux only; elsewhere the figures are empty.
 */
import fs from 'node:fs';
import os from 'node:os';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

interface ProcessCpu {
  ppid: number;
  ticks: number;
  cmdline: string;
}

function readProcesses(): Map<number, ProcessCpu> {
  const out = new Map<number, ProcessCpu>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name is in parentheses and may itself contain spaces or parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      out.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), cmdline });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** What a process is, from its command line; undefined: ask its parent (PostgreSQL's backends, shells). */
export function componentOf(cmdline: string): string | undefined {
  const service = /temporal-server .*--service[= ](\w+)/.exec(cmdline);
  if (service) return `Temporal ${service[1]}`;
  if (/temporal-sql-tool/.test(cmdline)) return 'Temporal schema tool';
  if (/\btemporal\b.*start-dev/.test(cmdline)) return 'Temporal dev server';
  if (/\/postgres\b.*-D /.test(cmdline)) return /tradeguard-cluster-/.test(cmdline) ? 'PostgreSQL (Temporal)' : 'PostgreSQL (TradeGuard)';
  if (/worker-process\.ts/.test(cmdline)) return 'worker';
  if (/api\/main\.ts/.test(cmdline)) return 'API';
  if (/bench\/run\.ts/.test(cmdline)) return 'driver';
  if (/cluster\/run\.ts/.test(cmdline)) return 'cluster script';
  return undefined;
}

export interface CpuSnapshot {
  at: number;
  /** The machine's 1-minute load average: what else ran beside the stack (a shared machine). */
  loadAverage: number;
  /** Ticks per process, with its component. */
  processes: Map<number, { component: string; ticks: number }>;
}

/** CPU ticks so far of every process under `rootPid` (and of the root itself). */
export function cpuSnapshot(rootPid: number): CpuSnapshot {
  const all = readProcesses();
  const under = new Set<number>([rootPid]);
  // Parents come before children in most listings but not all: repeat until nothing is added.
  for (let added = true; added; ) {
    added = false;
    for (const [pid, p] of all) {
      if (!under.has(pid) && under.has(p.ppid)) {
        under.add(pid);
        added = true;
      }
    }
  }
  const label = (pid: number): string => {
    for (let current: number | undefined = pid; current !== undefined && all.has(current); ) {
      const p: ProcessCpu = all.get(current)!;
      const component = componentOf(p.cmdline);
      if (component) return component;
      if (current === rootPid) break;
      current = p.ppid;
    }
    return 'other';
  };
  const processes = new Map<number, { component: string; ticks: number }>();
  for (const pid of under) {
    const p = all.get(pid);
    if (p) processes.set(pid, { component: label(pid), ticks: p.ticks });
  }
  return { at: Date.now(), loadAverage: os.loadavg()[0], processes };
}

export interface CpuUse {
  /** CPU seconds of the whole stack between the two snapshots. */
  totalSeconds: number;
  bySeconds: Record<string, number>;
  wallSeconds: number;
  /** 1-minute load average at the start and at the end. */
  loadAverage: [number, number];
}

/** CPU seconds spent between two snapshots, per component (processes started in between count from 0). */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuUse {
  const bySeconds: Record<string, number> = {};
  let total = 0;
  for (const [pid, p] of after.processes) {
    const ticks = p.ticks - (before.processes.get(pid)?.ticks ?? 0);
    if (ticks <= 0) continue;
    bySeconds[p.component] = (bySeconds[p.component] ?? 0) + ticks / TICKS_PER_SECOND;
    total += ticks / TICKS_PER_SECOND;
  }
  for (const k of Object.keys(bySeconds)) bySeconds[k] = Math.round(bySeconds[k] * 100) / 100;
  return { totalSeconds: Math.round(total * 100) / 100, bySeconds, wallSeconds: (after.at - before.at) / 1000, loadAverage: [before.loadAverage, after.loadAverage] };
}

/** The Temporal server's share of a phase's CPU: the dev server, or a cluster's services and their PostgreSQL. */
export function serverSeconds(cpu: Pick<CpuUse, 'bySeconds'>): number {
  return Object.entries(cpu.bySeconds)
    .filter(([component]) => (component.startsWith('Temporal ') && component !== 'Temporal schema tool') || component === 'PostgreSQL (Temporal)')
    .reduce((sum, [, seconds]) => sum + seconds, 0);
}

export function cpuRootPid(): number {
  const raw = process.env.BENCH_CPU_ROOT_PID;
  return raw ? Number(raw) : process.pid;
}
