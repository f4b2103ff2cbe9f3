import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { InvalidInputError } from '../errors';
import { logger } from '../lambda';
import { nestingProblem, parseRequest, type ProvisioningRequest } from '../request';
import type { ProvisioningOutputs } from '../state';
import { readableError } from '../status';
import { outputsAsAttributes } from './attributes';
import { CREATE_FAILED_MARKER, MAX_GENERATIONS, parsePhysicalId, propertiesKey, provisioningIdFor, requestFromProperties, serviceTimeoutSeconds } from './identity';
import type { CfnResponse } from './response';
import type { CustomResourceService, ExecutionView, ProvisioningView } from './service';

export { CREATE_FAILED_MARKER, coerceProperties, provisioningIdFor, requestFromProperties } from './identity';
export { outputsAsAttributes } from './attributes';

/**
 * Where a wait stands, carried from one invocation to the next (the hand-off event). Never in Step Functions:
 * the event holds CloudFormation's presigned URL.
 *
 * - `provision`: a Create or Update waits for its provisioning to end, then answers.
 * - `teardown-after-provision`: a Delete (or the clean-up of a failed Update's replacement) waits for a provisioning
 *   that is still running to end, then tears it down.
 * - `teardown`: a Delete waits for its teardown to end, then answers.
 */
export interface WaitState {
  phase: 'provision' | 'teardown-after-provision' | 'teardown';
  provisioningId: string;
  executionArn: string;
  /** ISO time: answer (or give up cleaning up) by then, whatever the execution does. */
  deadline: string;
  /** CloudFormation has its answer already: only cleaning up is left, and nothing answers again. */
  answered?: boolean;
  /** Consecutive failed looks at the execution. */
  failures?: number;
}

/** The shape of a hand-off event before generations existed (still in flight during a redeploy). */
interface LegacyWait {
  executionArn: string;
  kind: 'provision' | 'teardown';
  since: string;
}

/** Our custom resource event, possibly re-sent to ourselves to keep waiting. */
export type CustomResourceEvent = CloudFormationCustomResourceEvent & { byocWait?: WaitState | LegacyWait };

export interface CustomResourceDeps {
  service: CustomResourceService;
  /** Send the answer to CloudFormation (called at most once per event). */
  respond: (answer: CfnResponse) => Promise<void>;
  /** Milliseconds this invocation has left. */
  remainingMs: () => number;
  /** Hand the event to a fresh invocation of this function (asynchronous), to keep waiting past this one's end. */
  reinvoke: (event: CustomResourceEvent) => Promise<void>;
  sleep: (ms: number) => Promise<void>;
  /** How often to look at an execution. */
  pollMs: number;
  /** Hand off when less than this (plus one poll) is left of the invocation. */
  handOffMarginMs: number;
  /** Give up looking at an execution after this many failed looks in a row (each retried with backoff). */
  maxPollFailures: number;
  /**
   * A Delete with an ID CloudFormation made up (a Create it cancelled before we answered) looks this long for the
   * provisioning that Create may still be starting.
   */
  createGraceMs: number;
  /** How long the clean-up of a failed Update's replacement may wait for it to end (after the answer). */
  cleanupWindowMs: number;
  /** Where to read more, appended to every unexpected failure's reason (the log group and stream). */
  logHint: string;
  /** The clock (default `Date.now`). */
  now?: () => number;
}

export type Outcome = 'answered' | 'handed-over' | 'cleaned-up';

const isLegacy = (wait: WaitState | LegacyWait): wait is LegacyWait => 'kind' in wait;

/** When CloudFormation must have its answer: its ServiceTimeout, less a margin (5 minutes, or a fifth of a short timeout). */
export function answerDeadline(event: Pick<CloudFormationCustomResourceEvent, 'ResourceProperties'>, now = Date.now()): string {
  const seconds = serviceTimeoutSeconds(event.ResourceProperties);
  return new Date(now + seconds * 1000 - Math.min(300_000, seconds * 200)).toISOString();
}

/**
 * The physical ID to answer with when something fails before {@link handleCustomResource} could decide: the real
 * ID once a provisioning may have been started, the marker for a Create that started nothing, and never a new ID
 * for an Update or a Delete.
 */
export function fallbackPhysicalId(event: CustomResourceEvent): string {
  const wait = event.byocWait;
  if (event.RequestType !== 'Create') return event.PhysicalResourceId;
  if (wait) return isLegacy(wait) ? wait.executionArn.split(':').pop()! : wait.provisioningId;
  return CREATE_FAILED_MARKER;
}

