module.exports = { displayName: 'arena-integration', preset: '../../jest.preset.js' };
