// Started by failures.spec.ts as a real process: a promise rejection nobody handles.
import { exitOnUnhandledErrors } from '../failures';

exitOnUnhandledErrors('fixture');
void Promise.reject(new Error(`boom from ${process.env.FAULT ?? 'rejection'}`));
setTimeout(() => process.stdout.write('STILL RUNNING\n'), 500);
