module.exports = { displayName: 'scanner', preset: '../../jest.preset.js' };
