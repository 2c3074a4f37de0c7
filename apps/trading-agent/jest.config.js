module.exports = { displayName: 'trading-agent', preset: '../../jest.preset.js' };
