/** The live test service for rollout tests; the implementation lives in src/ so `rollgate demo` can use it too. */
export { startTestService } from '../../src/lib/demo/test-service.js';
export type { Fault, TestService, TestServiceOptions, TestServiceState, Track } from '../../src/lib/demo/test-service.js';
