/**
 * The example strategies users copy (examples/strategies), for specs that run them: a testing
 * project, so only specs import it.
 */
export { default as bracketBreakout } from './strategies/bracket-breakout';
export { default as equalWeightMonthly } from './strategies/equal-weight-monthly';
export { default as momentumRotation } from './strategies/momentum-rotation';
