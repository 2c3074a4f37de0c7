module.exports = { displayName: 'market-hub', preset: '../../jest.preset.js' };
