module.exports = { displayName: 'trading-tools', preset: '../../jest.preset.js' };
