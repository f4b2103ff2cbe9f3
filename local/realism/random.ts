import { randomInt } from 'node:crypto';

/** A source of numbers in [0, 1); seeded ones replay the same sequence. */
export type Random = () => number;

/**
 * A seeded pseudo-random generator (mulberry32): small, fast and good enough to pick faults and durations.
 * Not for anything secret. The same seed gives the same sequence on every machine, so a chaos run can be replayed.
 *
 * @example const random = seededRandom(42); random(); // 0.6011037519201636, always
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fresh seed for a run that was not given one (printed by the CLI so the run can be replayed). */
export const randomSeed = (): number => randomInt(1, 2 ** 31 - 1);

/**
 * Independent streams derived from one seed, so that drawing a duration never shifts which call gets a fault:
 * the fault sequence of a replay stays the same even when timing differs.
 */
export function randomStreams(seed: number): { faults: Random; durations: Random; choices: Random } {
  const root = seededRandom(seed);
  const next = () => Math.floor(root() * 2 ** 32);
  return { faults: seededRandom(next()), durations: seededRandom(next()), choices: seededRandom(next()) };
}

/** A value drawn uniformly from `[min, max]`. */
export const between = (random: Random, [min, max]: readonly [number, number]): number => min + (max - min) * random();
