module.exports = { displayName: 'backtest-runner', preset: '../../jest.preset.js' };
