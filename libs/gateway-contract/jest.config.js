module.exports = { displayName: 'gateway-contract', preset: '../../jest.preset.js' };
