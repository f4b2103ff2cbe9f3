export { installRealism, type RealismEvent, type RealismEventKind, type RealismHandle, type RealismOptions } from './layer';
export { PROFILES, resolveProfile, scaledMs, UnknownProfileError, type ProfileName, type ProfileOverrides, type RealismProfile } from './profiles';
export { FaultSpecError, formatFaultSpec, matchesOperation, parseFaultSpec, type FaultKind, type FaultRule } from './fault-spec';
export { randomSeed, seededRandom } from './random';
export type { RealismService } from './aws-errors';
export { createIamEnforcement, evaluateIam, type IamEnforcementSettings, type RecordedCheck } from './iam';
