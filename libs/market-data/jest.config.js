module.exports = { displayName: 'market-data', preset: '../../jest.preset.js' };
