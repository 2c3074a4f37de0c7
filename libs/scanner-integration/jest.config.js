module.exports = { displayName: 'scanner-integration', preset: '../../jest.preset.js' };
