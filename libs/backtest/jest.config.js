module.exports = { displayName: 'backtest', preset: '../../jest.preset.js' };
