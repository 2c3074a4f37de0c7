module.exports = { displayName: 'arena', preset: '../../jest.preset.js' };
