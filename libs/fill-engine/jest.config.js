module.exports = { displayName: 'fill-engine', preset: '../../jest.preset.js' };