function parseOutputs(text: string | undefined): ProvisioningOutputs | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as ProvisioningOutputs;
  } catch {
    return null;
  }
}

function describeEnd(what: string, id: string, executionArn: string, execution: ExecutionView): string {
  const err = readableError(execution.error, execution.cause);
  return `${what} ${id} ${execution.status}: ${err.name}${err.step ? ` in ${err.step}` : ''}: ${err.message} (execution ${executionArn})`;
}

const message = (error: unknown): string => `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;

/** A provisioning that stands or is being built, and whose teardown has not started: the only kind ever reused. */
const isLive = (view: ProvisioningView): boolean => !view.teardownStarted && view.state !== 'failed';

/** One event, handled: the decisions and the state an answer depends on. */
class Handling {
  private answering = false;
  private answered = false;
  /** The replacement a running Update started (torn down again if the Update fails). */
  private replacement?: { provisioningId: string; executionArn?: string };
  /** A Create that may have started something answers failures with this ID. */
  private createdId?: string;
  /** Still-running provisionings of an Update CloudFormation gave up on (see {@link orphansOfAttempt}). */
  private orphans: ProvisioningView[] = [];

  constructor(
    private readonly event: CustomResourceEvent,
    private readonly deps: CustomResourceDeps,
  ) {}

  /** The physical ID CloudFormation sent (none on a Create). */
  private get physicalId(): string {
    return (this.event as { PhysicalResourceId?: string }).PhysicalResourceId ?? '';
  }

  private get service(): CustomResourceService {
    return this.deps.service;
  }

  async run(): Promise<Outcome> {
    try {
      const wait = this.event.byocWait;
      if (wait) return await this.resume(wait);
      switch (this.event.RequestType) {
        case 'Create':
          return await this.create();
        case 'Update': {
          const outcome = await this.update();
          await this.cleanUpOrphans(outcome);
          return outcome;
        }
        case 'Delete':
          return await this.delete();
      }
    } catch (error) {
      if (this.answering) throw error; // the answer itself failed: Lambda's retry of the event tries again
      logger.error('custom resource failed', { error: error as Error });
      const reason = `${message(error)}. ${this.deps.logHint}`;
      if (this.answered || (this.event.byocWait && !isLegacy(this.event.byocWait) && this.event.byocWait.answered)) return 'cleaned-up';
      if (this.event.RequestType === 'Update' && this.replacement) return this.failUpdate(this.replacement.provisioningId, this.replacement.executionArn, reason, 'unknown');
      return this.answer({ Status: 'FAILED', PhysicalResourceId: this.failureId(), Reason: reason });
    }
  }

  private failureId(): string {
    if (this.event.RequestType === 'Create') return this.createdId ?? fallbackPhysicalId(this.event);
    return this.event.PhysicalResourceId;
  }

  /** Answer CloudFormation, once. */
  private async answer(response: CfnResponse): Promise<Outcome> {
    if (this.answered || this.answering) throw new Error('custom resource: a second answer to one event'); // a bug: never send two
    this.answering = true;
    await this.deps.respond(response);
    this.answering = false;
    this.answered = true;
    return 'answered';
  }

  private succeed(provisioningId: string, outputs: ProvisioningOutputs | null): Promise<Outcome> {
    return this.answer({ Status: 'SUCCESS', PhysicalResourceId: provisioningId, Data: outputsAsAttributes(outputs) });
  }

  private properties(): ProvisioningRequest {
    // Before the recursive property conversion: a template nesting thousands deep must be refused, not overflow.
    const tooDeep = nestingProblem(this.event.ResourceProperties);
    if (tooDeep) throw new InvalidInputError([tooDeep]);
    const request = requestFromProperties(this.event.ResourceProperties);
    const problems = request.provisioningId === undefined ? [] : [{ field: 'provisioningId', rule: 'is derived from the stack, the logical ID and the properties; leave it out' }];
    try {
      parseRequest(request); // invalid properties: InvalidInputError naming each, before anything starts
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      problems.push(...error.problems);
    }
    if (problems.length > 0) throw new InvalidInputError(problems);
    return request;
  }

  private invalid(error: InvalidInputError, what: string): string {
    return `Invalid properties; ${what}: ${error.problems.map((p) => `${p.field}: ${p.rule}`).join('; ')}`;
  }

  private deadline(): string {
    return answerDeadline(this.event, this.now());
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /**
   * The generation these properties use: the first whose provisioning does not exist (start it) or still stands
   * or is being built (reuse it: a retried event, or an update rollback back to a provisioning CloudFormation has
   * not deleted). One that was torn down, or failed, is never reused: A→B→A builds A anew.
   */
  private async chooseGeneration(request: ProvisioningRequest): Promise<{ provisioningId: string; existing?: ProvisioningView }> {
    const key = propertiesKey(this.event.StackId, this.event.LogicalResourceId, request);
    for (let generation = 1; generation <= MAX_GENERATIONS; generation++) {
      const provisioningId = provisioningIdFor(this.event.StackId, this.event.LogicalResourceId, request, generation);
      const existing = await this.service.find(provisioningId);
      if (!existing) return { provisioningId };
      if (isLive(existing)) return { provisioningId, existing };
      logger.info('generation not reusable', { provisioningId, state: existing.state, teardownStarted: existing.teardownStarted, key });
    }
    throw new Error(`these properties have had ${MAX_GENERATIONS} provisionings in this stack; tear some down or change the logical ID`);
  }

  private async create(): Promise<Outcome> {
    let request: ProvisioningRequest;
    try {
      request = this.properties();
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      return this.answer({ Status: 'FAILED', PhysicalResourceId: CREATE_FAILED_MARKER, Reason: this.invalid(error, 'nothing was created') });
    }
    // From here on a provisioning may exist (StartExecution can act and still fail on the way back, and an earlier
    // invocation of this same event may have started one): every failure answers with a real ID, so the rollback
    // Delete tears down whatever is there (and answers SUCCESS when nothing is). Generation 1 until the registry
    // has told which generation these properties use.
    this.createdId = provisioningIdFor(this.event.StackId, this.event.LogicalResourceId, request);
    const { provisioningId, existing } = await this.chooseGeneration(request);
    this.createdId = provisioningId;
    if (existing?.state === 'succeeded') return this.succeed(provisioningId, existing.outputs);
    const executionArn = existing?.executionArn ?? (await this.service.start({ ...request, provisioningId })).executionArn;
    return this.wait({ phase: 'provision', provisioningId, executionArn, deadline: this.deadline() });
  }

  private async update(): Promise<Outcome> {
    if (this.event.RequestType !== 'Update') throw new Error('not an Update');
    const old = this.event.PhysicalResourceId;
    let request: ProvisioningRequest;
    try {
      request = this.properties();
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      return this.answer({ Status: 'FAILED', PhysicalResourceId: old, Reason: this.invalid(error, `nothing was changed (the resource keeps ${old})`) });
    }
    try {
      await this.findOrphans();
    } catch (error) {
      // Best effort: the Update itself (often a rollback, which must not fail) matters more.
      logger.error('could not look for a cancelled Update\'s replacement', { error: error as Error });
    }
    const key = propertiesKey(this.event.StackId, this.event.LogicalResourceId, request);
    if (parsePhysicalId(old)?.key === key) {
      // Nothing that shapes the provisioning changed: keep it. Only the OIDC issuer may have: set it in place.
      const current = await this.service.find(old);
      if (current && isLive(current) && current.state === 'running') {
        // Cannot happen through CloudFormation (no Update while the Create runs); a retried event could: wait.
        return this.wait({ phase: 'provision', provisioningId: old, executionArn: current.executionArn, deadline: this.deadline() });
      }
      if (current && isLive(current)) {
        const before = requestFromProperties(this.event.OldResourceProperties).iamRole?.oidcIssuerUrl;
        const after = request.iamRole?.oidcIssuerUrl;
        if (after && after !== before) await this.service.updateOidc(old, after);
        return this.succeed(old, current.outputs);
      }
      logger.warn('the provisioning behind the physical ID is gone or unusable; building a new generation', { physicalResourceId: old, state: current?.state, teardownStarted: current?.teardownStarted });
    }
    const { provisioningId, existing } = await this.chooseGeneration(request);
    if (existing?.state === 'succeeded') {
      // Back to properties whose provisioning still stands (an update rollback): hand it back as it is.
      const issuer = request.iamRole?.oidcIssuerUrl;
      if (issuer) await this.service.updateOidc(provisioningId, issuer);
      return this.succeed(provisioningId, existing.outputs);
    }
    this.replacement = { provisioningId, executionArn: existing?.executionArn };
    const executionArn = existing?.executionArn ?? (await this.service.start({ ...request, provisioningId })).executionArn;
    this.replacement.executionArn = executionArn;
    return this.wait({ phase: 'provision', provisioningId, executionArn, deadline: this.deadline() });
  }

  /**
   * An Update whose previous properties (`OldResourceProperties`) are not those of its physical ID follows an update
   * CloudFormation never took: one we answered FAILED (its replacement is torn down already), or one it cancelled
   * before we answered (another resource failed first) and now rolls back. A cancelled one's replacement still
   * stands or is still being built, and no stack will ever delete it: find those, tear down the ones that ended now,
   * and the running ones once they end ({@link cleanUpOrphans}).
   */
  private async findOrphans(): Promise<void> {
    if (this.event.RequestType !== 'Update') return;
    const current = parsePhysicalId(this.physicalId);
    let attempted: ProvisioningRequest;
    try {
      attempted = requestFromProperties(this.event.OldResourceProperties);
    } catch {
      return;
    }
    if (!current || propertiesKey(this.event.StackId, this.event.LogicalResourceId, attempted) === current.key) return;
    for (let generation = 1; generation <= MAX_GENERATIONS; generation++) {
      const found = await this.service.find(provisioningIdFor(this.event.StackId, this.event.LogicalResourceId, attempted, generation));
      if (!found) break;
      if (!isLive(found) || found.provisioningId === this.physicalId) continue;
      logger.warn('a replacement no stack owns (its Update was cancelled): tearing it down', { provisioningId: found.provisioningId, state: found.state });
      if (found.state === 'running') this.orphans.push(found);
      else await this.service.startTeardown(found.provisioningId);
    }
  }

  /** After the answer: wait for each running orphan to end, then tear it down (or stop it when the wait was handed over). */
  private async cleanUpOrphans(outcome: Outcome): Promise<void> {
    for (const orphan of this.orphans) {
      try {
        if (outcome === 'answered') {
          await this.wait({ phase: 'teardown-after-provision', provisioningId: orphan.provisioningId, executionArn: orphan.executionArn, deadline: new Date(this.now() + this.deps.cleanupWindowMs).toISOString(), answered: true, failures: 0 });
        } else {
          await this.abandon(orphan.provisioningId, orphan.executionArn, 'its Update was cancelled by CloudFormation');
        }
      } catch (error) {
        logger.error('could not clean up a cancelled Update\'s replacement', { provisioningId: orphan.provisioningId, error: error as Error });
      }
    }
  }

  private async delete(): Promise<Outcome> {
    const physical = this.physicalId;
    if (physical === CREATE_FAILED_MARKER) return this.answer({ Status: 'SUCCESS', PhysicalResourceId: physical, Reason: 'The Create started nothing; nothing to delete' });
    const target = parsePhysicalId(physical) ? await this.service.find(physical) : await this.findCancelledCreate();
    if (!target) return this.answer({ Status: 'SUCCESS', PhysicalResourceId: physical, Reason: 'Nothing was provisioned under this ID; nothing to delete' });
    if (target.state === 'running' && !target.teardownStarted) {
      // A Delete during a Create that is still running (CloudFormation cancelled or gave up on it): let it end,
      // then tear down. A teardown racing the build would miss what the build makes after it looked.
      return this.wait({ phase: 'teardown-after-provision', provisioningId: target.provisioningId, executionArn: target.executionArn, deadline: this.deadline() });
    }
    const teardown = await this.service.startTeardown(target.provisioningId);
    return this.wait({ phase: 'teardown', provisioningId: target.provisioningId, executionArn: teardown.executionArn, deadline: this.deadline() });
  }

  /**
   * A Delete whose physical ID CloudFormation made up: it cancelled our Create (another resource failed first) or
   * gave up waiting, before we answered. That Create may have started a provisioning, or may be about to: find
   * it from the same stack, logical ID and properties, and give it a short grace to appear.
   */
  private async findCancelledCreate(): Promise<ProvisioningView | undefined> {
    let request: ProvisioningRequest;
    try {
      request = this.properties();
    } catch {
      return undefined; // invalid properties: that Create started nothing
    }
    const until = this.now() + this.deps.createGraceMs;
    for (;;) {
      for (let generation = 1; generation <= MAX_GENERATIONS; generation++) {
        const found = await this.service.find(provisioningIdFor(this.event.StackId, this.event.LogicalResourceId, request, generation));
        if (!found) break;
        if (!found.teardownStarted) {
          logger.info('a Delete with an ID CloudFormation made up: tearing down what its Create started', { physicalResourceId: this.physicalId, provisioningId: found.provisioningId });
          return found;
        }
      }
      if (this.now() >= until || this.deps.remainingMs() < this.deps.pollMs + this.deps.handOffMarginMs) return undefined;
      await this.deps.sleep(this.deps.pollMs);
    }
  }

  private async resume(wait: WaitState | LegacyWait): Promise<Outcome> {
    if (!isLegacy(wait)) {
      if (this.event.RequestType === 'Update' && wait.phase === 'provision') this.replacement = { provisioningId: wait.provisioningId, executionArn: wait.executionArn };
      if (this.event.RequestType === 'Create' && wait.phase === 'provision') this.createdId = wait.provisioningId;
      return this.wait(wait);
    }
    const deadline = new Date(Date.parse(wait.since) + 55 * 60_000).toISOString();
    const provisioningId = wait.kind === 'provision' ? wait.executionArn.split(':').pop()! : this.physicalId;
    return this.resume({ phase: wait.kind, provisioningId, executionArn: wait.executionArn, deadline });
  }

  /** Watch an execution until it ends (handing over to fresh invocations), then act on how it ended. */
  private async wait(initial: WaitState): Promise<Outcome> {
    let state = initial;
    for (;;) {
      if (this.now() >= Date.parse(state.deadline)) return this.stuck(state, `still running at the deadline (${state.deadline}, from the resource's ServiceTimeout)`);
      let delay = this.deps.pollMs;
      try {
        const execution = await this.service.execution(state.executionArn);
        state = { ...state, failures: 0 };
        if (execution.status !== 'RUNNING') {
          const next = await this.ended(state, execution);
          if (typeof next === 'string') return next;
          state = next;
          continue;
        }
      } catch (error) {
        const failures = (state.failures ?? 0) + 1;
        state = { ...state, failures };
        logger.warn('could not look at the execution', { executionArn: state.executionArn, failures, error: error as Error });
        if (failures >= this.deps.maxPollFailures) return this.stuck(state, `could not look at execution ${state.executionArn} (${failures} tries): ${message(error)}`);
        delay = Math.min(this.deps.pollMs * 2 ** failures, 60_000);
      }
      if (this.deps.remainingMs() < delay + this.deps.handOffMarginMs) {
        try {
          await this.deps.reinvoke({ ...this.event, byocWait: state });
          logger.info('still running; handed the wait to a fresh invocation', { phase: state.phase, executionArn: state.executionArn });
          return 'handed-over';
        } catch (error) {
          logger.error('could not hand the wait over', { error: error as Error });
          return this.stuck(state, `could not hand the wait to a fresh invocation: ${message(error)}`);
        }
      }
      await this.deps.sleep(delay);
    }
  }

  /** The execution a wait watched has ended: answer, or move on to the next wait. */
  private async ended(state: WaitState, execution: ExecutionView): Promise<Outcome | WaitState> {
    const id = state.provisioningId;
    switch (state.phase) {
      case 'provision': {
        if (execution.status === 'SUCCEEDED') return this.succeed(id, parseOutputs(execution.output) ?? (await this.service.find(id))?.outputs ?? null);
        const reason = describeEnd('Provisioning', id, state.executionArn, execution);
        if (this.event.RequestType === 'Update') return this.failUpdate(id, state.executionArn, reason, 'ended');
        return this.answer({ Status: 'FAILED', PhysicalResourceId: id, Reason: `${reason}. The rollback Delete tears down whatever is left.` });
      }
      case 'teardown-after-provision': {
        const teardown = await this.service.startTeardown(id);
        if (state.answered) {
          logger.info('the failed Update\'s replacement ended; teardown started', { provisioningId: id, teardown: teardown.executionArn });
          return 'cleaned-up';
        }
        return { ...state, phase: 'teardown', executionArn: teardown.executionArn, failures: 0 };
      }
      case 'teardown': {
        const physical = this.physicalId;
        if (execution.status === 'SUCCEEDED') return this.answer({ Status: 'SUCCESS', PhysicalResourceId: physical, Reason: `Torn down (execution ${state.executionArn})` });
        return this.answer({ Status: 'FAILED', PhysicalResourceId: physical, Reason: `${describeEnd('Teardown of', id, state.executionArn, execution)}. A retried Delete starts a new teardown.` });
      }
    }
  }

  /** A wait cannot go on (deadline, blind, no hand-off): answer honestly, and never leave a provisioning behind. */
  private async stuck(state: WaitState, why: string): Promise<Outcome> {
    if (state.answered) {
      await this.abandon(state.provisioningId, state.executionArn, why);
      return 'cleaned-up';
    }
    switch (state.phase) {
      case 'provision':
        if (this.event.RequestType === 'Update') return this.failUpdate(state.provisioningId, state.executionArn, `Provisioning ${state.provisioningId}: ${why}`, 'unknown');
        return this.answer({
          Status: 'FAILED',
          PhysicalResourceId: state.provisioningId,
          Reason: `Provisioning ${state.provisioningId}: ${why}. The rollback Delete waits for it to end and tears it down.`,
        });
      case 'teardown-after-provision':
        return this.answer({
          Status: 'FAILED',
          PhysicalResourceId: this.physicalId,
          Reason: `Provisioning ${state.provisioningId} is still being built and was not torn down: ${why}. A retried Delete waits for it again, then tears it down.`,
        });
      case 'teardown':
        return this.answer({ Status: 'FAILED', PhysicalResourceId: this.physicalId, Reason: `Teardown of ${state.provisioningId}: ${why}. A retried Delete picks it up again.` });
    }
  }

  /**
   * An Update failed: answer with the old physical ID (CloudFormation keeps the resource it had), and tear down the
   * replacement it started, which CloudFormation will never know about. An ended replacement is torn down before
   * answering; a running one after it ends (the wait goes on after the answer, and answers nothing more).
   */
  private async failUpdate(replacementId: string, executionArn: string | undefined, why: string, replacementIs: 'ended' | 'unknown'): Promise<Outcome> {
    if (this.event.RequestType !== 'Update') throw new Error('not an Update');
    const old = this.event.PhysicalResourceId;
    if (replacementId === old) return this.answer({ Status: 'FAILED', PhysicalResourceId: old, Reason: why }); // nothing was replaced
    const reason = `${why}. Nothing changed: the resource keeps ${old}; the replacement ${replacementId} is torn down.`;
    if (replacementIs === 'ended') {
      try {
        await this.service.startTeardown(replacementId);
      } catch (error) {
        logger.error('could not start tearing the failed replacement down', { provisioningId: replacementId, error: error as Error });
      }
      return this.answer({ Status: 'FAILED', PhysicalResourceId: old, Reason: reason });
    }
    await this.answer({ Status: 'FAILED', PhysicalResourceId: old, Reason: reason });
    if (!executionArn) {
      await this.abandon(replacementId, undefined, why);
      return 'answered';
    }
    await this.wait({ phase: 'teardown-after-provision', provisioningId: replacementId, executionArn, deadline: new Date(this.now() + this.deps.cleanupWindowMs).toISOString(), answered: true, failures: 0 });
    return 'answered';
  }

  /** Last resort for a replacement nobody will use: stop it if it runs, and start its teardown. Best effort, logged. */
  private async abandon(provisioningId: string, executionArn: string | undefined, why: string): Promise<void> {
    logger.error('abandoning a provisioning nobody will use', { provisioningId, why });
    if (executionArn) {
      try {
        await this.service.stop(executionArn, `Custom resource: ${why}`);
      } catch (error) {
        logger.error('could not stop it', { executionArn, error: error as Error });
      }
    }
    try {
      await this.service.startTeardown(provisioningId);
    } catch (error) {
      logger.error('could not start its teardown', { provisioningId, error: error as Error });
    }
  }
}

/**
 * The custom resource (Create / Update / Delete), after the provider framework's contract: start the execution,
 * wait for it (in this invocation, and in fresh ones when it takes longer), and answer exactly once through
 * `deps.respond`. Resolves `handed-over` when a fresh invocation goes on instead (it answers), `cleaned-up` when an
 * invocation only finished cleaning up after an answer already sent. Rejects only when the answer itself could
 * not be sent.
 */
export async function handleCustomResource(event: CustomResourceEvent, deps: CustomResourceDeps): Promise<Outcome> {
  return new Handling(event, deps).run();
}
