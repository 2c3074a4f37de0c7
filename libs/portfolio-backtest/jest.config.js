module.exports = { displayName: 'portfolio-backtest', preset: '../../jest.preset.js' };
