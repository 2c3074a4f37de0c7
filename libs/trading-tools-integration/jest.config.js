module.exports = { displayName: 'trading-tools-integration', preset: '../../jest.preset.js' };
