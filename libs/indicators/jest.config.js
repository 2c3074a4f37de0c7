module.exports = { displayName: 'indicators', preset: '../../jest.preset.js' };
