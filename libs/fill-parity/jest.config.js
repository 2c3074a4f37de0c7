module.exports = { displayName: 'fill-parity', preset: '../../jest.preset.js' };
