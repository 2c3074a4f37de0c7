// Jest's node environment with an ordinary global object.
//
// Jest runs each test file in a vm context, and Node makes a context's global object an
// intercepted one: every global lookup in the code under test (Math, Object, Array, Date) takes a
// slow path that V8 cannot optimise. Hot loops run 20-30x slower than in the services (5 M draws
// of runtime-util's mulberry32: 1.6 s in a context, 0.05 s outside), so a test gateway spent most
// of its start building the synthetic market. vm.constants.DONT_CONTEXTIFY (Node 20.18+, 22.8+)
// makes the context's global an ordinary object with fast lookups. jest-environment-node creates
// its context in its constructor, through node:vm, so this swaps createContext for that call only;
// the rest of the environment (globals, timers, teardown) is Jest's own.
import vm from 'node:vm';
import { TestEnvironment } from 'jest-environment-node';

export default class PlainGlobalNodeEnvironment extends TestEnvironment {
  constructor(config, context) {
    const { createContext } = vm;
    vm.createContext = () => createContext(vm.constants.DONT_CONTEXTIFY);
    try {
      super(config, context);
    } finally {
      vm.createContext = createContext;
    }
  }
}
