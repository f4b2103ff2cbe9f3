// Loaded by jest before every test file (setupFiles): quiet step logs unless asked, dummy credentials, Node 20 polyfill.
import '../local/polyfills';

process.env.POWERTOOLS_LOG_LEVEL ??= process.env.BYOC_TEST_LOGS ? 'INFO' : 'SILENT';
process.env.AWS_ACCESS_KEY_ID ??= 'testing';
process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
process.env.AWS_REGION ??= 'us-east-1';
// The SDK warns once per process that Node 20 support ends; tests run on the machine's Node 20 on purpose.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning.message;
  if (/NodeVersionSupportWarning|require node >=22/.test(`${text} ${String(rest[0] ?? '')}`)) return;
  (emitWarning as (...a: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;
