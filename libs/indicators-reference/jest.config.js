module.exports = { displayName: 'indicators-reference', preset: '../../jest.preset.js' };
