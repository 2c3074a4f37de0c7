import * as publicApi from './public-api';
import { registerSdk } from './registry';

export * from './calendar';
export * from './compile';
export * from './context';
export * from './decision';
export * from './definition';
export * from './history';
export * from './indicators';
export * from './params';
export * from './registry';
export * from './runtime';
export * from './schedule';

registerSdk(publicApi);
